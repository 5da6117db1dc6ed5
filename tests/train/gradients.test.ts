// Each differentiable op's tfjs gradient (through our kernels) vs central finite differences, on small
// shapes, float32. Inputs are kept away from kinks (0 for relu/abs, ties for max/min, integers for floor).
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/dsl/build.js';
import * as dsl from '../../src/dsl/index.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { ParamStore } from '../../src/dsl/params.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { TF } from '../../src/dsl/graph.js';
import type { Graph } from '../../src/dsl/build.js';
import { mulberry32 } from '../../src/dsl/rng.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { useBackend } from '../../src/train/backend.js';
import { checkGradients, GradCheckFailure } from '../../src/testing/gradcheck.js';
import { segmentationLoss } from '../../src/train/loss.js';

type T = Tensor<Shape, 'float32'>;
const f = dsl as unknown as Record<string, (...a: unknown[]) => T>;

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

/** Values in ±[lo, hi] (random sign unless positive), seeded. */
function values(dims: number[], seed: number, lo = 0.2, hi = 1.2, positive = false): HostTensor {
  const r = mulberry32(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => (lo + (hi - lo) * r()) * (positive || r() < 0.5 ? 1 : -1));
  return { dtype: 'float32', dims, data };
}

function oneInput(op: (x: T) => T, dims: number[], feed: HostTensor): { graph: Graph; feeds: Record<string, HostTensor> } {
  const x = input('x', dims);
  return { graph: build({ inputs: { x }, outputs: { y: op(x) } }), feeds: { x: feed } };
}
function twoInputs(op: (a: T, b: T) => T, da: number[], db: number[], fa: HostTensor, fb: HostTensor) {
  const a = input('a', da);
  const b = input('b', db);
  return { graph: build({ inputs: { a, b }, outputs: { y: op(a, b) } }), feeds: { a: fa, b: fb } };
}

const unaries: Record<string, { positive?: boolean; lo?: number; hi?: number }> = {
  relu: {}, sigmoid: {}, tanh: {}, exp: {}, sin: {}, cos: {}, neg: {}, abs: {}, erf: {}, softplus: {}, gelu: {},
  log: { positive: true, lo: 0.5, hi: 2 }, sqrt: { positive: true, lo: 0.5, hi: 2 }, reciprocal: { positive: true, lo: 0.5, hi: 2 },
  // Away from integers, floor's derivative is 0 both ways.
  floor: { lo: 0.2, hi: 0.8 },
};

describe('tfjs gradients == central finite differences', () => {
  for (const [name, dom] of Object.entries(unaries))
    it(name, () => {
      const { graph, feeds } = oneInput((x) => f[name](x), [2, 3], values([2, 3], 5, dom.lo, dom.hi, dom.positive));
      expect(checkGradients({ tf, graph, feeds }).checked).toBe(6);
    });

  it('leakyRelu', () => {
    const { graph, feeds } = oneInput((x) => f.leakyRelu(x, 0.2), [2, 3], values([2, 3], 6));
    checkGradients({ tf, graph, feeds });
  });

  // Broadcasting binaries: the gradient of the broadcast operand is summed over the broadcast axes.
  for (const name of ['add', 'sub', 'mul', 'div'])
    it(`${name} with broadcasting`, () => {
      const { graph, feeds } = twoInputs((a, b) => f[name](a, b), [2, 3, 4], [3, 1], values([2, 3, 4], 1), values([3, 1], 2, 0.5, 1.5));
      expect(checkGradients({ tf, graph, feeds }).checked).toBe(27);
    });

  it('pow (positive base)', () => {
    const { graph, feeds } = twoInputs((a, b) => f.pow(a, b), [2, 3], [3], values([2, 3], 3, 0.5, 2, true), values([3], 4, 0.5, 2));
    checkGradients({ tf, graph, feeds });
  });

  for (const name of ['maximum', 'minimum'])
    it(`${name} (no ties)`, () => {
      const a = values([2, 3], 7);
      const b = { ...a, data: Float32Array.from(a.data as Float32Array, (v, i) => v + (i % 2 ? 0.3 : -0.3)) };
      const { graph, feeds } = twoInputs((p, q) => f[name](p, q), [2, 3], [2, 3], a, b);
      checkGradients({ tf, graph, feeds });
    });

  it('where (gradient flows to the chosen branch)', () => {
    const { graph, feeds } = twoInputs((a, b) => f.where(f.greater(a, 0), f.mul(a, b), f.exp(b)), [2, 3], [3], values([2, 3], 8), values([3], 9));
    checkGradients({ tf, graph, feeds });
  });

  it('matmul, batched with a broadcast right operand', () => {
    const { graph, feeds } = twoInputs((a, b) => f.matmul(a, b), [2, 3, 4], [4, 5], values([2, 3, 4], 10), values([4, 5], 11));
    checkGradients({ tf, graph, feeds });
  });

  it('matmul, both batched', () => {
    const { graph, feeds } = twoInputs((a, b) => f.matmul(a, b), [2, 3, 4], [2, 4, 2], values([2, 3, 4], 12), values([2, 4, 2], 13));
    checkGradients({ tf, graph, feeds });
  });

  it('linear layers (parameter gradients too)', () => {
    const root = new ParamStore(4).root();
    const x = input('x', [3, 5]);
    const y = dsl.linear(root.at('l2'), f.tanh(dsl.linear(root.at('l1'), x, 4) as never) as never, 2);
    const r = checkGradients({ tf, graph: build({ inputs: { x }, outputs: { y } }), feeds: { x: values([3, 5], 14) } });
    expect(r.checked).toBe(15 + 20 + 4 + 8 + 2);
  });

  it('shape ops: reshape, transpose, concat, stack, slice, split, squeeze, unsqueeze, flatten', () => {
    const x = input('x', [2, 3, 4]);
    const t = f.transpose(x, [2, 0, 1]); // 4 2 3
    const r = f.reshape(t, [8, 3]);
    const c = f.concat([r, f.mul(r, r)], 0); // 16 3
    const s = f.slice(c, 0, 3, 11); // 8 3
    const [p, q] = f.split(s, 0, [3, 5]) as unknown as T[];
    const st = f.stack([f.squeeze(f.unsqueeze(p, [0]), [0]), f.mul(p, 2)], 1); // 3 2 3
    const fl = f.flatten(q, 0, -1);
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: { st, fl } }), feeds: { x: values([2, 3, 4], 15) } });
  });

  it('conv2d with stride, padding, dilation and groups (weights and bias as inputs)', () => {
    const x = input('x', [2, 4, 6, 6]);
    const w = input('w', [6, 2, 3, 3]);
    const b = input('b', [6]);
    const y = f.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 });
    const r = checkGradients({ tf, graph: build({ inputs: { x, w, b }, outputs: { y } }), feeds: { x: values([2, 4, 6, 6], 20), w: values([6, 2, 3, 3], 21), b: values([6], 22) }, maxElements: 40 });
    expect(r.checked).toBe(40 + 40 + 6);
  });

  it('convTranspose2d with stride, padding and output padding', () => {
    const x = input('x', [1, 3, 4, 4]);
    const w = input('w', [3, 2, 3, 3]);
    const b = input('b', [2]);
    const y = f.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 });
    checkGradients({ tf, graph: build({ inputs: { x, w, b }, outputs: { y } }), feeds: { x: values([1, 3, 4, 4], 23), w: values([3, 2, 3, 3], 24), b: values([2], 25) }, maxElements: 40 });
  });

  it('a conv layer (parameters) with GELU', () => {
    const root = new ParamStore(5).root();
    const x = input('x', [2, 3, 5, 5]);
    const y = f.gelu(dsl.conv2dLayer(root.at('conv'), x as never, { out: 4, kernel: 3, padding: 1 } as never) as never);
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: { y } }), feeds: { x: values([2, 3, 5, 5], 26) }, maxElements: 30 });
  });

  it('maxPool2d and avgPool2d with padding (distinct values: no ties)', () => {
    const x = input('x', [1, 2, 6, 6]);
    const m = f.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 });
    const a = f.avgPool2d(x, { kernel: [2, 3], stride: [2, 1], padding: [1, 1] });
    const data = Float32Array.from({ length: 72 }, (_, i) => ((i * 37) % 72) / 20 - 1.8);
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: { m, a } }), feeds: { x: { dtype: 'float32', dims: [1, 2, 6, 6], data } } });
  });

  it('resize, bilinear up and down and nearest', () => {
    const x = input('x', [1, 2, 4, 5]);
    const up = f.resize(x, { size: [7, 9] });
    const down = f.resize(x, { size: [3, 2] });
    const near = f.resize(x, { scale: 2 }, 'nearest');
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: { up, down, near } }), feeds: { x: values([1, 2, 4, 5], 27) } });
  });

  it('reductions (mean, sum, max, min; distinct values)', () => {
    const x = input('x', [3, 4, 2]);
    const data = Float32Array.from({ length: 24 }, (_, i) => ((i * 11) % 24) / 10 - 1.1);
    const outs = { mean: f.reduceMean(x, [1]), sum: f.reduceSum(x, [0, 2], true), max: f.reduceMax(x, [-1]), min: f.reduceMin(x) };
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: outs }), feeds: { x: { dtype: 'float32', dims: [3, 4, 2], data } } });
  });

  it('softmax on the last and a middle axis', () => {
    const x = input('x', [2, 3, 4]);
    checkGradients({ tf, graph: build({ inputs: { x }, outputs: { last: f.softmax(x), mid: f.softmax(x, 1) } }), feeds: { x: values([2, 3, 4], 28) } });
  });

  it('layerNormalization (scale and bias as inputs)', () => {
    const x = input('x', [2, 3, 4]);
    const g = input('g', [3, 4]);
    const b = input('b', [3, 4]);
    const y = f.layerNormalization(x, g, b, { axis: 1 });
    checkGradients({ tf, graph: build({ inputs: { x, g, b }, outputs: { y } }), feeds: { x: values([2, 3, 4], 29), g: values([3, 4], 30), b: values([3, 4], 31) } });
  });

  it('multi-head attention', () => {
    const q = input('q', [2, 3, 4]);
    const k = input('k', [2, 5, 4]);
    const v = input('v', [2, 5, 6]);
    const y = f.attention(q, k, v, { heads: 2 });
    checkGradients({ tf, graph: build({ inputs: { q, k, v }, outputs: { y } }), feeds: { q: values([2, 3, 4], 32), k: values([2, 5, 4], 33), v: values([2, 5, 6], 34) } });
  });

  it('the training loss (cross-entropy + soft Dice) with respect to logits', () => {
    const logits = values([2, 1, 3, 3], 16, 0.1, 2);
    const target = { dtype: 'float32' as const, dims: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0) };
    const g = tf.grad((x: ReturnType<TF['tensor']>) => {
      const l = segmentationLoss(tf, x, tf.tensor(target.data, [...target.dims]));
      return l.loss;
    })(tf.tensor(logits.data as Float32Array, [...logits.dims]));
    const analytic = g.dataSync();
    const lossAt = (data: Float32Array) => tf.tidy(() => segmentationLoss(tf, tf.tensor(data, [...logits.dims]), tf.tensor(target.data, [...target.dims])).loss.dataSync()[0]);
    const eps = 5e-3;
    for (let i = 0; i < 18; i++) {
      const up = Float32Array.from(logits.data as Float32Array);
      const down = Float32Array.from(logits.data as Float32Array);
      up[i] += eps;
      down[i] -= eps;
      expect(Math.abs(analytic[i] - (lossAt(up) - lossAt(down)) / (2 * eps))).toBeLessThan(2e-3);
    }
    g.dispose();
  });

  it('catches a wrong gradient (the check can fail)', () => {
    // An op whose kernel has the right value but a gradient scaled by 2 (a custom gradient).
    const x = input('x', [4]);
    const y = f.sin(x);
    const graph = build({ inputs: { x }, outputs: { y } });
    const node = graph.nodes[0];
    const wrongGrad = {
      ...node.op,
      tfjs: (t: TF, [v]: ReturnType<TF["tensor"]>[]) => [t.customGrad(((a: ReturnType<TF["tensor"]>) => ({ value: t.sin(a), gradFunc: (dy: ReturnType<TF["tensor"]>) => t.mul(dy, t.mul(t.cos(a), 2)) })) as never)(v)],
    };
    const bent = { ...graph, nodes: [{ ...node, op: wrongGrad }] } as Graph;
    expect(() => checkGradients({ tf, graph: bent, feeds: { x: values([4], 17) } })).toThrow(GradCheckFailure);
  });
});
