import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, toModelProto } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { Model, hostTensor } from '../../src/runtime/session.js';
import {
  manifestFromModel,
  readTritonConfig,
  tritonConfigText,
  TritonConfigError,
  writeTritonRepository,
  type ModelManifest,
} from '../../src/compile/triton.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { manifestTensors } from '../../graphs/oneprompt/compile.js';
import { smallGraph } from './small-graph.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'oneprompt-triton-'));
type Tensor = { name: string; data_type: string; dims: number[]; reshape?: unknown };

describe('writeTritonRepository', () => {
  it("writes <name>/1/model.onnx and a config.pbtxt that parses against Triton's schema and names every input and output", async () => {
    const bytes = emit(smallGraph());
    const manifest = manifestFromModel(bytes);
    const dir = tmp();
    try {
      const repo = writeTritonRepository(dir, { name: 'oneprompt-small', modelBytes: bytes, manifest, device: 'gpu', maxBatch: 8, instances: 2 });
      expect(readdirSync(dir)).toEqual(['oneprompt-small']);
      expect(repo.modelPath).toBe(join(dir, 'oneprompt-small', '1', 'model.onnx'));
      expect(Buffer.from(readFileSync(repo.modelPath)).equals(Buffer.from(bytes))).toBe(true);

      const cfg = readTritonConfig(readFileSync(repo.configPath, 'utf8'));
      expect(cfg.name).toBe('oneprompt-small');
      expect(cfg.platform).toBe('onnxruntime_onnx');
      expect(cfg.max_batch_size).toBe(8);
      // Batch dim excluded when max_batch_size > 0.
      expect(cfg.input).toEqual([
        { name: 'image', data_type: 'TYPE_FP32', dims: [1, 8, 8] },
        { name: 'prompt', data_type: 'TYPE_FP32', dims: [1, 1, 4] },
      ]);
      expect((cfg.output as Tensor[]).map((o) => [o.name, o.data_type, o.dims])).toEqual([
        ['logits', 'TYPE_FP32', [1, 8, 8]],
        ['gate', 'TYPE_FP32', [1, 1, 8]],
      ]);
      expect(cfg.dynamic_batching).toEqual({ max_queue_delay_microseconds: 100 });
      expect(cfg.instance_group).toEqual([{ count: 2, kind: 'KIND_GPU' }]);

      // The written model is the runnable model.
      const m = await Model.load(repo.modelPath);
      const out = await m.run({ image: hostTensor(new Float32Array(2 * 64), [2, 1, 8, 8]), prompt: hostTensor(new Float32Array(8), [2, 1, 1, 4]) });
      expect(out.logits.dims).toEqual([2, 1, 8, 8]);
      await m.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CPU instances without batching: the batch dim becomes -1, no dynamic batching', () => {
    const bytes = emit(smallGraph());
    const dir = tmp();
    try {
      const repo = writeTritonRepository(dir, {
        name: 'cpu_model',
        modelBytes: bytes,
        manifest: manifestFromModel(bytes),
        device: 'cpu',
        maxBatch: 0,
        instances: 1,
      });
      const cfg = readTritonConfig(repo.config);
      expect(cfg.max_batch_size).toBe(0);
      expect((cfg.input as Tensor[]).map((i) => i.dims)).toEqual([
        [-1, 1, 8, 8],
        [-1, 1, 1, 4],
      ]);
      expect(cfg.dynamic_batching).toBeUndefined();
      expect(cfg.instance_group).toEqual([{ count: 1, kind: 'KIND_CPU' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a float16 model with float16 I/O declares TYPE_FP16', () => {
    const bytes = onnx.ModelProto.encode(toFloat16(toModelProto(smallGraph()), { io: 'float16' })).finish();
    const cfg = readTritonConfig(tritonConfigText({ name: 'half', manifest: manifestFromModel(bytes), device: 'gpu', maxBatch: 4, instances: 1 }));
    expect((cfg.input as Tensor[]).map((i) => i.data_type)).toEqual(['TYPE_FP16', 'TYPE_FP16']);
    expect((cfg.output as Tensor[]).map((o) => o.data_type)).toEqual(['TYPE_FP16', 'TYPE_FP16']);
  });

  it('other symbolic dims become -1; a tensor with only the batch dim is declared [1] and reshaped to []', () => {
    const manifest: ModelManifest = {
      inputs: [{ name: 'tokens', shape: ['B', 'N', 16], dtype: 'int64' }],
      outputs: [{ name: 'score', shape: ['B'], dtype: 'float32' }],
    };
    const cfg = readTritonConfig(tritonConfigText({ name: 'seq', manifest, device: 'gpu', maxBatch: 2, instances: 1 }));
    expect(cfg.input).toEqual([{ name: 'tokens', data_type: 'TYPE_INT64', dims: [-1, 16] }]);
    expect(cfg.output).toEqual([{ name: 'score', data_type: 'TYPE_FP32', dims: [1], reshape: {} }]);
  });

  it('refuses, before writing anything, a manifest that does not match the model or cannot be batched', () => {
    const bytes = emit(smallGraph());
    const manifest = manifestFromModel(bytes);
    const dir = tmp();
    const write =
      (m: ModelManifest, extra: Partial<{ name: string; maxBatch: number }> = {}) =>
      () =>
        writeTritonRepository(dir, { name: 'm', modelBytes: bytes, manifest: m, device: 'gpu', maxBatch: 4, instances: 1, ...extra });
    try {
      const wrongType = { ...manifest, inputs: manifest.inputs.map((t, i) => (i === 0 ? { ...t, dtype: 'float16' } : t)) };
      expect(write(wrongType)).toThrow(/'image' is float32 in the model but float16 in the manifest/);
      expect(write({ ...manifest, outputs: manifest.outputs.slice(0, 1) })).toThrow(/outputs 'gate' are missing from the manifest/);
      expect(write({ ...manifest, inputs: [...manifest.inputs, { name: 'extra', shape: ['B'], dtype: 'float32' }] })).toThrow(/'extra' is not in the model/);
      expect(write(manifest, { name: '../escape' })).toThrow(TritonConfigError);
      expect(write(manifest, { maxBatch: -1 })).toThrow(/maxBatch must be an integer ≥ 0/);
      const unbatched: ModelManifest = { inputs: [{ name: 'x', shape: [3], dtype: 'float32' }], outputs: [] };
      expect(() => tritonConfigText({ name: 'u', manifest: unbatched, device: 'cpu', maxBatch: 4, instances: 1 })).toThrow(
        /'x' \[3\] has no leading batch dim 'B'/,
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Triton configs for the One-Prompt configurations', () => {
  for (const name of Object.keys(configs) as (keyof typeof configs)[])
    it(`${name}: config.pbtxt parses against the schema and names every model input and output`, () => {
      const model = buildOnePrompt(configs[name], 0);
      const manifest = manifestTensors(model);
      for (const device of ['gpu', 'cpu'] as const) {
        const cfg = readTritonConfig(tritonConfigText({ name: `oneprompt-${name}`, manifest, device, maxBatch: 8, instances: 1 }));
        expect((cfg.input as Tensor[]).map((i) => i.name)).toEqual(model.graph.inputs.map((i) => i.name));
        expect((cfg.output as Tensor[]).map((o) => o.name)).toEqual(model.graph.outputs.map((o) => o.name));
        for (const t of [...(cfg.input as Tensor[]), ...(cfg.output as Tensor[])]) {
          const declared = [...model.graph.inputs, ...model.graph.outputs].find((v) => v.name === t.name)!.value.shape;
          expect(t.dims).toEqual(declared.slice(1));
          expect(t.data_type).toBe('TYPE_FP32');
        }
      }
    });

  it('tiny: the whole repository is written, and its model file is the compiled model', () => {
    const model = buildOnePrompt(configs.tiny, 0);
    const bytes = emit(model.graph);
    const dir = tmp();
    try {
      const repo = writeTritonRepository(dir, {
        name: 'oneprompt-tiny',
        modelBytes: bytes,
        manifest: manifestTensors(model),
        device: 'gpu',
        maxBatch: 8,
        instances: 1,
      });
      expect(existsSync(repo.modelPath)).toBe(true);
      expect(readTritonConfig(readFileSync(repo.configPath, 'utf8')).platform).toBe('onnxruntime_onnx');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
