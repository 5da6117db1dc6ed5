import { describe, it } from 'vitest';
import { expectMessagesAsStated } from './expect-messages.js';

// The compiler rejects each line of norm-attention.types.ts with the very sentence its comment states.
describe('type errors of reductions, softmax, layer-norm and attention read as stated', () => {
  it('norm-attention.types.ts', () => expectMessagesAsStated('norm-attention.types.ts', 23));
});
