import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { input } from '../../src/dsl/tensor.js';
import { add, gelu, matmul } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { saveModel } from '../../src/onnx/save.js';
import { Model, hostTensor } from '../../src/runtime/session.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';

describe('smoke', () => {
  it('builds, emits, validates and runs a small MLP', async () => {
    const store = new ParamStore(7);
    const x = input('x', ['B', 4, 8]);
    const h = gelu(linear(store.root().at('fc1'), x, 16));
    const y = add(matmul(h, store.root().at('fc2').param('weight', [16, 3], { kind: 'uniform', bound: 0.3 })), 1);
    const g = build({ name: 'mlp', inputs: { x }, outputs: { y } });
    const dir = mkdtempSync(join(tmpdir(), 'op-'));
    const path = join(dir, 'mlp.onnx');
    saveModel(g, path);
    if (onnxCheckerAvailable()) {
      const [r] = checkModels([path]);
      expect(r.error).toBeNull();
      expect(r.outputs.y).toEqual(['B', 4, 3]);
    }
    const m = await Model.load(path);
    const out = await m.run({ x: hostTensor(new Float32Array(2 * 4 * 8).fill(0.5), [2, 4, 8]) });
    expect(out.y.dims).toEqual([2, 4, 3]);
  });
});

describe('emission of large initializers', () => {
  it('frames big weights by hand; ONNX Runtime and the checker read them back exactly', async () => {
    const store = new ParamStore(3);
    const x = input('x', [2, 64]);
    const w = store.root().at('big').param('weight', [64, 64], { kind: 'uniform', bound: 1 });
    const y = matmul(x, w);
    const g = build({ inputs: { x }, outputs: { y } });
    const dir = mkdtempSync(join(tmpdir(), 'op-'));
    const path = join(dir, 'big.onnx');
    saveModel(g, path);
    if (onnxCheckerAvailable()) expect(checkModels([path])[0].error).toBeNull();
    const m = await Model.load(path);
    const xs = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const out = (await m.run({ x: hostTensor(xs, [2, 64]) })).y.data as Float32Array;
    const wv = g.params[0].values();
    for (const [r, c] of [
      [0, 0],
      [1, 63],
      [0, 17],
    ]) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += xs[r * 64 + k] * wv[k * 64 + c];
      expect(out[r * 64 + c]).toBeCloseTo(s, 4);
    }
  });
});
