// The shipped model must segment what the prompt asks for (issue 14): on samples-heldout (4 NeuroMaps
// structures that the training set of scripts/build-brain-dataset.ts holds out, on the same 4 slices), prompt
// selectivity (src/app/eval/selectivity.ts) must stay at or above SELECTIVITY_FLOOR, stated per prompt type.
//
// The floor applies to any shipped default of 128² or more (the issue-14 default, brain128r, trained on
// runs/data/inia19-128); it is skipped, with that reason, for the pre-issue-14 64² synthetic-data model, which ignored
// the prompt (that is what issue 14 is about). The structures here are held out of training and were never used to
// choose a model (docs/brain-data.md says what was chosen on what).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readDataset } from '../../src/app/data/dataset.js';
import { PROMPT_TYPES } from '../../src/app/data/prompt.js';
import { evaluateSelectivity } from '../../src/app/eval/selectivity.js';
import { runEval } from '../../src/app/cli/eval.js';
import { recordingIO } from '../../src/app/cli/io.js';
import { right } from '../data/either.js';

const SAMPLE = 'samples-heldout';
const MODEL = 'compiled/oneprompt-default.onnx';
/**
 * Dice points per prompt type: what the shipped model (brain128r, w3L) measured here, 60.2 / 64.1 / 61.7 / 73.7, rounded
 * down by 3–4 points for the noise of 4 slices (docs/brain-data.md has the measurements). The target on the full
 * held-out set is 30 for every type (docs/brain-data.md: what the shipped model reaches there). Earlier defaults
 * measured 58.1 / 58.0 / 52.9 / 70.2 (r11), 59.5 / 53.1 / 46.9 / 69.3 (r10), 60.0 / 52.2 / 44.3 / 67.7 (r7),
 * 56.1 / 46.7 / 45.3 / 68.5 (r3), 52.3 / 37.0 / 30.2 / 53.2 (r1) and 27.5 / 4.7 / 24.3 / 52.3 (brain128, e3) here.
 * Candidates not shipped: w3 (w3L without the large targets) 60.9 / 65.3 / 69.5 / 73.8, which lost the whole brain
 * and hemispheres to boxes; s2c (three runs averaged, with a per-type calibration) 51.3 / 59.9 / 53.4 / 74.4, whose
 * clicks fell below the floor.
 */
export const SELECTIVITY_FLOOR: Readonly<Record<(typeof PROMPT_TYPES)[number], number>> = { click: 57, bbox: 60, doodle: 58, seglab: 70 };

const manifest = existsSync('compiled/oneprompt-default.json')
  ? (JSON.parse(readFileSync('compiled/oneprompt-default.json', 'utf8')) as { config: { name: string; size: number } })
  : undefined;
const pending = !manifest || manifest.config.size < 128;
const PENDING_REASON = `PENDING (issue 14): ${MODEL} is the pre-issue-14 ${manifest?.config.name ?? '(missing)'} model at ${manifest?.config.size ?? '?'}²; this floor applies once the new default (brain128r, trained on runs/data/inia19-128) ships`;

describe('prompt selectivity on held-out macaque structures', () => {
  it('the bundled held-out set has several structures labelled on every slice', async () => {
    const ds = right(readDataset(SAMPLE));
    expect(ds.split!.heldout).toHaveLength(4);
    // Baselines only: copying the prompted structure's template mask is selective, so the set can measure it.
    const r = right(
      await evaluateSelectivity({
        dataset: ds,
        promptType: 'seglab',
        quality: 'oracle',
        templates: 4,
        seed: 0,
        geometry: { size: 128, points: 32 },
        batchSize: 8,
      }),
    );
    expect(r.tasks.map((t) => t.task).sort()).toEqual([...ds.split!.heldout].sort());
    for (const t of r.tasks) expect(t.others).toBe(3);
    expect(r.mean!.copy_template).toBeGreaterThan(30);
  });

  if (pending) it.skip(PENDING_REASON, () => {});
  else
    for (const prompt of PROMPT_TYPES)
      it(`${MODEL}: selectivity ≥ ${SELECTIVITY_FLOOR[prompt]} Dice points with ${prompt} prompts`, async () => {
        const r = await runEval(
          { model: MODEL, data: SAMPLE, prompt, quality: 'oracle', templates: 4, tasks: 'heldout', seed: 0, batch: 8, threads: 1 },
          recordingIO(),
        );
        expect(r.selectivity, 'selectivity was not measured').not.toBeNull();
        expect(r.selectivity!.model).toBeGreaterThanOrEqual(SELECTIVITY_FLOOR[prompt]);
      }, 120_000);
});
