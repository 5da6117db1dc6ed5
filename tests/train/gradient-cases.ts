// The gradient cases: one small graph per differentiable op without examples of its own (an op's `examples` beside
// its OpDef are checked the same way by tests/dsl/op-examples.test.ts), and a few layers, on small float32 shapes,
// with inputs kept away from kinks (0 for relu/abs, ties for max/min, integers for floor). Checked against
// central differences through the tfjs kernels (gradients.test.ts) and through the backward graphs that
// src/autodiff builds from each op's `vjp`, on ONNX Runtime and tfjs (tests/autodiff/vjp.test.ts).
import { build, type Graph } from '../../src/dsl/build.js';
import * as dsl from '../../src/dsl/index.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { ParamStore } from '../../src/dsl/params.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import { mulberry32 } from '../../src/util/rng.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { layerNormParts } from '../../src/dsl/ops/layer-norm-parts.js';
import { conv2dFilterGrad } from '../../src/dsl/ops/conv-grad.js';
import { avgPool2dGrad, maxPool2dGrad } from '../../src/dsl/ops/pool-grad.js';

type T = Tensor<Shape, 'float32'>;
const f = dsl as unknown as Record<string, (...a: unknown[]) => T>;

export interface GradientCase {
  readonly graph: Graph;
  readonly feeds: Record<string, HostTensor>;
  /** Elements perturbed per tensor by the finite-difference check. */
  readonly maxElements?: number;
  /** How many elements the finite-difference check compares (48 per tensor at most by default). */
  readonly checked?: number;
  /** Inputs to perturb (default: every float input; not those read only for their shape, which tfjs cannot differentiate). */
  readonly wrt?: readonly string[];
  /** Why the case has no backward graph (a gradient op without a gradient of its own). */
  readonly noVjp?: string;
}

/** Values in ±[lo, hi] (random sign unless positive), seeded. */
export function values(dims: number[], seed: number, lo = 0.2, hi = 1.2, positive = false): HostTensor {
  const r = mulberry32(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => (lo + (hi - lo) * r()) * (positive || r() < 0.5 ? 1 : -1));
  return { dtype: 'float32', dims, data };
}

function oneInput(op: (x: T) => T, dims: number[], feed: HostTensor): GradientCase {
  const x = input('x', dims);
  return { graph: build({ inputs: { x }, outputs: { y: op(x) } }), feeds: { x: feed } };
}
function twoInputs(op: (a: T, b: T) => T, da: number[], db: number[], fa: HostTensor, fb: HostTensor): GradientCase {
  const a = input('a', da);
  const b = input('b', db);
  return { graph: build({ inputs: { a, b }, outputs: { y: op(a, b) } }), feeds: { a: fa, b: fb } };
}

const unaries: Record<string, { positive?: boolean; lo?: number; hi?: number }> = {
  relu: {},
  sigmoid: {},
  tanh: {},
  exp: {},
  sin: {},
  cos: {},
  neg: {},
  abs: {},
  erf: {},
  softplus: {},
  gelu: {},
  log: { positive: true, lo: 0.5, hi: 2 },
  sqrt: { positive: true, lo: 0.5, hi: 2 },
  reciprocal: { positive: true, lo: 0.5, hi: 2 },
  // Away from integers, floor's derivative is 0 both ways.
  floor: { lo: 0.2, hi: 0.8 },
};

const distinct = (n: number, step: number, shift: number) => Float32Array.from({ length: n }, (_, i) => ((i * step) % n) / 20 - shift);

export const gradientCases: Record<string, () => GradientCase> = {
  ...Object.fromEntries(
    Object.entries(unaries).map(([name, dom]) => [
      name,
      () => ({ ...oneInput((x) => f[name](x), [2, 3], values([2, 3], 5, dom.lo, dom.hi, dom.positive)), checked: 6 }),
    ]),
  ),
  leakyRelu: () => oneInput((x) => f.leakyRelu(x, 0.2), [2, 3], values([2, 3], 6)),
  // Broadcasting binaries: the gradient of the broadcast operand is summed over the broadcast axes.
  ...Object.fromEntries(
    ['add', 'sub', 'mul', 'div'].map((name) => [
      `${name} with broadcasting`,
      () => ({ ...twoInputs((a, b) => f[name](a, b), [2, 3, 4], [3, 1], values([2, 3, 4], 1), values([3, 1], 2, 0.5, 1.5)), checked: 27 }),
    ]),
  ),
  'pow (positive base)': () => twoInputs((a, b) => f.pow(a, b), [2, 3], [3], values([2, 3], 3, 0.5, 2, true), values([3], 4, 0.5, 2)),
  ...Object.fromEntries(
    ['maximum', 'minimum'].map((name) => [
      `${name} (no ties)`,
      () => {
        const a = values([2, 3], 7);
        const b = { ...a, data: Float32Array.from(a.data as Float32Array, (v, i) => v + (i % 2 ? 0.3 : -0.3)) };
        return twoInputs((p, q) => f[name](p, q), [2, 3], [2, 3], a, b);
      },
    ]),
  ),
  'where (gradient flows to the chosen branch)': () =>
    twoInputs((a, b) => f.where(f.greater(a, 0), f.mul(a, b), f.exp(b)), [2, 3], [3], values([2, 3], 8), values([3], 9)),
  'cast float32 → float32 and from a comparison (no gradient through it)': () =>
    twoInputs((a, b) => f.add(f.cast(a, 'float32'), f.mul(f.cast(f.greater(a, b), 'float32'), b)), [2, 3], [3], values([2, 3], 35), values([3], 36)),
  'matmul, batched with a broadcast right operand': () => twoInputs((a, b) => f.matmul(a, b), [2, 3, 4], [4, 5], values([2, 3, 4], 10), values([4, 5], 11)),
  'matmul, both batched': () => twoInputs((a, b) => f.matmul(a, b), [2, 3, 4], [2, 4, 2], values([2, 3, 4], 12), values([2, 4, 2], 13)),
  'matmul, a matrix times a batch': () => twoInputs((a, b) => f.matmul(a, b), [3, 4], [2, 4, 2], values([3, 4], 37), values([2, 4, 2], 38)),
  'linear layers (parameter gradients too)': () => {
    const root = new ParamStore(4).root();
    const x = input('x', [3, 5]);
    const y = dsl.linear(root.at('l2'), f.tanh(dsl.linear(root.at('l1'), x, 4) as never) as never, 2);
    return { graph: build({ inputs: { x }, outputs: { y } }), feeds: { x: values([3, 5], 14) }, checked: 15 + 20 + 4 + 8 + 2 };
  },
  'shape ops: reshape, transpose, concat, stack, slice, split, squeeze, unsqueeze, flatten': () => {
    const x = input('x', [2, 3, 4]);
    const t = f.transpose(x, [2, 0, 1]); // 4 2 3
    const r = f.reshape(t, [8, 3]);
    const c = f.concat([r, f.mul(r, r)], 0); // 16 3
    const s = f.slice(c, 0, 3, 11); // 8 3
    const [p, q] = f.split(s, 0, [3, 5]) as unknown as T[];
    const st = f.stack([f.squeeze(f.unsqueeze(p, [0]), [0]), f.mul(p, 2)], 1); // 3 2 3
    const fl = f.flatten(q, 0, -1);
    return { graph: build({ inputs: { x }, outputs: { st, fl } }), feeds: { x: values([2, 3, 4], 15) } };
  },
  'conv2d with stride, padding, dilation and groups (weights and bias as inputs)': () => {
    const x = input('x', [2, 4, 6, 6]);
    const w = input('w', [6, 2, 3, 3]);
    const b = input('b', [6]);
    const y = f.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 });
    return {
      graph: build({ inputs: { x, w, b }, outputs: { y } }),
      feeds: { x: values([2, 4, 6, 6], 20), w: values([6, 2, 3, 3], 21), b: values([6], 22) },
      maxElements: 40,
      checked: 40 + 40 + 6,
    };
  },
  'convTranspose2d with stride, padding and output padding': () => {
    const x = input('x', [1, 3, 4, 4]);
    const w = input('w', [3, 2, 3, 3]);
    const b = input('b', [2]);
    const y = f.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 });
    return {
      graph: build({ inputs: { x, w, b }, outputs: { y } }),
      feeds: { x: values([1, 3, 4, 4], 23), w: values([3, 2, 3, 3], 24), b: values([2], 25) },
      maxElements: 40,
    };
  },
  'a conv layer (parameters) with GELU': () => {
    const root = new ParamStore(5).root();
    const x = input('x', [2, 3, 5, 5]);
    const y = f.gelu(dsl.conv2dLayer(root.at('conv'), x as never, { out: 4, kernel: 3, padding: 1 } as never) as never);
    return { graph: build({ inputs: { x }, outputs: { y } }), feeds: { x: values([2, 3, 5, 5], 26) }, maxElements: 30 };
  },
  'maxPool2d and avgPool2d with padding (distinct values: no ties)': () => {
    const x = input('x', [1, 2, 6, 6]);
    const m = f.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 });
    const a = f.avgPool2d(x, { kernel: [2, 3], stride: [2, 1], padding: [1, 1] });
    return { graph: build({ inputs: { x }, outputs: { m, a } }), feeds: { x: { dtype: 'float32', dims: [1, 2, 6, 6], data: distinct(72, 37, 1.8) } } };
  },
  'maxPool2d tiling the map (2×2/2)': () => {
    const x = input('x', [2, 3, 4, 6]);
    return {
      graph: build({ inputs: { x }, outputs: { m: f.maxPool2d(x, { kernel: 2 }) } }),
      feeds: { x: { dtype: 'float32', dims: [2, 3, 4, 6], data: distinct(144, 61, 3.6) } },
    };
  },
  'resize, bilinear up and down and nearest': () => {
    const x = input('x', [1, 2, 4, 5]);
    const up = f.resize(x, { size: [7, 9] });
    const down = f.resize(x, { size: [3, 2] });
    const near = f.resize(x, { scale: 2 }, 'nearest');
    return { graph: build({ inputs: { x }, outputs: { up, down, near } }), feeds: { x: values([1, 2, 4, 5], 27) } };
  },
  'reductions (mean, sum, max, min; distinct values)': () => {
    const x = input('x', [3, 4, 2]);
    const outs = { mean: f.reduceMean(x, [1]), sum: f.reduceSum(x, [0, 2], true), max: f.reduceMax(x, [-1]), min: f.reduceMin(x) };
    return { graph: build({ inputs: { x }, outputs: outs }), feeds: { x: { dtype: 'float32', dims: [3, 4, 2], data: distinct(24, 11, 0.55) } } };
  },
  'layerNormalization (scale and bias as inputs)': () => {
    const x = input('x', [2, 3, 4]);
    const g = input('g', [3, 4]);
    const b = input('b', [3, 4]);
    const y = f.layerNormalization(x, g, b, { axis: 1 });
    return { graph: build({ inputs: { x, g, b }, outputs: { y } }), feeds: { x: values([2, 3, 4], 29), g: values([3, 4], 30), b: values([3, 4], 31) } };
  },
  'multi-head attention': () => {
    const q = input('q', [2, 3, 4]);
    const k = input('k', [2, 5, 4]);
    const v = input('v', [2, 5, 6]);
    const y = f.attention(q, k, v, { heads: 2 });
    return { graph: build({ inputs: { q, k, v }, outputs: { y } }), feeds: { q: values([2, 3, 4], 32), k: values([2, 5, 4], 33), v: values([2, 5, 6], 34) } };
  },
  // The ops gradients are made of (src/dsl/ops/{conv-grad,pool-grad,layer-norm-parts}.ts; expand, pad, flip and
  // reshapeLike are checked from their own examples, tests/dsl/op-examples.test.ts).
  'layerNormParts (x̂ and 1/√(σ² + ε))': () => {
    const x = input('x', [2, 3, 4]);
    const [xhat, r] = layerNormParts(x, 1, 1e-5);
    return {
      graph: build({ inputs: { x }, outputs: { xhat: xhat as T, r: r as T } }),
      feeds: { x: values([2, 3, 4], 50) },
      noVjp: 'layerNormParts has no gradient of its own (used only inside layerNormalization’s)',
    };
  },
  conv2dFilterGrad: () =>
    twoInputs(
      (x, dy) => conv2dFilterGrad(x, dy, { kernel: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2] }) as T,
      [2, 3, 6, 5],
      [2, 4, 3, 3],
      values([2, 3, 6, 5], 42),
      values([2, 4, 3, 3], 43),
    ),
  'maxPool2dGrad (in dy; x only picks the windows’ maxima)': () => {
    const x = input('x', [1, 2, 5, 5]);
    const dy = input('dy', [1, 2, 3, 3]);
    const y = maxPool2dGrad(x, dy, { kernel: [3, 3], stride: [2, 2], padding: [1, 1] });
    return {
      graph: build({ inputs: { x, dy }, outputs: { y } }),
      feeds: { x: { dtype: 'float32', dims: [1, 2, 5, 5], data: distinct(50, 17, 1.2) }, dy: values([1, 2, 3, 3], 44) },
      wrt: ['dy'],
      noVjp: 'maxPool2dGrad has no gradient of its own (second order through max pooling is not needed for training)',
    };
  },
  avgPool2dGrad: () => {
    const x = input('x', [1, 2, 5, 4]);
    const dy = input('dy', [1, 2, 3, 5]);
    const y = avgPool2dGrad(x, dy, { kernel: [3, 2], stride: [2, 1], padding: [1, 1] });
    return { graph: build({ inputs: { x, dy }, outputs: { y } }), feeds: { x: values([1, 2, 5, 4], 45), dy: values([1, 2, 3, 5], 46) }, wrt: ['dy'] };
  },
};
