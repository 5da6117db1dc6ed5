import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAD_TARGETS, headTaskSpecs, renderSample, synthesize, type HeadTaskSpec } from '../../src/app/data/synth.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { maskArea, type Mask } from '../../src/app/data/image.js';

const SIZE = 64;
const specs = headTaskSpecs({ tasks: 12, seed: 3, firstIndex: 10 });
/** The same task asking for another structure: the same pixels, another mask. */
const asking = (t: HeadTaskSpec, target: (typeof HEAD_TARGETS)[number]): HeadTaskSpec => ({ ...t, head: { ...t.head, target } });
const inside = (a: Mask, b: Mask) => a.data.every((v, i) => !v || b.data[i]);
/** Pixels of the mask on the image border. */
const onBorder = (m: Mask) => m.data.filter((v, i) => v && (i % SIZE === 0 || i % SIZE === SIZE - 1 || i < SIZE || i >= SIZE * (SIZE - 1))).length;

describe('synthetic head scenes', () => {
  it('are deterministic in the seed, vary per image, and name their target', () => {
    expect(headTaskSpecs({ tasks: 12, seed: 3, firstIndex: 10 })).toEqual(specs);
    expect(JSON.stringify(headTaskSpecs({ tasks: 12, seed: 4, firstIndex: 10 }))).not.toBe(JSON.stringify(specs));
    const t = specs[0];
    expect(Array.from(renderSample(t, 2, SIZE, 3).image.data)).toEqual(Array.from(renderSample(t, 2, SIZE, 3).image.data));
    expect(Array.from(renderSample(t, 2, SIZE, 3).mask.data)).not.toEqual(Array.from(renderSample(t, 3, SIZE, 3).mask.data));
    for (const s of specs) expect(s.name).toBe(`task-${String(s.index).padStart(3, '0')}-head-${s.head.target}`);
    expect(specs.map((s) => s.index)).toEqual(Array.from({ length: 12 }, (_, k) => 10 + k));
  });

  it('ask for every structure, the brain most often, and hold out the last quarter', () => {
    const count = (t: string) => specs.filter((s) => s.head.target === t).length;
    for (const t of HEAD_TARGETS) expect(count(t), t).toBeGreaterThan(0);
    expect(count('brain')).toBe(6);
    expect(specs.filter((s) => s.heldOut).map((s) => s.index)).toEqual([19, 20, 21]);
    expect(specs.filter((s) => s.heldOut).some((s) => s.head.target === 'brain')).toBe(true);
  });

  it('layer the anatomy: ventricles inside the brain, the brain and scalp inside the head, which may touch the frame but not fill it', () => {
    for (const t of specs)
      for (let i = 0; i < 3; i++) {
        const mask = (target: (typeof HEAD_TARGETS)[number]) => renderSample(asking(t, target), i, SIZE, 3).mask;
        const [head, brain, scalp, ventricles] = [mask('head'), mask('brain'), mask('scalp'), mask('ventricles')];
        const where = `${t.name} image ${i}`;
        expect(inside(brain, head), where).toBe(true);
        expect(inside(scalp, head), where).toBe(true);
        expect(inside(ventricles, brain), where).toBe(true);
        expect(
          brain.data.some((v, k) => v && scalp.data[k]),
          where,
        ).toBe(false);
        // The brain is the large structure the shape scenes lack: at least a fifth of the image, at most the head.
        expect(maskArea(brain), where).toBeGreaterThan(0.2 * 0.2 * Math.PI * SIZE * SIZE * 0.5);
        expect(maskArea(head), where).toBeLessThan(SIZE * SIZE * 0.9);
        expect(maskArea(scalp), where).toBeGreaterThan(0);
        if (t.head.hasVentricles) expect(maskArea(ventricles), where).toBeGreaterThan(0);
        expect(onBorder(head), where).toBeLessThan(4 * SIZE * 0.3);
      }
  });

  it('make the target visible: the brain differs from the skull ring around it', () => {
    for (const t of specs) {
      const { image } = renderSample(asking(t, 'brain'), 0, SIZE, 3);
      const brain = renderSample(asking(t, 'brain'), 0, SIZE, 3).mask;
      const head = renderSample(asking(t, 'head'), 0, SIZE, 3).mask;
      const scalp = renderSample(asking(t, 'scalp'), 0, SIZE, 3).mask;
      const mean = (pick: (k: number) => boolean) => {
        let [s, n] = [0, 0];
        image.data.forEach((v, k) => pick(k) && ([s, n] = [s + v, n + 1]));
        return s / n;
      };
      // The skull and the tissue around the brain: inside the head, outside scalp and brain.
      const around = mean((k) => head.data[k] === 1 && !scalp.data[k] && !brain.data[k]);
      expect(Math.abs(mean((k) => brain.data[k] === 1) - around), t.name).toBeGreaterThan(0.03);
      expect(image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('share one scene among up to four tasks that differ only in the structure asked for', () => {
    const grouped = headTaskSpecs({ tasks: 12, seed: 3, firstIndex: 10, targetsPerScene: 4 });
    expect(grouped.map((t) => t.head.target)).toEqual(Array.from({ length: 3 }, () => [...HEAD_TARGETS]).flat());
    // Three scenes; the last one (all four of its tasks) is held out.
    expect(grouped.filter((t) => t.heldOut).map((t) => t.index)).toEqual([18, 19, 20, 21]);
    for (let scene = 0; scene < 3; scene++) {
      const siblings = grouped.slice(4 * scene, 4 * scene + 4);
      const images = siblings.map((t) => Array.from(renderSample(t, 1, 32, 3).image.data));
      const masks = siblings.map((t) => Array.from(renderSample(t, 1, 32, 3).mask.data));
      for (let k = 1; k < 4; k++) {
        expect(images[k], `${siblings[k].name} image`).toEqual(images[0]);
        expect(masks[k], `${siblings[k].name} mask`).not.toEqual(masks[0]);
      }
      // The ventricles are one of the structures: every scene has them.
      expect(siblings.every((t) => t.head.hasVentricles)).toBe(true);
    }
    // Scenes differ from each other.
    expect(Array.from(renderSample(grouped[0], 1, 32, 3).image.data)).not.toEqual(Array.from(renderSample(grouped[4], 1, 32, 3).image.data));
    expect(() => headTaskSpecs({ tasks: 4, seed: 3, targetsPerScene: 5 })).toThrow('headTaskSpecs: targetsPerScene must be 1..4, got 5');
  });

  it('join a synthetic dataset after its shape tasks, leaving those tasks as they were', () => {
    const plain = mkdtempSync(join(tmpdir(), 'synth-'));
    const mixed = mkdtempSync(join(tmpdir(), 'synth-'));
    const a = synthesize({ out: plain, tasks: 4, images: 3, size: 24, seed: 9 });
    const b = synthesize({ out: mixed, tasks: 4, images: 3, size: 24, seed: 9, headTasks: 4 });
    expect(b.train.slice(0, a.train.length)).toEqual(a.train);
    expect(b.train.slice(a.train.length)).toEqual(['task-004-head-brain', 'task-005-head-ventricles', 'task-006-head-brain']);
    expect(b.heldout).toEqual([...a.heldout, 'task-007-head-head']);
    const file = join(a.train[0], 'images', '0002.png');
    expect(readFileSync(join(mixed, file)).equals(readFileSync(join(plain, file)))).toBe(true);
    const ds = readDataset(mixed);
    expect(E.isRight(ds) && ds.right.tasks.length).toBe(8);
    expect(JSON.parse(readFileSync(join(mixed, 'split.json'), 'utf8')).headTasks).toBe(4);
    expect(() => synthesize({ out: mixed, tasks: 4, images: 3, size: 24, seed: 9, headTasks: -1 })).toThrow(/headTasks must be a non-negative integer, got -1/);
  });
});
