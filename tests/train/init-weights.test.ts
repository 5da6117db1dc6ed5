// Fine-tuning: `train --init FILE` starts from a compiled ONNX model's or a safetensors file's weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/app/data/synth.js';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { runTrainingJob } from '../../src/train/run.js';
import { readSafetensors } from '../../src/util/safetensors.js';
import { compiledConfig } from '../../graphs/oneprompt/compile.js';
import '../../src/app/train/tasks.js'; // the One-Prompt configurations' training tasks

const DEFAULT_MODEL = 'compiled/oneprompt-default.onnx';
// The configuration and image size the shipped weights were trained in, as the manifest records them.
const shipped = compiledConfig(DEFAULT_MODEL);
const quiet = { write: () => true };
let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = mkdtempSync(join(tmpdir(), 'init-data-'));
  synthesize({ out: data, tasks: 2, images: 5, size: shipped.size, seed: 1 });
});

/** Float32 initializers of an ONNX file by name. */
const initializers = (path: string) =>
  new Map(
    (onnx.ModelProto.decode(readFileSync(path)).graph?.initializer ?? [])
      .filter((t) => t.dataType === 1 && t.rawData?.length)
      .map((t) => [t.name!, new Float32Array(Uint8Array.from(t.rawData!).buffer)]),
  );
const maxDiff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>, names: string[]) =>
  names.reduce((m, n) => a.get(n)!.reduce((mm, v, i) => Math.max(mm, Math.abs(v - b.get(n)![i])), m), 0);

const firstStep = (run: string) => JSON.parse(readFileSync(join(run, 'loss.jsonl'), 'utf8').split('\n')[0]) as { loss: number; dice: number };
const train = (out: string, init?: string) =>
  runTrainingJob({ config: shipped.name, data, epochs: 1, batch: 2, lr: 1e-12, warmupSteps: 0, backend: 'wasm', out, init, stderr: quiet });

describe('train --init', () => {
  it('starts from a compiled model: at a vanishing learning rate its weights come out unchanged', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'init-fresh-'));
    const tuned = mkdtempSync(join(tmpdir(), 'init-tuned-'));
    await train(fresh);
    await train(tuned, DEFAULT_MODEL);
    const start = initializers(DEFAULT_MODEL);
    const params = [...readSafetensors(join(tuned, 'last.safetensors')).tensors.keys()].filter((n) => !n.startsWith('__'));
    expect(params.length).toBeGreaterThan(100);
    expect(maxDiff(initializers(join(tuned, 'model.onnx')), start, params)).toBeLessThan(1e-6);
    expect(maxDiff(initializers(join(fresh, 'model.onnx')), start, params)).toBeGreaterThan(1e-2);
    // The first step's forward pass ran on those weights: its loss is not the seeded model's.
    expect(firstStep(tuned).loss).not.toBeCloseTo(firstStep(fresh).loss, 3);
  });

  it('starts from a safetensors checkpoint the same way', async () => {
    const first = mkdtempSync(join(tmpdir(), 'init-first-'));
    const second = mkdtempSync(join(tmpdir(), 'init-second-'));
    await train(first, DEFAULT_MODEL);
    await train(second, join(first, 'last.safetensors'));
    const names = [...initializers(DEFAULT_MODEL).keys()].filter((n) => !n.includes('/'));
    expect(maxDiff(initializers(join(second, 'model.onnx')), initializers(DEFAULT_MODEL), names)).toBeLessThan(1e-6);
  });

  it('refuses weights of another configuration or precision, naming file and tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-bad-'));
    const half = join(dir, 'half.onnx');
    writeFileSync(half, onnx.ModelProto.encode(toFloat16(onnx.ModelProto.decode(readFileSync(DEFAULT_MODEL)))).finish());
    await expect(train(join(dir, 'r1'), half)).rejects.toThrow(/half\.onnx: '[\w.]+' is not float32 \(ONNX type 10\); start from a float32 model/);
    const other = join(dir, 'other.onnx');
    const m = onnx.ModelProto.decode(readFileSync(DEFAULT_MODEL));
    m.graph!.initializer = m.graph!.initializer!.filter((t) => t.name !== 'head.logits.weight');
    writeFileSync(other, onnx.ModelProto.encode(m).finish());
    await expect(train(join(dir, 'r2'), other)).rejects.toThrow(
      /other\.onnx: no initializer for 'head\.logits\.weight' \(a model of another configuration\?\)/,
    );
  });
});
