import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkExpectedMessages } from './expect-messages.js';

// The compiler rejects each line of generic-bodies.types.ts (module bodies generic in their dims, named dims,
// dtype agreement, reshape's -1 count) with the very sentence its comment states, and accepts every other line.
describe('type errors in generic and named module bodies read as stated', () => {
  it('generic-bodies.types.ts', () => {
    const file = fileURLToPath(new URL('./generic-bodies.types.ts', import.meta.url));
    const report = checkExpectedMessages(file, fileURLToPath(new URL('../../', import.meta.url)));
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(10);
  });
});
