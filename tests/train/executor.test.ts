import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/dsl/build.js';
import { add, cast, matmul, mul, relu, sigmoid } from '../../src/dsl/index.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { apply, type OpDef, type TF } from '../../src/dsl/graph.js';
import { ParamStore, init } from '../../src/dsl/params.js';
import { input, wrap } from '../../src/dsl/tensor.js';
import { emit } from '../../src/onnx/emit.js';
import { Model, hostTensor } from '../../src/runtime/session.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { ExecutorError, TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { train } from '../../src/train/loop.js';
import { constantLr } from '../../src/train/schedule.js';
import { blobsBatch, blobsModel } from '../../src/train/tasks/blobs.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i + 1));

function mlp(seed = 3) {
  const store = new ParamStore(seed);
  const x = input('x', ['B', 6]);
  const h = relu(linear(store.root().at('enc'), x, 8));
  const y = linear(store.root().at('head'), h, 2);
  return build({ name: 'mlp', inputs: { x }, outputs: { y, h } });
}

describe('TfjsExecutor', () => {
  it('matches a hand computation of the same weights', async () => {
    const g = mlp();
    const ex = new TfjsExecutor(tf, g);
    const xs = ramp(12);
    const out = await ex.runHost({ x: hostTensor(xs, [2, 6]) });
    const p = new Map(g.params.map((q) => [q.name, q.values()]));
    const [w1, b1, w2, b2] = ['enc.weight', 'enc.bias', 'head.weight', 'head.bias'].map((n) => p.get(n)!);
    for (let r = 0; r < 2; r++) {
      const h = Array.from({ length: 8 }, (_, j) =>
        Math.max(0, b1[j] + Array.from({ length: 6 }, (_, i) => xs[r * 6 + i] * w1[i * 8 + j]).reduce((a, b) => a + b)),
      );
      for (let k = 0; k < 2; k++) {
        const y = b2[k] + h.reduce((a, hj, j) => a + hj * w2[j * 2 + k], 0);
        expect((out.y.data as Float32Array)[r * 2 + k]).toBeCloseTo(y, 5);
      }
    }
    expect(out.h.dims).toEqual([2, 8]);
    ex.dispose();
  });

  it('leaks no tensors across forward passes, including outputs that are inputs or parameters', async () => {
    const store = new ParamStore(1);
    const x = input('x', [2, 3]);
    const w = store.root().param('w', [3, 3], init.normal(1));
    const y = matmul(x, w);
    const g = build({ inputs: { x }, outputs: { x, w, y, y2: y } });
    const ex = new TfjsExecutor(tf, g);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const outs = ex.run({ x: hostTensor(ramp(6), [2, 3]) });
      expect(Object.keys(outs).sort()).toEqual(['w', 'x', 'y', 'y2']);
      for (const t of Object.values(outs)) t.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    // Outputs not asked for, and converted host feeds, are freed too.
    const m = new TfjsExecutor(tf, mlp());
    const base = tf.memory().numTensors;
    m.run({ x: hostTensor(ramp(12), [2, 6]) }, ['y']).y.dispose();
    expect(tf.memory().numTensors).toBe(base);
    m.dispose();
    // The parameter's variable survived the caller disposing the returned 'w'.
    const again = await ex.runHost({ x: hostTensor(ramp(6), [2, 3]) });
    expect(Array.from(again.w.data as Float32Array)).toEqual(Array.from(g.params[0].values()));
    ex.dispose();
  });

  it('leaks no tensors across training steps (count flat from step 2 on)', async () => {
    const model = blobsModel(new ParamStore(0));
    const ex = new TfjsExecutor(tf, model.graph);
    const counts: number[] = [];
    await train({
      executor: ex,
      logits: model.logits,
      nextBatch: (_s, rng) => blobsBatch(rng, 3, 16),
      totalSteps: 8,
      lr: constantLr(1e-3),
      seed: 1,
      onStep: () => void counts.push(tf.memory().numTensors),
    });
    expect(counts.length).toBe(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
    ex.dispose();
    expect(tf.memory().numTensors).toBeLessThan(counts[0]);
  });

  it('frees intermediates during the forward, not only at the end', () => {
    const x = input('x', [64, 64]);
    let h = x as ReturnType<typeof relu>;
    for (let i = 0; i < 10; i++) h = sigmoid(mul(h, 1.01)) as never;
    let peak = 0;
    let base = 0;
    // A probe after the chain records how many tensors are alive when the last node runs.
    const probe: OpDef = {
      type: 'Probe',
      infer: ([v]) => [{ shape: v.shape, dtype: v.dtype }],
      onnx: () => {},
      tfjs: (t, [v]) => ((peak = t.memory().numTensors - base), [t.clone(v)]),
    };
    const g = build({ inputs: { x }, outputs: { y: wrap(apply(probe, [h.value], {})[0]) } });
    const ex = new TfjsExecutor(tf, g);
    base = tf.memory().numTensors;
    ex.run({ x: hostTensor(ramp(4096), [64, 64]) }).y.dispose();
    // 20 intermediates flow through the chain; by the probe only the feed and the chain's last value are alive.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
    ex.dispose();
  });

  it('honours frozen prefixes and Param.trainable', () => {
    const g = mlp();
    g.params.find((p) => p.name === 'head.bias')!.trainable = false;
    const ex = new TfjsExecutor(tf, g, { freeze: ['enc.'] });
    const trainable = [...ex.variables].filter(([, v]) => v.trainable).map(([n]) => n);
    expect(trainable).toEqual(['head.weight']);
    ex.dispose();
  });

  it('syncParams writes trained values back so that ONNX Runtime computes what tfjs computes', async () => {
    const g = mlp(9);
    const ex = new TfjsExecutor(tf, g);
    ex.loadParams(new Map(g.params.map((p) => [p.name, ramp(p.size, 0.3)])));
    const feeds = { x: hostTensor(ramp(18), [3, 6]) };
    const mine = await ex.runHost(feeds);
    ex.syncParams();
    const m = await Model.load(emit(g), { threads: 1 });
    const ort = await m.run(feeds);
    await m.release();
    const a = mine.y.data as Float32Array;
    const b = ort.y.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    expect(Array.from(g.params[0].values().slice(0, 3))).toEqual(Array.from(ramp(3, 0.3)));
    ex.dispose();
  });

  it('takes int64 feeds (as int32) and returns declared dtypes', async () => {
    const i = input('i', [4], 'int64');
    const g = build({ inputs: { i }, outputs: { f: add(cast(i, 'float32'), 0.5), j: add(i, i) } });
    const ex = new TfjsExecutor(tf, g);
    const out = await ex.runHost({ i: hostTensor(BigInt64Array.of(1n, 2n, -3n, 40n), [4], 'int64') });
    expect(Array.from(out.f.data as Float32Array)).toEqual([1.5, 2.5, -2.5, 40.5]);
    expect(out.j.dtype).toBe('int64');
    expect(Array.from(out.j.data as BigInt64Array)).toEqual([2n, 4n, -6n, 80n]);
    expect(() => ex.run({ i: hostTensor(BigInt64Array.of(1n, 2n, 3n, 2n ** 40n), [4], 'int64') })).toThrow(/does not fit tfjs's int32/);
    ex.dispose();
  });

  it('names the input, the op, the node and the source line in errors', () => {
    const g = mlp();
    const ex = new TfjsExecutor(tf, g);
    expect(() => ex.run({ x: hostTensor(ramp(10), [2, 5]) })).toThrow("input 'x' has shape [2, 5] but the graph declares [B, 6]");
    expect(() => ex.run({})).toThrow("missing input 'x' [B, 6]");
    expect(() => ex.run({ x: hostTensor(ramp(6), [1, 6]), z: hostTensor(ramp(1), [1]) })).toThrow("unknown input(s) 'z'");
    ex.dispose();

    const broken: OpDef = {
      type: 'Broken',
      infer: ([v]) => [{ shape: v.shape, dtype: v.dtype }],
      onnx: () => {},
      tfjs: () => {
        throw new Error('no kernel for this');
      },
    };
    const x = input('x', [2]);
    const y = wrap(apply(broken, [x.value], {})[0]); // <- this line is named in the error
    const g2 = build({ inputs: { x }, outputs: { y } });
    const ex2 = new TfjsExecutor(tf, g2);
    let err: Error | undefined;
    try {
      ex2.run({ x: hostTensor(ramp(2), [2]) });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err!.message).toContain("tfjs kernel of Broken 'Broken' failed on wasm: no kernel for this");
    expect(err!.message).toContain("input 'x' [2]");
    expect(err!.message).toMatch(/executor\.test\.ts:\d+/);
    // The failed run freed what it had made.
    ex2.dispose();
  });
});
