import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { simulatePrompt, QUALITIES, validateQualities, type Quality } from '../../src/app/data/simulate.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import type { Dataset } from '../../src/app/data/dataset.js';
import { insideDistance, outsideDistance, dilate, erode } from '../../src/app/data/distance.js';
import { PROMPT_TYPES, validatePrompt, type Prompt, type PromptType } from '../../src/app/data/prompt.js';
import { resampleStrokes } from '../../src/app/data/prompt-tensors.js';
import { mulberry32 } from '../../src/util/rng.js';
import { dice } from '../../src/app/eval/dice.js';
import { maskArea, type Mask } from '../../src/app/data/image.js';
import { disk, lShape, maskOf, ring, rotatedEllipse } from './shapes.js';

const sim = (mask: Mask, type: PromptType, q: Quality, seed = 1): Prompt => {
  const r = simulatePrompt(mask, type, q, mulberry32(seed));
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const at = (m: Mask, x: number, y: number): number => m.data[Math.round(y) * m.width + Math.round(x)];

const shapes: Record<string, Mask> = {
  disk: disk(64, 48, 30, 20, 12),
  ellipse: rotatedEllipse(64, 64, 32, 30, 24, 6, 0.7),
  ring: ring(64, 64, 32, 32, 12, 20),
  lshape: lShape(48, 48),
  border: disk(40, 40, 0, 20, 10), // cut by the left border
  tiny: maskOf(16, 16, (x, y) => x === 7 && y === 9),
};

describe('distance transform', () => {
  it('matches brute force on random masks', () => {
    const rng = mulberry32(3);
    const m = maskOf(23, 17, () => rng() < 0.3);
    const inside = insideDistance(m);
    const outside = outsideDistance(m);
    for (let y = 0; y < 17; y++)
      for (let x = 0; x < 23; x++) {
        let bestBg = Math.min(x + 1, y + 1, 23 - x, 17 - y); // the border counts as background
        let bestFg = Infinity;
        for (let v = 0; v < 17; v++)
          for (let u = 0; u < 23; u++) {
            const d = Math.hypot(u - x, v - y);
            if (at(m, u, v)) bestFg = Math.min(bestFg, d);
            else bestBg = Math.min(bestBg, d);
          }
        const i = y * 23 + x;
        if (at(m, x, y)) expect(inside[i]).toBeCloseTo(bestBg, 5);
        else {
          expect(inside[i]).toBe(0);
          expect(outside[i]).toBeCloseTo(bestFg, 5);
        }
      }
  });

  it('erodes and dilates a disk by radius', () => {
    const d = disk(64, 64, 32, 32, 15);
    expect(maskArea(erode(d, 5))).toBeCloseTo(Math.PI * 10 * 10, -1.5);
    expect(maskArea(dilate(d, 5))).toBeCloseTo(Math.PI * 20 * 20, -1.5);
  });
});

describe('prompt simulation', () => {
  it('takes the qualities a run draws from by one rule: at least one, each known, each once', () => {
    expect(validateQualities(['oracle', 'high'])).toEqual(E.right(['oracle', 'high']));
    expect(validateQualities([])).toEqual(E.left('no prompt quality given; choose from low, medium, high, oracle'));
    expect(validateQualities(['oracle', 'best'])).toEqual(E.left("unknown prompt quality 'best'; choose from low, medium, high, oracle"));
    expect(validateQualities(['low', 'low'])).toEqual(E.left('each prompt quality once, got low,low'));
    // The batch provider applies the same rule, naming the dataset (the tasks are checked first: one is needed).
    const dataset: Dataset = { root: '/data/x', tasks: [{ name: 't', dir: '/data/x/t', pairs: [] }] };
    const refused = createBatchProvider({ dataset, geometry: { size: 32, points: 4 }, batchSize: 1, seed: 0, qualities: ['best' as Quality] });
    expect(refused).toEqual(E.left({ file: '/data/x', message: "unknown prompt quality 'best'; choose from low, medium, high, oracle" }));
  });

  it('gives valid prompts for every shape, type and quality, deterministically in the seed', () => {
    for (const [name, m] of Object.entries(shapes))
      for (const type of PROMPT_TYPES)
        for (const q of QUALITIES) {
          const p = sim(m, type, q, 11);
          expect(E.isRight(validatePrompt(p, m, name)), `${name} ${type} ${q}`).toBe(true);
          expect(sim(m, type, q, 11)).toEqual(p);
        }
  });

  it('puts oracle and high clicks inside the mask, the oracle at the deepest point', () => {
    for (const [name, m] of Object.entries(shapes)) {
      const depth = insideDistance(m);
      const max = Math.max(...depth);
      const o = sim(m, 'click', 'oracle');
      if (o.type !== 'click') throw new Error();
      const [p] = o.points;
      expect(at(m, p.x, p.y), name).toBe(1);
      expect(depth[p.y * m.width + p.x], name).toBe(max);
      for (let seed = 0; seed < 10; seed++) {
        for (const q of ['high', 'medium'] as const) {
          const h = sim(m, 'click', q, seed);
          if (h.type === 'click') expect(at(m, h.points[0].x, h.points[0].y), `${name} ${q}`).toBe(1);
        }
      }
    }
  });

  it('puts low clicks near the border, sometimes outside', () => {
    const m = shapes.disk;
    const out = outsideDistance(m);
    const inside = insideDistance(m);
    let outsideCount = 0;
    for (let seed = 0; seed < 40; seed++) {
      const p = sim(m, 'click', 'low', seed);
      if (p.type !== 'click') throw new Error();
      const i = p.points[0].y * m.width + p.points[0].x;
      expect(Math.max(out[i], inside[i])).toBeLessThanOrEqual(Math.max(1.5, 12 / 4) + 0.01);
      if (!m.data[i]) outsideCount++;
    }
    expect(outsideCount).toBeGreaterThan(5);
    expect(outsideCount).toBeLessThan(35);
  });

  it('makes oracle boxes tight and high boxes contain the mask; lower boxes fit worse', () => {
    for (const [name, m] of Object.entries(shapes)) {
      const o = sim(m, 'bbox', 'oracle');
      if (o.type !== 'bbox') throw new Error();
      const [x1, y1, x2, y2] = o.box;
      let inBox = 0;
      for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) if (at(m, x, y) && x >= x1 && x <= x2 && y >= y1 && y <= y2) inBox++;
      expect(inBox, name).toBe(maskArea(m));
      // Tight: every side touches the mask.
      expect(
        [0, 1, 2, 3].every((s) =>
          Array.from({ length: m.width * m.height }).some((_, i) => m.data[i] && [i % m.width, Math.floor(i / m.width)][s % 2] === o.box[s]),
        ),
        name,
      ).toBe(true);
      for (let seed = 0; seed < 10; seed++) {
        const h = sim(m, 'bbox', 'high', seed);
        if (h.type !== 'bbox') throw new Error();
        expect(h.box[0] <= x1 && h.box[1] <= y1 && h.box[2] >= x2 && h.box[3] >= y2, `${name} high`).toBe(true);
      }
    }
    // Mean IoU with the tight box falls with quality.
    const m = shapes.ellipse;
    const o = sim(m, 'bbox', 'oracle');
    const iou = (a: readonly number[], b: readonly number[]) => {
      const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + 1);
      const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + 1);
      const area = (r: readonly number[]) => (r[2] - r[0] + 1) * (r[3] - r[1] + 1);
      return (iw * ih) / (area(a) + area(b) - iw * ih);
    };
    const meanIou = (q: Quality) => {
      let s = 0;
      for (let seed = 0; seed < 30; seed++) {
        const p = sim(m, 'bbox', q, seed);
        if (p.type === 'bbox' && o.type === 'bbox') s += iou(p.box, o.box);
      }
      return s / 30;
    };
    const [low, medium, high] = [meanIou('low'), meanIou('medium'), meanIou('high')];
    expect(high).toBeLessThan(1);
    expect(medium).toBeLessThan(high);
    expect(low).toBeLessThan(medium);
  });

  it('draws oracle doodles inside the mask (resampled points too) with background strokes outside', () => {
    for (const [name, m] of Object.entries(shapes)) {
      const d = sim(m, 'doodle', 'oracle');
      if (d.type !== 'doodle') throw new Error();
      const fg = d.strokes.filter((s) => s.label === 1);
      expect(fg.length, name).toBeGreaterThan(0);
      for (const s of fg) for (const [x, y] of s.points) expect(at(m, x, y), `${name} fg`).toBe(1);
      for (const s of d.strokes.filter((s) => s.label === 0)) for (const [x, y] of s.points) expect(at(m, x, y), `${name} bg`).toBe(0);
      for (const p of resampleStrokes(fg, 32)) expect(at(m, p.x, p.y), `${name} resampled`).toBe(1);
    }
    // A ring's doodle never jumps over the hole: every segment of every stroke stays on the ring.
    const r = sim(shapes.ring, 'doodle', 'oracle');
    if (r.type !== 'doodle') throw new Error();
    for (const s of r.strokes.filter((s) => s.label === 1))
      for (let k = 1; k < s.points.length; k++)
        for (let f = 0; f <= 1; f += 0.05) {
          const [a, b] = [s.points[k - 1], s.points[k]];
          expect(at(shapes.ring, a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))).toBe(1);
        }
    // The elongated ellipse gets a long spine, lower qualities shorter ones.
    const len = (p: Prompt) => (p.type === 'doodle' ? p.strokes.filter((s) => s.label === 1).reduce((a, s) => a + s.points.length, 0) : 0);
    expect(len(sim(shapes.ellipse, 'doodle', 'oracle'))).toBeGreaterThan(len(sim(shapes.ellipse, 'doodle', 'low')));
  });

  it('degrades SegLab masks with quality', () => {
    const m = rotatedEllipse(96, 96, 48, 48, 40, 22, 0.3);
    const o = sim(m, 'seglab', 'oracle');
    expect(o.type === 'seglab' && o.mask).toBe(m);
    const meanDice = (q: Quality) => {
      let s = 0;
      for (let seed = 0; seed < 12; seed++) {
        const p = sim(m, 'seglab', q, seed);
        if (p.type === 'seglab') s += dice(p.mask, m);
      }
      return s / 12;
    };
    const [low, medium, high] = [meanDice('low'), meanDice('medium'), meanDice('high')];
    expect(high).toBeLessThan(100);
    expect(high).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(low);
    expect(low).toBeGreaterThan(0);
  });

  it('refuses an empty mask', () => {
    const r = simulatePrompt(
      maskOf(8, 8, () => false),
      'click',
      'oracle',
      mulberry32(1),
      'm.png',
    );
    expect(E.isLeft(r) && r.left.message).toBe('cannot simulate a click prompt: the mask has no foreground pixels');
  });
});
