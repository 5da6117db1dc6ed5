import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize, taskSpecs, renderSample, SHAPE_KINDS } from '../../src/app/data/synth.js';
import { readDataset, tasksOf, templateSplit, drawTemplates, type Dataset } from '../../src/app/data/dataset.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import { encodeGreyPng, encodeMaskPng } from '../../src/app/data/png.js';
import { greyImage, maskArea } from '../../src/app/data/image.js';
import { dilate } from '../../src/app/data/distance.js';
import { mulberry32 } from '../../src/util/rng.js';
import { message, right } from './either.js';

describe('synthetic tasks', () => {
  it('is deterministic in the seed and varies with it', () => {
    const [a] = taskSpecs({ tasks: 3, seed: 5 });
    const [b] = taskSpecs({ tasks: 3, seed: 5 });
    const [c] = taskSpecs({ tasks: 3, seed: 6 });
    expect(a).toEqual(b);
    expect(Array.from(renderSample(a, 4, 32, 5).image.data)).toEqual(Array.from(renderSample(b, 4, 32, 5).image.data));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(Array.from(renderSample(a, 4, 32, 5).mask.data)).not.toEqual(Array.from(renderSample(a, 5, 32, 5).mask.data));
  });

  it('covers many anatomies, splits off held-out tasks, and makes visible, non-empty targets', () => {
    const specs = taskSpecs({ tasks: 24, seed: 1 });
    expect(new Set(specs.map((s) => s.target.kind)).size).toBeGreaterThanOrEqual(7);
    expect(new Set(specs.map((s) => s.style.backgroundTexture)).size).toBeGreaterThanOrEqual(3);
    expect(specs.filter((s) => s.heldOut)).toHaveLength(6);
    expect(specs.slice(-6).every((s) => s.heldOut)).toBe(true);
    for (const spec of specs) {
      let contrast = 0;
      for (let i = 0; i < 4; i++) {
        const { image, mask } = renderSample(spec, i, 48, 1);
        const area = maskArea(mask);
        expect(area, spec.name).toBeGreaterThan(3);
        expect(area, spec.name).toBeLessThan(48 * 48 * 0.6);
        expect(image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
        // Mean intensity inside the target against a 2-pixel band around it.
        const band = dilate(mask, 2);
        let [a, na, b, nb] = [0, 0, 0, 0];
        for (let k = 0; k < mask.data.length; k++) {
          if (mask.data[k]) [a, na] = [a + image.data[k], na + 1];
          else if (band.data[k]) [b, nb] = [b + image.data[k], nb + 1];
        }
        contrast += Math.abs(a / na - b / nb) / 4;
      }
      expect(contrast, spec.name).toBeGreaterThan(0.05);
    }
    expect(SHAPE_KINDS.length).toBeGreaterThanOrEqual(8);
  });

  it('writes the dataset layout that readDataset reads back, with the split', () => {
    const out = mkdtempSync(join(tmpdir(), 'synth-'));
    const seen: number[] = [];
    const split = synthesize({ out, tasks: 4, images: 3, size: 24, seed: 9, onTask: (_, done) => seen.push(done) });
    expect(seen).toEqual([1, 2, 3, 4]);
    const ds = right(readDataset(out));
    expect(ds.tasks.map((t) => t.name)).toEqual([...split.train, ...split.heldout]);
    expect(ds.split).toEqual(split);
    expect(tasksOf(ds, 'heldout').map((t) => t.name)).toEqual(split.heldout);
    expect(ds.tasks[0].pairs.map((p) => p.name)).toEqual(['0000.png', '0001.png', '0002.png']);
    // Same seed, same bytes.
    const again = mkdtempSync(join(tmpdir(), 'synth-'));
    synthesize({ out: again, tasks: 4, images: 3, size: 24, seed: 9 });
    const file = join(ds.tasks[2].name, 'images', '0001.png');
    expect(readFileSync(join(again, file)).equals(readFileSync(join(out, file)))).toBe(true);
  });
});

function tinyTask(root: string, name: string, files: Record<string, 'image' | 'mask' | 'both'>, maskExt = '.png'): void {
  mkdirSync(join(root, name, 'images'), { recursive: true });
  mkdirSync(join(root, name, 'masks'), { recursive: true });
  const img = encodeGreyPng(
    greyImage(
      8,
      8,
      Float32Array.from({ length: 64 }, (_, i) => (i % 8) / 8),
    ),
  );
  const m = { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 8 >= 3 && i % 8 <= 5 && i >= 16 && i < 48 ? 1 : 0)) };
  for (const [file, what] of Object.entries(files)) {
    if (what !== 'mask') writeFileSync(join(root, name, 'images', file), img);
    if (what !== 'image') writeFileSync(join(root, name, 'masks', file.replace(/\.[^.]+$/, maskExt)), encodeMaskPng(m));
  }
}

describe('dataset folders', () => {
  it('pairs images and masks by name or stem', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-'));
    tinyTask(root, 'liver', { 'a.png': 'both', 'b.png': 'both' });
    tinyTask(root, 'skin', { 'x.jpg': 'both' });
    const ds = right(readDataset(root));
    expect(ds.tasks.map((t) => [t.name, t.pairs.map((p) => p.name)])).toEqual([
      ['liver', ['a.png', 'b.png']],
      ['skin', ['x.jpg']],
    ]);
    expect(ds.tasks[1].pairs[0].mask.endsWith(join('masks', 'x.png'))).toBe(true);
  });

  it('names missing masks, orphan masks and missing folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-'));
    tinyTask(root, 't', { 'a.png': 'both', 'b.png': 'image' });
    expect(message(readDataset(root))).toContain('image b.png has no mask in masks/ (expected masks/b.png)');
    rmSync(join(root, 't', 'images', 'b.png'));
    tinyTask(root, 't', { 'c.png': 'mask' });
    expect(message(readDataset(root))).toContain('mask c.png has no image in images/');
    const empty = mkdtempSync(join(tmpdir(), 'ds-'));
    expect(message(readDataset(empty))).toContain('no task folders');
    mkdirSync(join(empty, 'x'));
    expect(message(readDataset(empty))).toContain('task x has no images/ folder');
  });

  it('reads templates.json and reports bad entries with their place', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-'));
    tinyTask(root, 't', { 'a.png': 'both', 'b.png': 'both', 'c.png': 'both' });
    const path = join(root, 't', 'templates.json');
    writeFileSync(path, JSON.stringify([{ image: 'b.png', prompt: { type: 'bbox', box: [3, 2, 5, 5] } }]));
    const ds = right(readDataset(root));
    expect(ds.tasks[0].templates).toEqual([{ pair: 1, prompt: { type: 'bbox', box: [3, 2, 5, 5] } }]);
    expect(templateSplit(ds.tasks[0], 1)).toEqual({ templates: [1], queries: [0, 2] });
    writeFileSync(
      path,
      JSON.stringify([
        { image: 'b.png', prompt: { type: 'bbox', box: [3, 2, 5, 5] } },
        { image: 'b.png', prompt: { type: 'click', points: [] } },
      ]),
    );
    expect(message(readDataset(root))).toBe(`${path} ([1].prompt.points): a click prompt needs at least one point`);
    writeFileSync(path, JSON.stringify([{ image: 'zz.png', prompt: { type: 'click', points: [{ x: 1, y: 1 }] } }]));
    expect(message(readDataset(root))).toContain('([0].image): image "zz.png" is not a file in images/');
    writeFileSync(path, '[{"image": "a.png",}]');
    expect(message(readDataset(root))).toContain('(line 1, column 20, offset 19): malformed JSON: expected a "quoted" key, found "}"');
  });

  it('draws template splits and evaluation templates deterministically', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-'));
    tinyTask(root, 't', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${i}.png`, 'both' as const])));
    const task = right(readDataset(root)).tasks[0];
    const s = templateSplit(task, 3);
    expect(s.templates).toHaveLength(2);
    expect([...s.templates, ...s.queries].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(templateSplit(task, 3)).toEqual(s);
    expect(drawTemplates(task, 4, 1)).toEqual(drawTemplates(task, 4, 1));
    expect(new Set(drawTemplates(task, 4, 1)).size).toBe(4);
  });
});

describe('training batches', () => {
  const g = { size: 16, points: 8 };
  let ds: Dataset;
  const setup = () => {
    if (ds) return ds;
    const out = mkdtempSync(join(tmpdir(), 'batch-'));
    synthesize({ out, tasks: 4, images: 6, size: 32, seed: 2 });
    ds = right(readDataset(out));
    return ds;
  };

  it('returns model-shaped arrays with targets, mixing prompt types, deterministically per step', () => {
    const dataset = setup();
    const p = right(createBatchProvider({ dataset, geometry: g, batchSize: 6, seed: 4 }));
    expect(p.tasks).toEqual(dataset.split!.train);
    expect(E.isRight(p.preload())).toBe(true);
    const b = p.batch(3);
    expect(b.batch).toBe(6);
    expect(b.query).toHaveLength(6 * 256);
    expect(b.template).toHaveLength(6 * 256);
    expect(b.prompt_points).toHaveLength(6 * 8 * 2);
    expect(b.prompt_labels).toHaveLength(6 * 8);
    expect(b.prompt_mask).toHaveLength(6 * 256);
    expect(b.prompt_type).toHaveLength(6 * 4);
    expect(b.target).toHaveLength(6 * 256);
    for (let i = 0; i < 6; i++) {
      const oneHot = Array.from(b.prompt_type.subarray(4 * i, 4 * i + 4));
      expect(oneHot.reduce((a, v) => a + v, 0)).toBe(1);
      const s = b.samples[i];
      expect(dataset.split!.train).toContain(s.task);
      expect(oneHot[['click', 'bbox', 'doodle', 'seglab'].indexOf(s.promptType)]).toBe(1);
      if (s.promptType === 'bbox') expect(Array.from(b.prompt_labels.subarray(8 * i, 8 * i + 3))).toEqual([1, 2, 0]);
      expect(b.target.subarray(256 * i, 256 * (i + 1)).some((v) => v === 1)).toBe(true);
    }
    expect(b.query.every((v) => v >= 0 && v <= 1)).toBe(true);
    // A fresh provider (a resumed run) gives the same batch for the same step, another step differs.
    const again = right(createBatchProvider({ dataset, geometry: g, batchSize: 6, seed: 4 }));
    expect(again.batch(3)).toEqual(b);
    expect(again.batch(4).samples).not.toEqual(b.samples);
    const types = new Set(Array.from({ length: 5 }, (_, k) => p.batch(k).samples.map((s) => s.promptType)).flat());
    // With a caller's RNG, the draws follow it.
    const fromRng = (seedValue: number) => p.batch(3, mulberry32(seedValue)).samples;
    expect(fromRng(7)).toEqual(fromRng(7));
    expect(fromRng(7)).not.toEqual(fromRng(8));
    expect(types.size).toBe(4);
  });

  it('selfTemplateFraction: interactive samples use the query as its own template (and only when asked)', () => {
    const dataset = setup();
    const all = right(createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 1, selfTemplateFraction: 1 }));
    const b = all.batch(0);
    for (const s of b.samples) expect(s.template).toBe(s.query);
    expect(Array.from(b.template)).toEqual(Array.from(b.query));
    const some = right(createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 1, selfTemplateFraction: 0.5 }));
    const self = Array.from({ length: 6 }, (_, k) => some.batch(k).samples)
      .flat()
      .filter((s) => s.template === s.query).length;
    expect(self).toBeGreaterThan(8);
    expect(self).toBeLessThan(40);
    const none = right(createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 1 }));
    for (const s of none.batch(0).samples) expect(s.template).not.toBe(s.query);
  });

  it('draws templates from the template split and queries from the rest', () => {
    const dataset = setup();
    const p = right(createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 1, promptTypes: ['click'], qualities: ['oracle'] }));
    for (let step = 0; step < 5; step++)
      for (const s of p.batch(step).samples) {
        const task = dataset.tasks.find((t) => t.name === s.task)!;
        const split = templateSplit(task, 1);
        expect(split.templates.map((i) => task.pairs[i].name)).toContain(s.template);
        expect(split.queries.map((i) => task.pairs[i].name)).toContain(s.query);
        expect(s.quality).toBe('oracle');
      }
  });

  it('uses given templates.json prompts, and reports bad options', () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-'));
    tinyTask(root, 't', { 'a.png': 'both', 'b.png': 'both' });
    writeFileSync(join(root, 't', 'templates.json'), JSON.stringify([{ image: 'a.png', prompt: { type: 'seglab', mask: 'masks/a.png' } }]));
    const dataset = right(readDataset(root));
    const p = right(createBatchProvider({ dataset, geometry: g, batchSize: 2, seed: 1 }));
    const b = p.batch(0);
    expect(b.samples.map((s) => [s.template, s.query, s.promptType, s.quality])).toEqual([
      ['a.png', 'b.png', 'seglab', 'given'],
      ['a.png', 'b.png', 'seglab', 'given'],
    ]);
    expect(b.prompt_mask.some((v) => v === 1)).toBe(true);
    expect(message(createBatchProvider({ dataset, geometry: g, batchSize: 0, seed: 1 }))).toContain('batch size must be a positive integer');
    expect(message(createBatchProvider({ dataset, tasks: ['nope'], geometry: g, batchSize: 1, seed: 1 }))).toContain('task "nope" is not in the dataset');
  });
});
