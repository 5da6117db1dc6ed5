import { declaredShapes, type OpCase } from './op-cases.js';
// Random instances of every shape op, shared by the ONNX Runtime property test and the tfjs kernel test:
// each case has fast-check parameters, a graph factory and a plain TypeScript reference for the values.
import fc from 'fast-check';
import { build } from '../../src/dsl/build.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import type { Dim, Shape } from '../../src/dsl/types/shape.js';
import type { DType } from '../../src/dsl/dtype.js';
import { concat, flatten, reshape, slice, split, squeeze, stack, transpose, unsqueeze } from '../../src/dsl/index.js';
import type { GraphInstance } from '../../src/testing/shape-property.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { concatRef, sliceRef, splitRef, stackRef, transposeRef, type Dense } from '../reference/shape-ops.js';

type AnyTensor = Tensor<Shape, DType>;
type Bindings = Record<string, number>;

export type ShapeOpCase<P> = OpCase<P>;
const shapeCase = <P>(c: ShapeOpCase<P>): ShapeOpCase<unknown> => c as ShapeOpCase<unknown>;

const dense = (t: HostTensor): Dense => ({ data: t.data as Float32Array, shape: t.dims });
const identity = (name: string) => (_p: unknown, feeds: Readonly<Record<string, HostTensor>>) => ({ y: feeds[name].data as Float32Array });
const dims = (maxLength: number, minLength = 1) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength, maxLength });
const symbolValue = fc.integer({ min: 1, max: 3 });

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}
/** A random shape with `n` elements: dims picked from the remaining count's divisors. */
function regroup(n: number, picks: readonly number[]): number[] {
  const out: number[] = [];
  let rest = n;
  for (const p of picks) {
    const ds = divisors(rest);
    const d = ds[p % ds.length];
    out.push(d);
    rest /= d;
  }
  return [...out, rest];
}
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** One graph input 'x' through `f` to the output 'y'. */
function unary(shape: readonly Dim[], bindings: Bindings, f: (x: AnyTensor) => AnyTensor): GraphInstance {
  const x = input('x', shape as Shape);
  return { graph: build({ inputs: { x }, outputs: { y: f(x) } }), bindings };
}

// ---------------- reshape ----------------
const reshapeStatic = shapeCase({
  params: fc.tuple(dims(4), fc.array(fc.nat(), { maxLength: 3 }), fc.option(fc.nat(), { nil: undefined })).map(([shape, picks, neg]) => {
    const target: number[] = regroup(prod(shape), picks);
    if (neg !== undefined) target[neg % target.length] = -1;
    return { shape, target };
  }),
  graph: ({ shape, target }) => unary(shape, {}, (x) => reshape(x, target as Shape)),
  reference: identity('x'),
});

/**
 * Symbolic dims: kept in place (ONNX 0), flattened into a product (-1 gives 'N*k'), swapped
 * (gathered from Shape), merged ('B*N', a product of gathered dims), and flattened then restored.
 */
const reshapeSymbolic = shapeCase({
  params: fc.record({
    mode: fc.constantFrom('keep', 'flatten', 'swap', 'merge', 'mergeSwap', 'roundTrip'),
    rest: dims(2),
    picks: fc.array(fc.nat(), { maxLength: 2 }),
    neg: fc.boolean(),
    B: symbolValue,
    N: symbolValue,
    M: symbolValue,
  }),
  graph: ({ mode, rest, picks, neg, B, N, M }) => {
    const bindings = { B, N, M };
    switch (mode) {
      case 'keep': {
        const target: Dim[] = ['B', ...regroup(prod(rest), picks)];
        if (neg) target[target.length - 1] = -1;
        return unary(['B', ...rest], bindings, (x) => reshape(x, target as Shape));
      }
      case 'flatten':
        return unary(['B', 'N', ...rest], bindings, (x) => reshape(x, ['B', -1] as Shape));
      case 'swap':
        return unary(['B', 'N', ...rest], bindings, (x) => reshape(x, ['N', 'B', ...regroup(prod(rest), picks)] as Shape));
      case 'merge':
        return unary(['B', 'N', ...rest], bindings, (x) => reshape(x, (neg ? ['B*N', -1] : ['B*N', ...rest]) as Shape));
      case 'mergeSwap':
        // M becomes -1; B*N is gathered from Shape as a product (ReduceProd).
        return unary(['B', 'N', 'M', ...rest], bindings, (x) => reshape(x, ['M', 'B*N', ...rest] as Shape));
      default:
        return unary(['B', 'N', ...rest], bindings, (x) => reshape(reshape(x, ['B', -1] as Shape), ['B', 'N', ...rest] as Shape));
    }
  },
  reference: identity('x'),
});

// ---------------- flatten ----------------
const flattenCase = shapeCase({
  params: fc
    .record({ shape: dims(4), symbolic: fc.boolean(), a: fc.nat(), b: fc.nat(), negStart: fc.boolean(), negEnd: fc.boolean(), B: symbolValue })
    .map((p) => {
      const shape: Dim[] = p.symbolic ? ['B', ...p.shape] : p.shape;
      const r = shape.length;
      const [s, e] = [p.a % r, p.b % r].sort((x, y) => x - y);
      return { shape, start: p.negStart ? s - r : s, end: p.negEnd ? e - r : e, B: p.B };
    }),
  graph: ({ shape, start, end, B }) => unary(shape, { B }, (x) => flatten(x, start, end)),
  reference: identity('x'),
});

// ---------------- transpose ----------------
const transposeCase = shapeCase({
  params: dims(4).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }),
      negative: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      symbolAt: fc.option(fc.nat({ max: shape.length - 1 }), { nil: undefined }),
      B: symbolValue,
    }),
  ),
  graph: ({ shape, perm, negative, symbolAt, B }) => {
    const s: Dim[] = shape.map((d, i) => (i === symbolAt ? 'B' : d));
    const p = perm.map((a, i) => (negative[i] ? a - shape.length : a));
    return unary(s, { B }, (x) => transpose(x, p));
  },
  reference: ({ perm }, feeds) => ({ y: transposeRef(dense(feeds.x), perm).data }),
});

// ---------------- squeeze / unsqueeze ----------------
const squeezeCase = shapeCase({
  params: fc
    .record({ shape: dims(3), ones: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), negative: fc.boolean(), symbolic: fc.boolean(), B: symbolValue })
    .map((p) => {
      // Insert 1s at the chosen places, then squeeze exactly those.
      const shape: Dim[] = p.symbolic ? ['B', ...p.shape] : [...p.shape];
      const at: number[] = [];
      for (const o of p.ones) {
        const i = o % (shape.length + 1);
        shape.splice(i, 0, 1);
        for (let k = 0; k < at.length; k++) if (at[k] >= i) at[k]++;
        at.push(i);
      }
      return { shape, axes: at.map((a) => (p.negative ? a - shape.length : a)), B: p.B };
    }),
  graph: ({ shape, axes, B }) => unary(shape, { B }, (x) => squeeze(x, axes)),
  reference: identity('x'),
});

const unsqueezeCase = shapeCase({
  params: fc
    .record({
      shape: dims(3, 0),
      count: fc.integer({ min: 1, max: 3 }),
      seed: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      negative: fc.boolean(),
      symbolic: fc.boolean(),
      B: symbolValue,
    })
    .map((p) => {
      const shape: Dim[] = p.symbolic ? ['B', ...p.shape] : p.shape;
      const total = shape.length + p.count;
      const free = [...Array(total).keys()];
      const axes = p.seed.slice(0, p.count).map((s) => free.splice(s % free.length, 1)[0]);
      return { shape, axes: axes.map((a) => (p.negative ? a - total : a)), B: p.B };
    }),
  graph: ({ shape, axes, B }) => unary(shape, { B }, (x) => unsqueeze(x, axes)),
  reference: identity('x'),
});

// ---------------- concat / stack ----------------
/** Inputs x0..x{k-1}; the output 'y'. */
function joinGraph(shapes: readonly (readonly Dim[])[], bindings: Bindings, f: (xs: AnyTensor[]) => AnyTensor): GraphInstance {
  const xs = shapes.map((s, i) => input(`x${i}`, s as Shape));
  return { graph: build({ inputs: Object.fromEntries(xs.map((x, i) => [`x${i}`, x])), outputs: { y: f(xs) } }), bindings };
}
const feedsOf = (feeds: Readonly<Record<string, HostTensor>>, k: number) => Array.from({ length: k }, (_, i) => dense(feeds[`x${i}`]));

const concatCase = shapeCase({
  params: dims(3).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
      sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      // 'B' on another dim of every input, and/or symbolic axis dims 'N', 'M' (summed as 'N+M+…').
      symbolOther: fc.boolean(),
      symbolAxis: fc.boolean(),
      B: symbolValue,
      N: symbolValue,
      M: symbolValue,
    }),
  ),
  graph: ({ shape, axis, sizes, symbolOther, symbolAxis, B, N, M }) => {
    const r = shape.length;
    const a = axis < 0 ? axis + r : axis;
    const other = r > 1 && symbolOther ? (a + 1) % r : -1;
    const shapes = sizes.map((n, k) => shape.map((d, i): Dim => (i === a ? (symbolAxis && k < 2 ? ['N', 'M'][k] : n) : i === other ? 'B' : d)));
    return joinGraph(shapes, { B, N, M }, (xs) => concat(xs, axis));
  },
  reference: ({ sizes, axis }, feeds) => ({ y: concatRef(feedsOf(feeds, sizes.length), axis).data }),
});

const stackCase = shapeCase({
  params: dims(3).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.integer({ min: -shape.length - 1, max: shape.length }),
      k: fc.integer({ min: 1, max: 3 }),
      symbolic: fc.boolean(),
      B: symbolValue,
    }),
  ),
  graph: ({ shape, axis, k, symbolic, B }) => {
    const s: Dim[] = symbolic ? ['B', ...shape.slice(1)] : shape;
    return joinGraph(Array(k).fill(s), { B }, (xs) => stack(xs, axis));
  },
  reference: ({ k, axis }, feeds) => ({ y: stackRef(feedsOf(feeds, k), axis).data }),
});

// ---------------- split / slice ----------------
const splitCase = shapeCase({
  params: fc
    .record({ shape: dims(3), axisSeed: fc.nat(), cuts: fc.array(fc.nat(), { maxLength: 3 }), negative: fc.boolean(), symbolic: fc.boolean(), B: symbolValue })
    .map((p) => {
      const r = p.shape.length;
      const a = p.axisSeed % r;
      const sizes = regroupSum(p.shape[a], p.cuts);
      const shape: Dim[] = p.symbolic && r > 1 ? p.shape.map((d, i) => (i === (a + 1) % r ? 'B' : d)) : p.shape;
      return { shape, axis: p.negative ? a - r : a, sizes, B: p.B };
    }),
  graph: ({ shape, axis, sizes, B }) => {
    const x = input('x', shape as Shape);
    const parts = split(x, axis, sizes) as AnyTensor[];
    return { graph: build({ inputs: { x }, outputs: Object.fromEntries(parts.map((t, i) => [`y${i}`, t])) }), bindings: { B } };
  },
  reference: ({ axis, sizes }, feeds) => Object.fromEntries(splitRef(dense(feeds.x), axis, sizes).map((d, i) => [`y${i}`, d.data])),
});
/** Positive sizes summing to n. */
function regroupSum(n: number, cuts: readonly number[]): number[] {
  const points = [...new Set(cuts.map((c) => (c % n) + 1).filter((c) => c < n))].sort((x, y) => x - y);
  return [...points, n].map((p, i, all) => p - (i === 0 ? 0 : all[i - 1]));
}

const sliceStatic = shapeCase({
  params: dims(3)
    .chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
        s: fc.integer({ min: -4, max: 4 }),
        e: fc.option(fc.integer({ min: -4, max: 4 }), { nil: undefined }),
      }),
    )
    .filter(({ shape, axis, s, e }) => {
      const d = shape[axis < 0 ? axis + shape.length : axis];
      const ns = s < 0 ? s + d : s;
      const ne = e === undefined ? d : e < 0 ? e + d : e;
      return ns >= 0 && ne <= d && ns <= ne;
    }),
  graph: ({ shape, axis, s, e }) => unary(shape, {}, (x) => slice(x, axis, s, e)),
  reference: ({ axis, s, e }, feeds) => ({ y: sliceRef(dense(feeds.x), axis, s, e).data }),
});

/** Bounds on a symbolic dim B (bound large enough for them): fixed-length results or 'B-k'. */
const sliceSymbolic = shapeCase({
  params: fc.record({
    rest: dims(2, 0),
    kind: fc.constantFrom('pos-pos', 'neg-neg', 'pos-neg', 'neg-end', 'pos-end'),
    u: fc.integer({ min: 0, max: 2 }),
    v: fc.integer({ min: 1, max: 2 }),
    extra: fc.integer({ min: 0, max: 2 }),
  }),
  graph: (p) => {
    const [s, e] = symbolicBounds(p);
    return unary(['B', ...p.rest], { B: 4 + p.extra }, (x) => slice(x, 0, s, e));
  },
  reference: (p, feeds) => {
    const [s, e] = symbolicBounds(p);
    return { y: sliceRef(dense(feeds.x), 0, s, e).data };
  },
});
function symbolicBounds({ kind, u, v }: { kind: string; u: number; v: number }): [number, number | undefined] {
  switch (kind) {
    case 'pos-pos':
      return [u, u + v];
    case 'neg-neg':
      return [-u - v, -v];
    case 'pos-neg':
      return [u, -v];
    case 'neg-end':
      return [-v, undefined];
    default:
      return [u, undefined];
  }
}

export const shapeOpCases: Record<string, ShapeOpCase<unknown>> = {
  'reshape (static, one -1)': reshapeStatic,
  'reshape (symbolic dims: copy, infer, gather, product)': reshapeSymbolic,
  flatten: flattenCase,
  transpose: transposeCase,
  squeeze: squeezeCase,
  unsqueeze: unsqueezeCase,
  concat: concatCase,
  stack: stackCase,
  split: splitCase,
  'slice (static)': sliceStatic,
  'slice (symbolic)': sliceSymbolic,
};

export { declaredShapes };
