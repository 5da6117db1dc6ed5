// One template + prompt against any number of queries: the model inputs for that batch, and the masks back at each
// query's own size. The browser tool and the CLI side of its tests both go through here, so a prompt drawn in the
// page and the same prompt JSON on the command line are encoded identically. Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { dataError, type DataError } from './errors.js';
import type { GreyImage, Mask } from './image.js';
import type { Normalisation } from './intensity.js';
import { imageToInput, itemPlane, logitsToMask, stackBatch, type ModelInputs } from './model-inputs.js';
import { encodePrompt } from './prompt-tensors.js';
import type { Prompt } from './prompt.js';
import { type ModelGeometry } from '../../graphs/oneprompt/contract.js';

export interface PromptedBatch {
  readonly template: GreyImage;
  readonly queries: readonly GreyImage[];
  readonly prompt: Prompt;
}

export function promptedInputs(batch: PromptedBatch, geometry: ModelGeometry, how: Normalisation = { kind: 'minmax' }, source = 'prompt'): E.Either<DataError, ModelInputs> {
  if (batch.queries.length === 0) return E.left(dataError(source, 'no query images to segment'));
  return pipe(
    encodePrompt(batch.prompt, batch.template, geometry, source),
    E.map((prompt) => {
      const template = imageToInput(batch.template, geometry.size, how);
      return stackBatch(
        batch.queries.map((q) => ({ query: imageToInput(q, geometry.size, how), template, prompt })),
        geometry,
      );
    }),
  );
}

/** mask_logits (B, 1, S, S) → one mask per query at the query's size. */
export function masksFromLogits(logits: Float32Array, geometry: ModelGeometry, queries: readonly { readonly width: number; readonly height: number }[]): Mask[] {
  const S = geometry.size;
  if (logits.length !== queries.length * S * S) throw new RangeError(`masksFromLogits: ${logits.length} logits for ${queries.length} queries of ${S}×${S}`);
  return queries.map((q, b) => logitsToMask(itemPlane(logits, b, S), S, q.width, q.height));
}
