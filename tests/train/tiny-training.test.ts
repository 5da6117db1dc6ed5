// The tiny One-Prompt configuration trains on tfjs from a synthetic dataset folder (each query paired with a
// random template of its task): the loss falls, and a resumed run draws the batches an uninterrupted one would.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/app/data/synth.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import type { Batch } from '../../src/train/loop.js';
import { DataRng } from '../../src/train/rng.js';
import { runTrainingJob } from '../../src/train/run.js';
import type { TrainData } from '../../src/train/task.js';
import { onePromptTask } from '../../src/app/train/one-prompt-task.js';
import '../../src/app/train/tasks.js'; // the One-Prompt configurations' training tasks

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = mkdtempSync(join(tmpdir(), 'tiny-data-'));
  synthesize({ out: data, tasks: 3, images: 8, size: 64, seed: 1 });
});

describe('training the tiny One-Prompt model', () => {
  it('the loss falls (oneprompt train --config tiny on synthetic data)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tiny-run-'));
    const r = await runTrainingJob({ config: 'tiny', data, epochs: 1, batch: 2, lr: 3e-3, backend: 'wasm', out, stderr: { write: () => true } });
    const log = readFileSync(join(out, 'loss.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { loss: number });
    expect(log.length).toBe(r.totalSteps);
    expect(r.totalSteps).toBeGreaterThanOrEqual(5);
    const last = (log.at(-1)!.loss + log.at(-2)!.loss) / 2;
    expect(last).toBeLessThan(0.95 * log[0].loss);
  });

  it('draws the same batches after a resume: the data order lives in the checkpointed DataRng', async () => {
    // The optimiser and weights side of resuming is checked on the toy task (training.test.ts); here, the
    // One-Prompt data path: a provider restarted from a saved RNG state continues the same sequence.
    const d = (await onePromptTask('tiny').data(data, 3)) as TrainData;
    const straight = new DataRng(11);
    const batches = Array.from({ length: 5 }, (_, step) => d.nextBatch(step, straight) as Batch);
    const rng = new DataRng(11);
    for (let step = 0; step < 2; step++) d.nextBatch(step, rng);
    const resumed = DataRng.fromState(rng.state);
    const d2 = (await onePromptTask('tiny').data(data, 3)) as TrainData;
    for (let step = 2; step < 5; step++) {
      const b = d2.nextBatch(step, resumed) as Batch;
      for (const name of Object.keys(b.inputs))
        expect(Buffer.from(b.inputs[name].data.buffer).equals(Buffer.from(batches[step].inputs[name].data.buffer)), `${name} at step ${step}`).toBe(true);
      expect(Buffer.from(b.target.data.buffer).equals(Buffer.from(batches[step].target.data.buffer))).toBe(true);
    }
    // …and different draws give different batches (the RNG is really used).
    expect(Buffer.from(batches[3].inputs.query.data.buffer).equals(Buffer.from(batches[4].inputs.query.data.buffer))).toBe(false);
  });
});
