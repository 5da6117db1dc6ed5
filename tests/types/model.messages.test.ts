import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkExpectedMessages } from './expect-messages.js';

// The compiler rejects each line of model.types.ts (the One-Prompt model's shape rules) with the very
// sentence its comment states, and accepts every other line.
describe('type errors of the One-Prompt model read as stated', () => {
  it('model.types.ts', () => {
    const file = fileURLToPath(new URL('./model.types.ts', import.meta.url));
    const report = checkExpectedMessages(file, fileURLToPath(new URL('../../', import.meta.url)));
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(20);
  });
});
