// Training end to end: the loss falls on the toy task; a killed run resumes to exactly the weights,
// losses and optimiser state of an uninterrupted one; the trained ONNX model computes what tfjs does.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { TF } from '../../src/dsl/graph.js';
import { ParamStore } from '../../src/dsl/params.js';
import { Model } from '../../src/runtime/session.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { loadCheckpoint, loadWeights } from '../../src/train/checkpoint.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { ResumeMismatchError, train, type TrainOptions } from '../../src/train/loop.js';
import { readSafetensors } from '../../src/util/safetensors.js';
import { runTrainingJob } from '../../src/train/run.js';
import { warmupCosine } from '../../src/train/schedule.js';
import { registerTask, taskNames } from '../../src/train/task.js';
import { blobsBatch, blobsModel } from '../../src/train/tasks/blobs.js';
import { slowBlobsTask } from './fixtures/slow-blobs.js';
import { expectKilledRunResumesExactly } from './fixtures/kill-resume.js';
import '../../src/app/train/tasks.js'; // the One-Prompt configurations' training tasks
import { quiet, readLog as readRunLog, tmp } from './fixtures/run-helpers.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
  if (!taskNames().includes('blobs-slow')) registerTask(slowBlobsTask(0));
});

const readLog = (dir: string) => readRunLog<{ step: number; loss: number; dice: number }>(dir);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('training on tfjs', () => {
  it('the loss falls and Dice rises on synthetic blobs; the run leaves its files', async () => {
    const out = tmp('run-');
    const r = await runTrainingJob({ config: 'blobs', data: 'synthetic:256', epochs: 3, batch: 8, lr: 0.01, backend: 'wasm', out, stderr: quiet });
    expect(r.totalSteps).toBe(96);
    const log = readLog(out);
    expect(log.map((l) => l.step)).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
    const first = mean(log.slice(0, 10).map((l) => l.loss));
    const last = mean(log.slice(-10).map((l) => l.loss));
    expect(last).toBeLessThan(0.6 * first);
    expect(mean(log.slice(-10).map((l) => l.dice))).toBeGreaterThan(0.7);

    const png = PNG.sync.read(readFileSync(r.files.curve));
    expect([png.width, png.height]).toEqual([720, 400]);
    const ck = loadCheckpoint(r.files.checkpoint);
    expect(ck.step).toBe(96);
    expect(ck.extra.config).toBe('blobs');

    // The ONNX model written at the end holds the trained weights: ONNX Runtime agrees with tfjs on them.
    const model = blobsModel(new ParamStore(0));
    loadWeights(r.files.checkpoint, model.graph.params);
    const ex = new TfjsExecutor(tf, model.graph);
    const batch = blobsBatch(new (await import('../../src/train/rng.js')).DataRng(5), 2, 16);
    const mine = (await ex.runHost(batch.inputs)).mask_logits.data as Float32Array;
    ex.dispose();
    const ort = await Model.load(r.files.onnx, { threads: 1 });
    const theirs = (await ort.run(batch.inputs)).mask_logits.data as Float32Array;
    await ort.release();
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < mine.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs[i]));
      scale = Math.max(scale, Math.abs(theirs[i]));
    }
    expect(maxDiff / scale).toBeLessThan(1e-4);
    // …and they are not the initial weights.
    const init = blobsModel(new ParamStore(0)).graph.params[0].values();
    expect(Array.from(model.graph.params[0].values())).not.toEqual(Array.from(init));
  });

  it('the conv segmenter trains too (conv kernels and their gradients on wasm)', async () => {
    const out = tmp('conv-');
    await runTrainingJob({ config: 'blobs-conv', data: 'synthetic:160', epochs: 1, batch: 4, lr: 0.02, backend: 'wasm', out, stderr: quiet });
    const log = readLog(out);
    expect(log.length).toBe(40);
    expect(mean(log.slice(-8).map((l) => l.loss))).toBeLessThan(0.85 * mean(log.slice(0, 8).map((l) => l.loss)));
  });

  it('an interrupted loop resumes to bit-identical weights, optimiser state and losses', async () => {
    const run = async (dir: string, killAt?: number) => {
      const model = blobsModel(new ParamStore(3));
      const ex = new TfjsExecutor(tf, model.graph);
      const losses: number[] = [];
      const opts: TrainOptions = {
        executor: ex,
        logits: model.logits,
        totalSteps: 24,
        lr: warmupCosine({ lr: 0.01, totalSteps: 24 }),
        seed: 9,
        checkpoint: { path: join(dir, 'last.safetensors'), every: 5, metadata: { batch: '3' } },
        resume: true,
        nextBatch: (step, rng) => {
          if (step === killAt) throw new Error('killed');
          return blobsBatch(rng, 3, 16);
        },
        onStep: (s) => void (losses[s.step - 1] = s.loss),
      };
      try {
        await train(opts);
      } catch (e) {
        if ((e as Error).message !== 'killed') throw e;
      }
      ex.dispose();
      return losses;
    };
    const a = tmp('straight-');
    const straight = await run(a);
    const b = tmp('killed-');
    const before = await run(b, 13);
    expect(loadCheckpoint(join(b, 'last.safetensors')).step).toBe(10);
    const after = await run(b);
    // Steps 11–13 ran twice (lost with the kill, then redone); every step's loss matches the straight run.
    expect([...before.slice(0, 10), ...after.slice(10)]).toEqual(straight);
    expect(before.slice(10, 13)).toEqual(straight.slice(10, 13));
    const x = readSafetensors(join(a, 'last.safetensors'));
    const y = readSafetensors(join(b, 'last.safetensors'));
    expect([...y.tensors.keys()].sort()).toEqual([...x.tensors.keys()].sort());
    for (const [name, t] of x.tensors) expect(Buffer.from(y.tensors.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    expect(y.metadata).toEqual(x.metadata);
  });

  it('a run killed by SIGKILL resumes with --resume to the weights and log of an uninterrupted run', async () => {
    // Killed as soon as the first checkpoint exists (60 steps at ≥ 25 ms each leave a wide window).
    await expectKilledRunResumesExactly('wasm', [], 1, 25);
  });

  it('refuses to resume with different settings, or to overwrite a run without --resume', async () => {
    const out = tmp('mismatch-');
    await runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 4, backend: 'wasm', out, stderr: quiet });
    await expect(runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 4, backend: 'wasm', out, stderr: quiet })).rejects.toThrow(
      'already holds a run',
    );
    await expect(runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 8, backend: 'wasm', out, resume: true, stderr: quiet })).rejects.toThrow(
      ResumeMismatchError,
    );
    await expect(runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 8, backend: 'wasm', out, resume: true, stderr: quiet })).rejects.toThrow(
      'was written with batch = "4", this run has "8"',
    );
    await expect(runTrainingJob({ config: 'nope', data: 'x', out: tmp('x-'), stderr: quiet })).rejects.toThrow(
      /unknown --config 'nope'; available: tiny, small, base, tiny128, brain128, brain128r, brain128p, brain128d, brain128g, blobs/,
    );
  });

  it('frozen parameters stay as initialised', async () => {
    const out = tmp('freeze-');
    await runTrainingJob({ config: 'blobs', data: 'synthetic:32', batch: 4, backend: 'wasm', out, freeze: ['segmenter.fc1.'], stderr: quiet });
    const trained = readSafetensors(join(out, 'last.safetensors')).tensors;
    for (const p of blobsModel(new ParamStore(0)).graph.params) {
      const same = Buffer.from(trained.get(p.name)!.data.buffer).equals(Buffer.from(p.values().buffer));
      expect(same, p.name).toBe(p.name.startsWith('segmenter.fc1.'));
    }
    expect([...trained.keys()].some((k) => k.includes('adam.m.segmenter.fc1'))).toBe(false);
  });
});
