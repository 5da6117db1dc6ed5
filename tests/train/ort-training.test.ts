// Training on ONNX Runtime (`train --backend ort`): the emitted training-step model passes Debian's ONNX checker
// and strict shape inference; the loss falls; a run killed by SIGKILL resumes to exactly the weights and log of
// an uninterrupted one; frozen parameters stay; --init, --device cuda's fallback and auto's choice.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ParamStore } from '../../src/dsl/params.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { Model } from '../../src/runtime/session.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { loadCheckpoint, loadWeights } from '../../src/train/checkpoint.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { DataRng } from '../../src/train/rng.js';
import { readSafetensors } from '../../src/util/safetensors.js';
import { runTrainingJob } from '../../src/train/run.js';
import { registerTask, taskNames } from '../../src/train/task.js';
import { blobsImageBatch } from '../../src/train/tasks/blobs.js';
import { getTask } from '../../src/app/train/tasks.js';
import { OrtEngine, trainingStepModel } from '../../src/train/ort/engine.js';
import { momentName } from '../../src/train/adam.js';
import { slowBlobsTask } from './fixtures/slow-blobs.js';
import { expectKilledRunResumesExactly } from './fixtures/kill-resume.js';
import { quiet, readLog as readRunLog, tmp } from './fixtures/run-helpers.js';

beforeAll(() => {
  if (!taskNames().includes('blobs-slow')) registerTask(slowBlobsTask(0));
});

const readLog = (dir: string) => readRunLog(dir);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the training-step model', () => {
  it.skipIf(!onnxCheckerAvailable())('of One-Prompt tiny passes the ONNX checker (full) and strict shape inference, with the declared shapes', () => {
    const task = getTask('tiny');
    const model = task.model(new ParamStore(0));
    const { step, bytes } = trainingStepModel({ graph: model.graph, logits: model.logits, freeze: ['encoder.stem.'], schedule: { lr: 1e-3, totalSteps: 10 } });
    const path = join(tmp('step-'), 'tiny-step.onnx');
    writeFileSync(path, bytes);
    const [r] = checkModels([path]);
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    for (const name of ['loss', 'ce', 'dice_loss', 'dice', 'lr']) expect(r.outputs[name]).toEqual([]);
    const w = step.trainable.find((p) => p.name === 'decoder.0.ffn.fc1.weight')!;
    expect(r.outputs[`new:${w.name}`]).toEqual([...w.shape]);
    expect(r.outputs[`new:${momentName('v', w.name)}`]).toEqual([...w.shape]);
    // Frozen parameters are constants of the step: neither inputs nor updated.
    expect(step.trainable.some((p) => p.name.startsWith('encoder.stem.'))).toBe(false);
    expect(step.trainable.length).toBeGreaterThan(100);
  });
});

describe('training on ONNX Runtime', () => {
  it('the loss falls and Dice rises on the conv blobs task; the run leaves its files and its ONNX model holds the trained weights', async () => {
    const out = tmp('ort-run-');
    const lines: string[] = [];
    const r = await runTrainingJob({
      config: 'blobs-conv',
      data: 'synthetic:256',
      epochs: 3,
      batch: 8,
      lr: 0.02,
      backend: 'ort',
      out,
      stderr: { write: (s: string) => lines.push(s), isTTY: false },
    });
    expect(r.backend).toBe('ort');
    expect(lines.join('')).toMatch(/train: backend ort \(ONNX Runtime cpu/);
    const log = readLog(out);
    expect(log.map((l) => l.step)).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
    expect(mean(log.slice(-10).map((l) => l.loss))).toBeLessThan(0.8 * mean(log.slice(0, 10).map((l) => l.loss)));
    expect(mean(log.slice(-10).map((l) => l.dice))).toBeGreaterThan(0.6);
    // The schedule ran in the graph: warm-up to the peak, then the cosine down to 1% of it.
    expect(Math.max(...log.map((l) => l.lr))).toBeCloseTo(0.02, 6);
    expect(log.at(-1)!.lr).toBeCloseTo(0.0002, 6);
    expect(PNG.sync.read(readFileSync(r.files.curve)).width).toBe(720);
    expect(loadCheckpoint(r.files.checkpoint).step).toBe(96);

    // model.onnx holds the checkpoint's weights: its ONNX Runtime forward equals tfjs's on them.
    const model = getTask('blobs-conv').model(new ParamStore(0));
    loadWeights(r.files.checkpoint, model.graph.params);
    const { tf } = await useBackend('wasm');
    const ex = new TfjsExecutor(tf, model.graph);
    const batch = blobsImageBatch(new DataRng(5), 2, 16);
    const mine = (await ex.runHost(batch.inputs))[model.logits].data as Float32Array;
    ex.dispose();
    const ort = await Model.load(r.files.onnx, { threads: 1 });
    const theirs = (await ort.run(batch.inputs))[model.logits].data as Float32Array;
    await ort.release();
    const scale = Math.max(...Array.from(theirs, Math.abs));
    expect(Math.max(...Array.from(mine, (v, i) => Math.abs(v - theirs[i]))) / scale).toBeLessThan(1e-4);
    expect(sameBytes(model.graph.params[0].values(), getTask('blobs-conv').model(new ParamStore(0)).graph.params[0].values())).toBe(false);
  });

  it('a run killed by SIGKILL resumes with --resume to the weights, moments and log of an uninterrupted run, bit for bit', async () => {
    // Killed once a checkpoint past the first exists (60 steps at ≥ 40 ms each leave a wide window).
    await expectKilledRunResumesExactly('ort', ['--threads', '2'], 12, 40);
  });

  it("the step's state I/O: ONNX Runtime-allocated outputs and preallocated double buffers give the same bits", async () => {
    const run = async (io: 'bind' | 'copy') => {
      const model = getTask('blobs-conv').model(new ParamStore(0));
      const engine = await OrtEngine.create({ graph: model.graph, logits: model.logits, schedule: { lr: 0.01, totalSteps: 5 }, batch: 4, threads: 1, io });
      const rng = new DataRng(2);
      for (let s = 0; s < 5; s++) await engine.step(blobsImageBatch(rng, 4, 16), s);
      const out = [...engine.readParams(), ...engine.optimizerState()];
      await engine.dispose();
      return out;
    };
    const [a, b] = [await run('copy'), await run('bind')];
    expect(b.map(([n]) => n)).toEqual(a.map(([n]) => n));
    a.forEach(([name, data], i) => expect(sameBytes(b[i][1], data), name).toBe(true));
  });

  it('frozen parameters stay as initialised and have no moments', async () => {
    const out = tmp('ort-freeze-');
    await runTrainingJob({ config: 'blobs', data: 'synthetic:32', batch: 4, backend: 'ort', out, freeze: ['segmenter.fc1.'], stderr: quiet });
    const trained = readSafetensors(join(out, 'last.safetensors')).tensors;
    for (const p of getTask('blobs').model(new ParamStore(0)).graph.params)
      expect(sameBytes(trained.get(p.name)!.data, p.values()), p.name).toBe(p.name.startsWith('segmenter.fc1.'));
    expect([...trained.keys()].some((k) => k.includes('adam.m.segmenter.fc1'))).toBe(false);
    expect([...trained.keys()].some((k) => k.includes('adam.m.segmenter.fc2'))).toBe(true);
  });

  it('--init starts from given weights: at a vanishing learning rate they come out unchanged', async () => {
    const first = tmp('ort-init-a-');
    await runTrainingJob({ config: 'blobs', data: 'synthetic:32', batch: 4, lr: 0.05, backend: 'ort', out: first, stderr: quiet });
    const tuned = tmp('ort-init-b-');
    await runTrainingJob({
      config: 'blobs',
      data: 'synthetic:32',
      batch: 4,
      lr: 1e-12,
      warmupSteps: 0,
      backend: 'ort',
      out: tuned,
      init: join(first, 'last.safetensors'),
      stderr: quiet,
    });
    const a = readSafetensors(join(first, 'last.safetensors')).tensors;
    const b = readSafetensors(join(tuned, 'last.safetensors')).tensors;
    for (const p of getTask('blobs').model(new ParamStore(0)).graph.params) {
      const [x, y] = [a.get(p.name)!.data as Float32Array, b.get(p.name)!.data as Float32Array];
      expect(Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i]))), p.name).toBeLessThan(1e-6);
    }
  });

  it('auto trains on ONNX Runtime; --device cuda without CUDA warns and runs on the CPU; tfjs-only settings are refused', async () => {
    const lines: string[] = [];
    const r = await runTrainingJob({
      config: 'blobs',
      data: 'synthetic:16',
      batch: 4,
      device: 'cuda',
      out: tmp('ort-auto-'),
      stderr: { write: (s: string) => lines.push(s), isTTY: false },
    });
    expect(r.backend).toBe('ort');
    const text = lines.join('');
    expect(text).toMatch(/CUDA is not available/);
    expect(text).toMatch(/train: backend ort \(ONNX Runtime cpu/);
    await expect(
      runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 4, backend: 'wasm', device: 'cuda', out: tmp('ort-x-'), stderr: quiet }),
    ).rejects.toThrow(/--device cuda runs the ONNX Runtime step/);
  });
});
