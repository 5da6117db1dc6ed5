// Zooming in on the prompt (src/app/data/zoom.ts): the crop rule, a prompt and its image moved alike into the crop's
// frame, the logits put back where they came from, and training batches zoomed that way.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cropAround, enlarge, maskBox, pasteBack, promptBox, promptInCrop } from '../../src/app/data/zoom.js';
import { normaliseCoordinate, typeOneHot, type PromptTensors } from '../../src/app/data/prompt-tensors.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { orThrow } from '../../src/app/data/errors.js';
import { synthesize } from '../../src/app/data/synth.js';
import * as E from 'fp-ts/lib/Either.js';

const S = 32;

const click = (x: number, y: number): PromptTensors => {
  const points = new Float32Array(8);
  const labels = new Float32Array(4);
  [points[0], points[1], labels[0]] = [normaliseCoordinate(x, S), normaliseCoordinate(y, S), 1];
  return { points, labels, mask: new Float32Array(S * S), type: typeOneHot('click') };
};

describe('zooming in on the prompt', () => {
  it('crops S/zoom around the prompt, widened for a large box and kept inside the plane', () => {
    expect(cropAround(promptBox(click(10, 20), S)!, S, 2)).toEqual({ x0: 3, y0: 13, c: 16 });
    // Near the border the crop slides inward rather than leaving the plane.
    expect(cropAround(promptBox(click(1, 30), S)!, S, 2)).toEqual({ x0: 0, y0: 16, c: 16 });
    // A box 20 pixels wide needs 25: more than S/2.
    expect(cropAround({ lx: 4, ly: 4, hx: 24, hy: 10 }, S, 2).c).toBe(25);
    expect(cropAround({ lx: 0, ly: 0, hx: 32, hy: 32 }, S, 4)).toEqual({ x0: 0, y0: 0, c: S });
    expect(() => cropAround({ lx: 0, ly: 0, hx: 1, hy: 1 }, S, 0.5)).toThrow('zoom must be ≥ 1, got 0.5');
  });

  it('finds the box of a mask, or of a prompt without points', () => {
    const mask = new Float32Array(S * S);
    for (const [x, y] of [
      [5, 7],
      [9, 3],
    ])
      mask[y * S + x] = 1;
    expect(maskBox(mask, S)).toEqual({ lx: 5, ly: 3, hx: 10, hy: 8 });
    expect(maskBox(new Uint8Array(S * S), S)).toBeUndefined();
    const seglab = { ...click(0, 0), labels: new Float32Array(4), mask, type: typeOneHot('seglab') };
    expect(promptBox(seglab, S)).toEqual({ lx: 5, ly: 3, hx: 10, hy: 8 });
  });

  it('moves a click and its image alike: the clicked pixel stays under the click after enlarging', () => {
    const image = new Float32Array(S * S);
    image[20 * S + 10] = 1;
    const p = click(10, 20);
    const k = cropAround(promptBox(p, S)!, S, 2);
    const moved = promptInCrop(p, S, k);
    const big = enlarge(image, S, k, true);
    const [u, v] = [Math.floor(moved.points[0] * S), Math.floor(moved.points[1] * S)];
    expect(big[v * S + u]).toBe(1);
    // Padding points stay where they were.
    expect(moved.points.subarray(2)).toEqual(p.points.subarray(2));
    // A mask prompt is enlarged with its image (nearest: still binary).
    const withMask = promptInCrop({ ...p, mask: image }, S, k);
    expect(new Set(withMask.mask)).toEqual(new Set([0, 1]));
    expect(withMask.mask).toEqual(big);
  });

  it('puts the zoomed logits back over the crop only, blended by the weight', () => {
    const full = new Float32Array(S * S).fill(-1);
    const k = { x0: 8, y0: 4, c: 16 };
    const zoomed = new Float32Array(S * S).fill(3);
    const out = pasteBack(full, zoomed, S, k, 0.5);
    expect(out[5 * S + 9]).toBeCloseTo(1, 5);
    expect(out[0]).toBe(-1);
    expect(out[(k.y0 + k.c) * S + k.x0]).toBe(-1);
    // Weight 1 and an image enlarged then shrunk: the crop comes back as it was, to interpolation's precision.
    const ramp = Float32Array.from({ length: S * S }, (_, i) => (i % S) / S);
    const back = pasteBack(full, enlarge(ramp, S, k, false), S, k, 1);
    for (let y = k.y0 + 1; y < k.y0 + k.c - 1; y++) for (let x = k.x0 + 1; x < k.x0 + k.c - 1; x++) expect(back[y * S + x]).toBeCloseTo(ramp[y * S + x], 2);
  });

  it('zooms a share of the training pairs: the prompted structures enlarged, no draw added at share 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoom-data-'));
    synthesize({ out: dir, tasks: 2, images: 6, size: 64, seed: 4 });
    const dataset = orThrow(readDataset(dir));
    const provider = (zoom?: { share: number; factor: number }) =>
      orThrow(createBatchProvider({ dataset, geometry: { size: S, points: 4 }, batchSize: 8, seed: 1, promptTypes: ['seglab'], zoom }));
    const area = (m: Float32Array) => m.reduce((a, v) => a + v, 0) / 8;
    const plain = provider().batch(0);
    const zoomed = provider({ share: 1, factor: 3 }).batch(0);
    // Enlarged by 1–3 times on each side: the prompted structures cover more pixels.
    expect(area(zoomed.prompt_mask)).toBeGreaterThan(1.5 * area(plain.prompt_mask));
    // Share 0 draws nothing more: the batches of a run without zooming.
    expect(provider({ share: 0, factor: 2 }).batch(0).query).toEqual(plain.query);
    const refused = createBatchProvider({ dataset, geometry: { size: S, points: 4 }, batchSize: 8, seed: 1, zoom: { share: 2, factor: 2 } });
    expect(E.isLeft(refused) && refused.left.message).toBe('zooming in needs a factor > 1 and a share in [0, 1], got factor 2 and share 2');
  });
});
