import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/app/data/synth.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { evaluate, type EvalReport } from '../../src/app/eval/protocol.js';
import type { ModelInputs } from '../../src/app/inference/model-inputs.js';

const report = (r: E.Either<{ message: string }, EvalReport>): EvalReport => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

describe('evaluation protocol', () => {
  const out = mkdtempSync(join(tmpdir(), 'eval-'));
  synthesize({ out, tasks: 4, images: 5, size: 32, seed: 3 });
  const dataset = E.getOrElseW(() => {
    throw new Error('dataset');
  })(readDataset(out));
  const base = { dataset, quality: 'oracle' as const, templates: 2, seed: 1, geometry: { size: 32, points: 16 }, batchSize: 3 };

  it('scores a model that answers with the prompt mask exactly like the copy-template baseline', async () => {
    const batches: number[] = [];
    const progress: number[] = [];
    const echo = async (x: ModelInputs) => {
      batches.push(x.batch);
      return x.prompt_mask.map((v) => (v ? 10 : -10));
    };
    const r = report(await evaluate({ ...base, promptType: 'seglab', onProgress: (p) => progress.push(p.done) }, echo));
    expect(r.tasks.map((t) => t.task)).toEqual(dataset.split!.heldout);
    for (const t of r.tasks) {
      expect(t.pairs).toBe(2 * 4);
      expect(t.model!.dice).toBeCloseTo(t.copy_template.dice, 10);
      expect(t.model!.std).toBeCloseTo(t.copy_template.std, 10);
      expect(t.region_grow.dice).toBeGreaterThan(0);
    }
    expect(Math.max(...batches)).toBe(3);
    expect(progress).toContain(8);
    expect(Object.keys(r.mean).sort()).toEqual(['copy_template', 'model', 'region_grow']);
  });

  it('scores each query as a second patient with secondPatient: one seeded warp per query, the same for the model and both baselines', async () => {
    const queries: number[] = [];
    const echo = async (x: ModelInputs) => {
      queries.push(x.query.reduce((a, v) => a + v, 0));
      return x.prompt_mask.map((v) => (v ? 10 : -10));
    };
    const asRead = report(await evaluate({ ...base, promptType: 'seglab' }, echo));
    const planesAsRead = queries.splice(0);
    const a = report(await evaluate({ ...base, promptType: 'seglab', secondPatient: 0.5 }, echo));
    const planesWarped = queries.splice(0);
    expect(report(await evaluate({ ...base, promptType: 'seglab', secondPatient: 0.5 }, echo))).toEqual(a);
    // The model reads the warped queries (not the images as read) and is scored on their warped masks: the echo of
    // the template's mask is still exactly the copy baseline, whose score moves with the warped masks. (These synthetic
    // tasks place objects at random, so copying scores low either way; tests/eval/selectivity.test.ts has aligned ones.)
    expect(planesWarped).not.toEqual(planesAsRead);
    for (const t of a.tasks) expect(t.model!.dice).toBeCloseTo(t.copy_template.dice, 10);
    expect(a.mean.copy_template).not.toBeCloseTo(asRead.mean.copy_template, 3);
    expect(a.mean.region_grow).not.toBe(asRead.mean.region_grow);
  });

  it('runs the baselines alone, deterministically, and reports bad options', async () => {
    const a = report(await evaluate({ ...base, promptType: 'click', tasks: dataset.tasks.map((t) => t.name) }));
    const b = report(await evaluate({ ...base, promptType: 'click', tasks: dataset.tasks.map((t) => t.name) }));
    expect(a).toEqual(b);
    expect(a.tasks).toHaveLength(4);
    expect(a.tasks[0].model).toBeUndefined();
    const empty = report(await evaluate({ ...base, promptType: 'bbox' }, async (x) => new Float32Array(x.batch * 32 * 32).fill(-1)));
    expect(empty.mean.model).toBe(0);
    const bad = await evaluate({ ...base, promptType: 'click', templates: 0 });
    expect(E.isLeft(bad) && bad.left.message).toBe('templates must be a positive integer, got 0');
  });
});
