import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../src/app/data/dataset.js';
import type { ModelInputs } from '../../src/app/inference/model-inputs.js';
import { encodeGreyPng, encodeMaskPng } from '../../src/app/data/png.js';
import { evaluate } from '../../src/app/eval/protocol.js';
import { evaluateSelectivity } from '../../src/app/eval/selectivity.js';
import { runEval } from '../../src/app/cli/eval.js';
import { recordingIO } from '../../src/app/cli/io.js';
import { right } from '../data/either.js';

// Five 24×24 "slices", each with three disjoint structures (a left disc, a right disc, a bottom bar) that move a
// little from slice to slice; one task per structure, all three on the same image files, as `dataset from-labels`
// writes them. A fourth task has images of its own (nothing to compare its prompt with).
const W = 24;
const structures = {
  left: (x: number, y: number, k: number) => (x - 6 - (k % 2)) ** 2 + (y - 8 - k) ** 2 <= 12,
  right: (x: number, y: number, k: number) => (x - 17 + (k % 3)) ** 2 + (y - 9) ** 2 <= 10,
  bar: (x: number, y: number, k: number) => y >= 18 && y < 21 && x >= 4 + k && x < 20,
};
const root = mkdtempSync(join(tmpdir(), 'selectivity-'));
const write = (task: string, name: string, image: Float32Array, mask: Uint8Array) => {
  for (const sub of ['images', 'masks']) mkdirSync(join(root, task, sub), { recursive: true });
  writeFileSync(join(root, task, 'images', name), encodeGreyPng({ width: W, height: W, data: image }));
  writeFileSync(join(root, task, 'masks', name), encodeMaskPng({ width: W, height: W, data: mask }));
};
for (let k = 0; k < 5; k++) {
  const at = (f: (x: number, y: number, k: number) => boolean) => Uint8Array.from({ length: W * W }, (_, i) => (f(i % W, Math.floor(i / W), k) ? 1 : 0));
  const image = Float32Array.from({ length: W * W }, (_, i) =>
    structures.left(i % W, Math.floor(i / W), k)
      ? 0.9
      : structures.right(i % W, Math.floor(i / W), k)
        ? 0.6
        : structures.bar(i % W, Math.floor(i / W), k)
          ? 0.3
          : 0.1,
  );
  for (const [name, f] of Object.entries(structures)) write(name, `s${k}.png`, image, at(f));
  write(
    'alone',
    `a${k}.png`,
    image.map((v) => 1 - v),
    at(structures.left),
  );
}
const dataset = right(readDataset(root));
const base = { dataset, quality: 'oracle' as const, templates: 2, seed: 3, geometry: { size: W, points: 8 }, batchSize: 4 };
/** Answers with the SegLab prompt's mask: the copy-template baseline, as a model. */
const echo = async (x: ModelInputs) => x.prompt_mask.map((v) => (v ? 10 : -10));
/** Answers "everything" whatever the prompt. */
const constant = async (x: ModelInputs) => new Float32Array(x.batch * W * W).fill(1);

describe('prompt selectivity', () => {
  it('is high for a model that follows the prompt, and equals the copy-template baseline for the prompt-mask echo', async () => {
    const r = right(await evaluateSelectivity({ ...base, promptType: 'seglab' }, echo));
    expect(r.tasks.map((t) => t.task)).toEqual(['alone', 'bar', 'left', 'right'].filter((t) => t !== 'alone'));
    for (const t of r.tasks) {
      expect(t.others).toBe(2);
      expect(t.pairs).toBe(2 * 4);
      // Disjoint structures: another structure's mask never overlaps this one, so selectivity = on-target Dice.
      expect(t.selectivity.model!).toBeCloseTo(t.onTarget.model!, 10);
      expect(t.selectivity.model!).toBeCloseTo(t.selectivity.copy_template, 10);
      expect(t.selectivity.model!).toBeGreaterThan(40);
    }
    expect(r.mean!.model!).toBeGreaterThan(40);
  });

  it('is exactly 0 for a model that ignores the prompt', async () => {
    for (const promptType of ['click', 'bbox', 'doodle', 'seglab'] as const) {
      const r = right(await evaluateSelectivity({ ...base, promptType }, constant));
      for (const t of r.tasks) expect(t.selectivity.model, `${promptType} ${t.task}`).toBe(0);
      expect(r.mean!.model).toBe(0);
    }
  });

  it("uses the protocol's templates and prompts: the on-target Dice is the protocol's model Dice", async () => {
    const names = ['bar', 'left', 'right'];
    const protocol = right(await evaluate({ ...base, tasks: names, promptType: 'seglab' }, echo));
    const sel = right(await evaluateSelectivity({ ...base, tasks: names, promptType: 'seglab' }, echo));
    for (const t of sel.tasks) expect(t.onTarget.model).toBeCloseTo(protocol.tasks.find((p) => p.task === t.task)!.model!.dice, 10);
    // Baselines alone (no model): the same numbers for them.
    const alone = right(await evaluateSelectivity({ ...base, tasks: names, promptType: 'seglab' }));
    expect(alone.tasks.map((t) => t.selectivity.copy_template)).toEqual(sel.tasks.map((t) => t.selectivity.copy_template));
    expect(alone.tasks[0].selectivity.model).toBeUndefined();
    // A task alone on its images cannot be measured.
    const none = right(await evaluateSelectivity({ ...base, tasks: ['alone'], promptType: 'click' }, echo));
    expect(none).toEqual({ tasks: [] });
  });

  it('scores the query as a second patient alike in the protocol and in selectivity (--second-patient)', async () => {
    const names = ['bar', 'left', 'right'];
    const opts = { ...base, tasks: names, promptType: 'seglab' as const, secondPatient: 0.5 };
    const protocol = right(await evaluate(opts, echo));
    const sel = right(await evaluateSelectivity(opts, echo));
    // The same warped query in both: the on-target Dice is the protocol's model Dice, and the echo stays the copy baseline.
    for (const t of sel.tasks) {
      expect(t.onTarget.model).toBeCloseTo(protocol.tasks.find((p) => p.task === t.task)!.model!.dice, 10);
      expect(t.selectivity.model!).toBeCloseTo(t.selectivity.copy_template, 10);
    }
    const asRead = right(await evaluateSelectivity({ ...opts, secondPatient: undefined }, echo));
    expect(sel.mean!.copy_template).toBeLessThan(asRead.mean!.copy_template);
  });

  it('`eval --json` puts "selectivity" beside "mean", per task too, and a row in the table', async () => {
    // The CLI needs a model file; the JSON shape is checked on evalJson through runEval's own pieces in tests/cli.
    const { evalJson, evalTable } = await import('../../src/app/cli/eval.js');
    const protocol = right(await evaluate({ ...base, tasks: ['alone', 'bar', 'left', 'right'], promptType: 'seglab' }, echo));
    const sel = right(await evaluateSelectivity({ ...base, tasks: ['alone', 'bar', 'left', 'right'], promptType: 'seglab' }, echo));
    const json = evalJson(protocol, sel);
    expect(Object.keys(json)).toEqual(['tasks', 'mean', 'selectivity', 'interval']);
    // The selectivity interval is over the 3 tasks with other structures, and holds their mean.
    const [lo, hi] = json.interval.selectivity!;
    expect(lo).toBeLessThanOrEqual(json.selectivity!.model + 1e-9);
    expect(hi).toBeGreaterThanOrEqual(json.selectivity!.model - 1e-9);
    expect(json.selectivity!.model).toBeCloseTo(sel.mean!.model!, 10);
    expect(json.tasks.find((t) => t.task === 'alone')!.selectivity).toBeNull();
    expect(json.tasks.find((t) => t.task === 'left')!.selectivity!.copy_template).toBeCloseTo(
      sel.tasks.find((t) => t.task === 'left')!.selectivity.copy_template,
      10,
    );
    expect(evalTable(json)).toMatch(/selectivity \(3 tasks\)\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d/);
    expect(evalTable(json)).toMatch(/95% intervals over tasks \(bootstrap\): mean \[\d+\.\d, \d+\.\d\], selectivity \[-?\d+\.\d, -?\d+\.\d\]$/);
    expect(evalJson(protocol).selectivity).toBeNull();
    expect(evalJson(protocol).interval.selectivity).toBeNull();
  });

  it('`oneprompt eval` measures it with a real model file, and skips it when asked', async () => {
    const io = recordingIO();
    const o = {
      model: 'compiled/oneprompt-tiny.onnx',
      data: root,
      prompt: 'click' as const,
      quality: 'oracle' as const,
      templates: 1,
      tasks: 'all' as const,
      seed: 0,
      batch: 8,
      threads: 1,
    };
    const r = await runEval(o, io);
    expect(r.selectivity).not.toBeNull();
    expect(Number.isFinite(r.selectivity!.model)).toBe(true);
    expect(r.tasks.filter((t) => t.selectivity !== null).map((t) => t.task)).toEqual(['bar', 'left', 'right']);
    expect((await runEval({ ...o, selectivity: false }, io)).selectivity).toBeNull();
  }, 60_000);
});
