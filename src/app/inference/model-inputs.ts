// Images in and out of the model: normalise + resize to S×S for `query`/`template`, stack a batch into the full
// set of named inputs (docs/model-io.md), and turn `mask_logits` back into a mask at the original size.
// Browser-safe.
import { greyImage, type GreyImage, type Mask } from '../data/image.js';
import { normalise, type Normalisation } from '../data/intensity.js';
import { resizePlaneBilinear } from '../data/resize.js';
import { stackPrompts, type PromptTensors } from '../data/prompt-tensors.js';
import { type ModelGeometry } from '../../../graphs/oneprompt/contract.js';

/** Normalise (default per-image min–max) then resize (bilinear) to S×S: one (1, S, S) plane. */
export function imageToInput(img: GreyImage, size: number, how: Normalisation = { kind: 'minmax' }): Float32Array {
  const n = normalise(img, how);
  return resizePlaneBilinear(n.data, n.width, n.height, size, size);
}

export interface BatchItem {
  /** (1, S, S) planes from imageToInput. */
  readonly query: Float32Array;
  readonly template: Float32Array;
  readonly prompt: PromptTensors;
}

/** All model inputs for a batch, with the dims ONNX Runtime / tfjs need. */
export interface ModelInputs {
  readonly batch: number;
  readonly geometry: ModelGeometry;
  readonly query: Float32Array;
  readonly template: Float32Array;
  readonly prompt_points: Float32Array;
  readonly prompt_labels: Float32Array;
  readonly prompt_mask: Float32Array;
  readonly prompt_type: Float32Array;
}

export function stackBatch(items: readonly BatchItem[], geometry: ModelGeometry): ModelInputs {
  const S2 = geometry.size * geometry.size;
  const B = items.length;
  if (B === 0) throw new RangeError('stackBatch: empty batch');
  const query = new Float32Array(B * S2);
  const template = new Float32Array(B * S2);
  items.forEach((it, b) => {
    if (it.query.length !== S2 || it.template.length !== S2) throw new RangeError(`stackBatch: item ${b} images are not ${geometry.size}×${geometry.size}`);
    query.set(it.query, b * S2);
    template.set(it.template, b * S2);
  });
  return {
    batch: B,
    geometry,
    query,
    template,
    ...stackPrompts(
      items.map((i) => i.prompt),
      geometry,
    ),
  };
}

/** One item's logits plane (S×S) resized back (bilinear on logits) to width×height. */
export function logitsToImage(logits: Float32Array, size: number, width: number, height: number): GreyImage {
  if (logits.length !== size * size) throw new RangeError(`logitsToImage: ${logits.length} values, expected ${size}×${size}`);
  return greyImage(width, height, resizePlaneBilinear(logits, size, size, width, height));
}

/** Logits → mask at the original size: resize the logits, then threshold at 0 (sigmoid > 0.5). */
export function logitsToMask(logits: Float32Array, size: number, width: number, height: number): Mask {
  const up = logitsToImage(logits, size, width, height);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = up.data[i] > 0 ? 1 : 0;
  return { width, height, data };
}

/** Item b's (S×S) plane out of a (B, 1, S, S) batch output. */
export const itemPlane = (batchOutput: Float32Array, b: number, size: number): Float32Array => batchOutput.subarray(b * size * size, (b + 1) * size * size);
