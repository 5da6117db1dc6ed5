// The tiny One-Prompt configuration trains on tfjs from a synthetic dataset folder (each query paired with a
// random template of its task): the loss falls, and an interrupted run resumes to bit-identical weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TF } from '../../src/dsl/graph.js';
import { ParamStore } from '../../src/dsl/params.js';
import { synthesize } from '../../src/data/synth.js';
import { useBackend } from '../../src/train/backend.js';
import { TfjsExecutor } from '../../src/train/executor.js';
import { train } from '../../src/train/loop.js';
import { runTrainingJob } from '../../src/train/run.js';
import { readSafetensors } from '../../src/train/safetensors.js';
import { warmupCosine } from '../../src/train/schedule.js';
import type { TrainData } from '../../src/train/task.js';
import { onePromptTask } from '../../src/train/tasks/one-prompt.js';

let tf: TF;
let data: string;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
  data = mkdtempSync(join(tmpdir(), 'tiny-data-'));
  synthesize({ out: data, tasks: 3, images: 8, size: 64, seed: 1 });
});

describe('training the tiny One-Prompt model', () => {
  it('the loss falls (oneprompt train --config tiny on synthetic data)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tiny-run-'));
    const r = await runTrainingJob({ config: 'tiny', data, epochs: 4, batch: 4, lr: 3e-3, backend: 'wasm', out, stderr: { write: () => true } });
    const log = readFileSync(join(out, 'loss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
    expect(log.length).toBe(r.totalSteps);
    expect(r.totalSteps).toBeGreaterThanOrEqual(8);
    const last = log.slice(-3).reduce((a, l) => a + l.loss, 0) / 3;
    expect(last).toBeLessThan(0.93 * log[0].loss);
  });

  it('resumes an interrupted run to the weights of an uninterrupted one', async () => {
    const task = onePromptTask('tiny');
    const run = async (dir: string, killAt?: number) => {
      const model = task.model(new ParamStore(2));
      const d = (await task.data(data, 2)) as TrainData;
      const ex = new TfjsExecutor(tf, model.graph);
      try {
        await train({
          executor: ex,
          logits: model.logits,
          totalSteps: 6,
          lr: warmupCosine({ lr: 3e-3, totalSteps: 6 }),
          seed: 5,
          resume: true,
          checkpoint: { path: join(dir, 'last.safetensors'), every: 3 },
          nextBatch: (step, rng) => {
            if (step === killAt) throw new Error('killed');
            return d.nextBatch(step, rng);
          },
        });
      } catch (e) {
        if ((e as Error).message !== 'killed') throw e;
      } finally {
        ex.dispose();
      }
    };
    const a = mkdtempSync(join(tmpdir(), 'tiny-a-'));
    const b = mkdtempSync(join(tmpdir(), 'tiny-b-'));
    await run(a);
    await run(b, 4);
    await run(b);
    const x = readSafetensors(join(a, 'last.safetensors')).tensors;
    const y = readSafetensors(join(b, 'last.safetensors')).tensors;
    expect(x.size).toBe(y.size);
    for (const [name, t] of x) expect(Buffer.from(y.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
  });
});
