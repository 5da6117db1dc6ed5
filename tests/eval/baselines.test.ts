import { describe, expect, it } from 'vitest';
import { copyTemplateMask } from '../../src/app/eval/copy-template.js';
import { regionGrow } from '../../src/app/eval/region-grow.js';
import { dice } from '../../src/app/eval/dice.js';
import { greyImage, type GreyImage, type Mask } from '../../src/app/data/image.js';
import { mulberry32 } from '../../src/util/rng.js';
import { simulatePrompt } from '../../src/app/data/simulate.js';
import type { Prompt, PromptType } from '../../src/app/data/prompt.js';
import { disk, maskOf } from '../data/shapes.js';
import * as E from 'fp-ts/lib/Either.js';

/** Paint masks with intensities over a background, plus Gaussian noise. */
function scene(w: number, h: number, layers: [Mask, number][], background: number, noise: number, seed: number): GreyImage {
  const rng = mulberry32(seed);
  const data = new Float32Array(w * h).fill(background);
  for (const [mask, v] of layers) for (let i = 0; i < data.length; i++) if (mask.data[i]) data[i] = v;
  for (let i = 0; i < data.length; i++) data[i] += noise * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return greyImage(w, h, data);
}

describe('copy-template baseline', () => {
  it('is perfect when the structure does not move and loses what a shift moves', () => {
    const t = disk(64, 64, 30, 30, 10);
    expect(dice(copyTemplateMask(t, t), t)).toBe(100);
    const shifted = disk(64, 64, 36, 30, 10);
    const got = dice(copyTemplateMask(t, shifted), shifted);
    let overlap = 0;
    for (let i = 0; i < t.data.length; i++) overlap += t.data[i] & shifted.data[i];
    const area = t.data.reduce((a, b) => a + b, 0);
    expect(got).toBeCloseTo((100 * overlap) / area, 8);
    expect(got).toBeLessThan(70);
  });

  it('resizes the template mask to the query', () => {
    const t = maskOf(32, 32, (x) => x < 16);
    const out = copyTemplateMask(t, { width: 64, height: 16 });
    expect([out.width, out.height]).toEqual([64, 16]);
    expect(
      dice(
        out,
        maskOf(64, 16, (x) => x < 32),
      ),
    ).toBe(100);
  });
});

describe('region-grow baseline', () => {
  const W = 64;
  const target = disk(W, W, 24, 30, 10);
  const distractor = disk(W, W, 52, 52, 7); // same brightness, not connected
  const query = scene(
    W,
    W,
    [
      [target, 0.8],
      [distractor, 0.8],
    ],
    0.2,
    0.04,
    1,
  );
  const prompt = (type: PromptType): Prompt => {
    const r = simulatePrompt(target, type, 'oracle', mulberry32(2));
    if (E.isLeft(r)) throw new Error(r.left.message);
    return r.right;
  };

  it('segments a bright structure from every oracle prompt, leaving the unconnected look-alike out', () => {
    for (const type of ['click', 'bbox', 'doodle', 'seglab'] as const) {
      const out = regionGrow({ query, prompt: prompt(type), template: query });
      expect(dice(out, target), type).toBeGreaterThan(90);
      expect(
        out.data.some((v, i) => v && distractor.data[i]),
        type,
      ).toBe(false);
    }
  });

  it('stays inside the box when a same-intensity neighbour touches the structure', () => {
    const bar = maskOf(W, W, (x, y) => x >= 30 && x < 60 && y >= 27 && y <= 33); // touches the disk's right side
    const img = scene(
      W,
      W,
      [
        [target, 0.8],
        [bar, 0.8],
      ],
      0.2,
      0.03,
      3,
    );
    const click = regionGrow({ query: img, prompt: prompt('click'), template: img });
    const box = regionGrow({ query: img, prompt: prompt('bbox'), template: img });
    expect(dice(click, target)).toBeLessThan(dice(box, target));
    expect(box.data.every((v, i) => !v || (i % W >= 14 && i % W <= 34))).toBe(true);
  });

  it('uses background clicks to stop at a faint boundary', () => {
    const halo = maskOf(W, W, (x, y) => Math.hypot(x - 24, y - 30) <= 18);
    const img = scene(
      W,
      W,
      [
        [halo, 0.65],
        [target, 0.8],
      ],
      0.1,
      0.02,
      4,
    );
    const fgOnly: Prompt = { type: 'click', points: [{ x: 24, y: 30, label: 1 }] };
    const withBg: Prompt = {
      type: 'click',
      points: [
        { x: 24, y: 30, label: 1 },
        { x: 24, y: 45, label: 0 },
      ],
    };
    const a = regionGrow({ query: img, prompt: fgOnly, template: img }, { k: 6 });
    const b = regionGrow({ query: img, prompt: withBg, template: img }, { k: 6 });
    expect(dice(b, target)).toBeGreaterThan(dice(a, target));
    expect(dice(b, target)).toBeGreaterThan(85);
  });

  it('maps a prompt from another template size and can measure seeds on the template', () => {
    // Template at half resolution, same layout: the click maps to the query's structure.
    const small = scene(32, 32, [[disk(32, 32, 12, 15, 5), 0.8]], 0.2, 0.02, 5);
    const click: Prompt = { type: 'click', points: [{ x: 12, y: 15, label: 1 }] };
    expect(dice(regionGrow({ query, prompt: click, template: small }), target)).toBeGreaterThan(90);
    expect(dice(regionGrow({ query, prompt: click, template: { width: 32, height: 32 } }), target)).toBeGreaterThan(90);
  });
});
