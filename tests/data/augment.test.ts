import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { augmentPair, changeIntensity, DEFAULT_AUGMENT, NO_AUGMENT, scaleWarp, warpPair, type AugmentOptions } from '../../src/app/data/augment.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { mulberry32 } from '../../src/util/rng.js';
import { dice } from '../../src/app/eval/dice.js';
import { encodeGreyPng, encodeMaskPng } from '../../src/app/data/png.js';
import { right } from './either.js';

const S = 48;
/** An off-centre ellipse (not symmetric, so a warp shows) as a mask and as a bright image on a dark ground. */
const ellipse = (cx = 20, cy = 26, rx = 9, ry = 6): Uint8Array =>
  Uint8Array.from({ length: S * S }, (_, i) => ((((i % S) - cx) / rx) ** 2 + ((Math.floor(i / S) - cy) / ry) ** 2 <= 1 ? 1 : 0));
const asImage = (m: Uint8Array): Float32Array => Float32Array.from(m, (v) => (v ? 0.9 : 0.2));
const area = (m: Uint8Array) => m.reduce((a, v) => a + v, 0);
const GEOMETRY_ONLY: AugmentOptions = { ...DEFAULT_AUGMENT, gamma: [1, 1], contrast: [1, 1], brightness: 0, bias: 0, noise: 0 };

describe('two-patient augmentation', () => {
  const mask = ellipse();
  const image = asImage(mask);

  it('is deterministic in the rng, and different rng states give different results', () => {
    const a = augmentPair(image, mask, S, mulberry32(5));
    const b = augmentPair(image, mask, S, mulberry32(5));
    const c = augmentPair(image, mask, S, mulberry32(6));
    expect(Array.from(a.plane)).toEqual(Array.from(b.plane));
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    expect(Array.from(a.plane)).not.toEqual(Array.from(c.plane));
    expect(Array.from(a.mask)).not.toEqual(Array.from(c.mask));
    // Inputs are never modified.
    expect(Array.from(mask)).toEqual(Array.from(ellipse()));
  });

  it('scales the warp by a factor: 0 leaves the geometry alone, smaller factors move the mask less', () => {
    expect(scaleWarp(DEFAULT_AUGMENT, 1)).toEqual(DEFAULT_AUGMENT);
    const none = scaleWarp(GEOMETRY_ONLY, 0);
    expect(none).toMatchObject({ rotateDeg: 0, scale: [1, 1], anisotropy: [1, 1], shear: 0, translate: 0, elastic: 0, gamma: [1, 1] });
    expect(scaleWarp(DEFAULT_AUGMENT, 0.5)).toMatchObject({ rotateDeg: 7.5, scale: [0.925, 1.075], translate: 0.03, gamma: DEFAULT_AUGMENT.gamma });
    expect(Array.from(warpPair(image, mask, S, none, mulberry32(3)).mask)).toEqual(Array.from(mask));
    // Mean overlap with the unwarped mask over a few draws: higher for a milder warp.
    const overlap = (f: number) =>
      Array.from({ length: 12 }, (_, seed) =>
        dice({ width: S, height: S, data: warpPair(image, mask, S, scaleWarp(GEOMETRY_ONLY, f), mulberry32(seed)).mask }, { width: S, height: S, data: mask }),
      ).reduce((a, b) => a + b) / 12;
    expect(overlap(0.25)).toBeGreaterThan(overlap(1));
    expect(() => scaleWarp(DEFAULT_AUGMENT, -1)).toThrow(RangeError);
  });

  it('warps image and mask together: they stay aligned pixel for pixel', () => {
    const binary = Float32Array.from(mask);
    for (let seed = 0; seed < 20; seed++) {
      const w = warpPair(binary, mask, S, GEOMETRY_ONLY, mulberry32(seed));
      // The same sampling of the same field: thresholding the warped image gives exactly the warped mask.
      expect(
        Array.from(w.plane, (v) => (v >= 0.5 ? 1 : 0)),
        `seed ${seed}`,
      ).toEqual(Array.from(w.mask));
    }
  });

  it('moves and reshapes the structure by realistic amounts, and keeps it brighter than its surroundings', () => {
    const dices: number[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const a = augmentPair(image, mask, S, mulberry32(seed));
      const m = { width: S, height: S, data: a.mask };
      dices.push(dice(m, { width: S, height: S, data: mask }));
      // Scale 0.85–1.15 per axis (with anisotropy) changes the area by at most about (1.15 · 1.07)²; pixels at the
      // rim add a little more.
      expect(area(a.mask) / area(mask), `seed ${seed}`).toBeGreaterThan(0.55);
      expect(area(a.mask) / area(mask), `seed ${seed}`).toBeLessThan(1.75);
      let inside = 0;
      let outside = 0;
      let nOut = 0;
      for (let i = 0; i < S * S; i++) {
        if (a.mask[i]) inside += a.plane[i];
        else if (a.plane[i] > 0) [outside, nOut] = [outside + a.plane[i], nOut + 1];
      }
      expect(inside / area(a.mask), `seed ${seed}`).toBeGreaterThan(outside / nOut + 0.2);
      expect(a.plane.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    // Copying the unaugmented mask is no longer exact: on average well below 100, but the structure is still there.
    const mean = dices.reduce((x, y) => x + y, 0) / dices.length;
    expect(mean).toBeLessThan(85);
    expect(mean).toBeGreaterThan(30);
  });

  it('does nothing with NO_AUGMENT; intensity changes leave the geometry alone', () => {
    const same = augmentPair(image, mask, S, mulberry32(1), NO_AUGMENT);
    expect(Array.from(same.mask)).toEqual(Array.from(mask));
    expect(Array.from(same.plane)).toEqual(Array.from(image));
    const lit = changeIntensity(image, S, DEFAULT_AUGMENT, mulberry32(3));
    expect(Array.from(lit)).not.toEqual(Array.from(image));
    expect(() => augmentPair(image, mask, S + 1, mulberry32(1))).toThrow(/must be 49×49/);
  });
});

describe('training batches with augmentation', () => {
  // Images equal to their masks (bright structure, black ground): whatever the warp, an aligned target is the
  // image's bright part, and a SegLab oracle prompt is the template's bright part.
  const root = mkdtempSync(join(tmpdir(), 'aug-batch-'));
  for (const [t, shift] of [
    ['a', 0],
    ['b', 8],
  ] as const)
    for (let k = 0; k < 5; k++) {
      const m = ellipse(16 + shift + k, 20 + k, 7 + (k % 3), 5 + shift / 4);
      const name = `s${k}.png`;
      mkdirSync(join(root, t, 'images'), { recursive: true });
      mkdirSync(join(root, t, 'masks'), { recursive: true });
      writeFileSync(join(root, t, 'images', name), encodeGreyPng({ width: S, height: S, data: Float32Array.from(m) }));
      writeFileSync(join(root, t, 'masks', name), encodeMaskPng({ width: S, height: S, data: m }));
    }
  const dataset = right(readDataset(root));
  const g = { size: S, points: 8 };
  const provider = (augment?: AugmentOptions, warpMix?: boolean) =>
    right(
      createBatchProvider({
        dataset,
        geometry: g,
        batchSize: 6,
        seed: 3,
        promptTypes: ['seglab'],
        qualities: ['oracle'],
        selfTemplateFraction: 0.5,
        augment,
        warpMix,
      }),
    );

  it('augments template and query independently, keeping targets and prompts aligned with their images', () => {
    const b = provider(GEOMETRY_ONLY).batch(2);
    let differs = 0;
    for (let i = 0; i < 6; i++) {
      const q = b.query.subarray(i * S * S, (i + 1) * S * S);
      const t = b.template.subarray(i * S * S, (i + 1) * S * S);
      const target = b.target.subarray(i * S * S, (i + 1) * S * S);
      const prompt = b.prompt_mask.subarray(i * S * S, (i + 1) * S * S);
      expect(Array.from(q, (v) => (v >= 0.5 ? 1 : 0))).toEqual(Array.from(target));
      expect(Array.from(t, (v) => (v >= 0.5 ? 1 : 0))).toEqual(Array.from(prompt));
      if (b.samples[i].template === b.samples[i].query && Array.from(q).join() !== Array.from(t).join()) differs++;
    }
    // Interactive samples (template = query) are two different "patients" now.
    expect(differs).toBeGreaterThan(0);
  });

  it('is deterministic per step, and off unless asked for', () => {
    expect(provider(DEFAULT_AUGMENT).batch(4)).toEqual(provider(DEFAULT_AUGMENT).batch(4));
    const plain = provider().batch(4);
    const self = plain.samples.findIndex((s) => s.template === s.query);
    expect(self).toBeGreaterThanOrEqual(0);
    // Without augmentation an interactive sample's template is its query, pixel for pixel.
    expect(Array.from(plain.template.subarray(self * S * S, (self + 1) * S * S))).toEqual(Array.from(plain.query.subarray(self * S * S, (self + 1) * S * S)));
  });

  it('with warpMix, pairs range from aligned to fully warped: interactive pairs overlap more, some almost exactly', () => {
    // Interactive samples show the warp alone: template and query are one slice, each warped on its own.
    const overlaps = (warpMix: boolean): number[] => {
      const p = provider(GEOMETRY_ONLY, warpMix);
      const out: number[] = [];
      for (let step = 0; step < 12; step++) {
        const b = p.batch(step);
        b.samples.forEach((s, i) => {
          if (s.template !== s.query) return;
          const bright = (x: Float32Array) => ({
            width: S,
            height: S,
            data: Uint8Array.from(x.subarray(i * S * S, (i + 1) * S * S), (v) => (v >= 0.5 ? 1 : 0)),
          });
          out.push(dice(bright(b.template), bright(b.query)));
        });
      }
      return out;
    };
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    const [full, mixed] = [overlaps(false), overlaps(true)];
    expect(full.length).toBeGreaterThan(10);
    expect(mixed.length).toBeGreaterThan(10);
    expect(mean(mixed)).toBeGreaterThan(mean(full) + 5);
    expect(Math.max(...mixed)).toBeGreaterThan(Math.max(...full));
    expect(provider(GEOMETRY_ONLY, true).batch(3)).toEqual(provider(GEOMETRY_ONLY, true).batch(3));
  });
});
