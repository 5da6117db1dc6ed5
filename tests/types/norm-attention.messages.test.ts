import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkExpectedMessages } from './expect-messages.js';

// The compiler rejects each line of norm-attention.types.ts with the very sentence its comment states.
describe('type errors of reductions, softmax, layer-norm and attention read as stated', () => {
  it('norm-attention.types.ts', () => {
    const file = fileURLToPath(new URL('./norm-attention.types.ts', import.meta.url));
    const report = checkExpectedMessages(file, fileURLToPath(new URL('../../', import.meta.url)));
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(23);
  });
});
