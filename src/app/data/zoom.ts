// Zooming in on the prompt: template and query cropped alike to a square around the template's prompt and enlarged to
// the model's S×S, so that a structure a few pixels across at S² covers `zoom` times as many pixels in every feature
// map. Used by training (`train --zoom`: a share of the pairs zoomed, src/app/data/batches.ts) and by the inference
// check that measures it (scripts/inference-checks.ts --zoom), with one crop rule for both.
//
// Coordinates are continuous pixel coordinates (pixel i spans [i, i + 1]); a prompt point p ∈ [0, 1] sits at p·S.
// A crop (x0, y0, c) maps u to u' = (u − x0)·S/c. Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import { resizePlaneBilinear, resizePlaneNearest } from './resize.js';
import type { PromptTensors } from './prompt-tensors.js';

/** Zooming in for training: a share of the pairs (in [0, 1]), each enlarged by a factor drawn from [1, factor]. */
export interface ZoomTraining {
  readonly share: number;
  readonly factor: number;
}

/** The one rule for a training zoom, which the training task and the batch provider both apply; Left: what is wrong. */
export function validateZoom(z: ZoomTraining): E.Either<string, ZoomTraining> {
  return z.factor > 1 && Number.isFinite(z.factor) && z.share >= 0 && z.share <= 1
    ? E.right(z)
    : E.left(`zooming in needs a factor > 1 and a share in [0, 1], got factor ${z.factor} and share ${z.share}`);
}

/** A square crop of an S×S plane: top-left pixel (x0, y0), side c pixels. */
export interface Crop {
  readonly x0: number;
  readonly y0: number;
  readonly c: number;
}

/** An axis-aligned box in continuous pixel coordinates. */
export interface Box {
  readonly lx: number;
  readonly ly: number;
  readonly hx: number;
  readonly hy: number;
}

/**
 * The crop of side S/zoom centred on the box (shifted by `shift`, in pixels), widened to 1.25 times the box's longer
 * side when the box is larger, and kept inside the plane.
 */
export function cropAround(box: Box, size: number, zoom: number, shift: readonly [number, number] = [0, 0]): Crop {
  if (!(zoom >= 1)) throw new RangeError(`zoom must be ≥ 1, got ${zoom}`);
  const c = Math.min(size, Math.max(Math.round(size / zoom), Math.ceil(1.25 * Math.max(box.hx - box.lx, box.hy - box.ly))));
  const place = (lo: number, hi: number, d: number) => Math.min(size - c, Math.max(0, Math.round((lo + hi) / 2 + d - c / 2)));
  return { x0: place(box.lx, box.hx, shift[0]), y0: place(box.ly, box.hy, shift[1]), c };
}

/** The box around a mask's foreground pixels; undefined for an empty mask. */
export function maskBox(mask: Float32Array | Uint8Array, size: number): Box | undefined {
  let [lx, ly, hx, hy] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < size * size; i++)
    if (mask[i] > 0) {
      const [x, y] = [i % size, Math.floor(i / size)];
      [lx, ly, hx, hy] = [Math.min(lx, x), Math.min(ly, y), Math.max(hx, x + 1), Math.max(hy, y + 1)];
    }
  return lx === Infinity ? undefined : { lx, ly, hx, hy };
}

/** The box around a prompt's points in use, or around its mask when it has none; undefined for an empty prompt. */
export function promptBox(p: PromptTensors, size: number): Box | undefined {
  let [lx, ly, hx, hy] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.labels.length; i++)
    if (p.labels[i] !== 0) {
      const [x, y] = [p.points[2 * i] * size, p.points[2 * i + 1] * size];
      [lx, ly, hx, hy] = [Math.min(lx, x), Math.min(ly, y), Math.max(hx, x), Math.max(hy, y)];
    }
  return lx === Infinity ? maskBox(p.mask, size) : { lx, ly, hx, hy };
}

/** The crop's pixels of an S×S plane enlarged to S×S: bilinear for images and logits, nearest for masks. */
export function enlarge<T extends Float32Array | Uint8Array>(plane: T, size: number, k: Crop, nearest: boolean): T {
  const part = (plane instanceof Uint8Array ? new Uint8Array(k.c * k.c) : new Float32Array(k.c * k.c)) as T;
  for (let y = 0; y < k.c; y++) part.set(plane.subarray((k.y0 + y) * size + k.x0, (k.y0 + y) * size + k.x0 + k.c), y * k.c);
  if (nearest) return resizePlaneNearest(part, k.c, k.c, size, size);
  return resizePlaneBilinear(part as Float32Array, k.c, k.c, size, size) as T;
}

/** The prompt in the crop's frame: every point in use moved by u' = (u·S − x0)/c, the mask enlarged. */
export function promptInCrop(p: PromptTensors, size: number, k: Crop): PromptTensors {
  const points = new Float32Array(p.points);
  for (let i = 0; i < p.labels.length; i++)
    if (p.labels[i] !== 0) {
      points[2 * i] = (p.points[2 * i] * size - k.x0) / k.c;
      points[2 * i + 1] = (p.points[2 * i + 1] * size - k.y0) / k.c;
    }
  return { ...p, points, mask: enlarge(p.mask, size, k, true) };
}

/**
 * Logits of the zoomed run (S×S, in the crop's frame) shrunk back into place over the full run's: inside the crop
 * (1 − weight)·full + weight·zoomed, outside it the full run's alone.
 */
export function pasteBack(full: Float32Array, zoomed: Float32Array, size: number, k: Crop, weight: number): Float32Array {
  const back = resizePlaneBilinear(zoomed, size, size, k.c, k.c);
  const out = new Float32Array(full);
  for (let y = 0; y < k.c; y++)
    for (let x = 0; x < k.c; x++) {
      const i = (k.y0 + y) * size + k.x0 + x;
      out[i] = (1 - weight) * full[i] + weight * back[y * k.c + x];
    }
  return out;
}
