import { describe, it } from 'vitest';
import { expectMessagesAsStated } from './expect-messages.js';

// The compiler rejects each line of generic-bodies.types.ts (module bodies generic in their dims, named dims,
// dtype agreement, reshape's -1 count) with the very sentence its comment states, and accepts every other line.
describe('type errors in generic and named module bodies read as stated', () => {
  it('generic-bodies.types.ts', () => expectMessagesAsStated('generic-bodies.types.ts', 10));
});
