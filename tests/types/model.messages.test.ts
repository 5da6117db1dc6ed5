import { describe, it } from 'vitest';
import { expectMessagesAsStated } from './expect-messages.js';

// The compiler rejects each line of model.types.ts (the One-Prompt model's shape rules) with the very
// sentence its comment states, and accepts every other line.
describe('type errors of the One-Prompt model read as stated', () => {
  it('model.types.ts', () => expectMessagesAsStated('model.types.ts', 20));
});
