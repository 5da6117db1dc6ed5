import { declaredShapes, type OpCase } from './op-cases.js';
// Random instances of reductions, softmax, layer-norm, attention and their modules, shared by the ONNX Runtime
// property test and the tfjs kernel test: fast-check parameters, a graph factory, a plain TypeScript reference.
import fc from 'fast-check';
import { build, type Graph } from '../../src/dsl/build.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import type { Dim, Shape } from '../../src/dsl/types/shape.js';
import { ParamStore } from '../../src/dsl/params.js';
import { fillUniform, hashSeed } from '../../src/util/rng.js';
import { reduceMax, reduceMean, reduceMin, reduceSum } from '../../src/dsl/ops/reduce.js';
import { softmax } from '../../src/dsl/ops/softmax.js';
import { layerNormalization } from '../../src/dsl/ops/layer-norm.js';
import { attention } from '../../src/dsl/ops/attention.js';
import { layerNorm, layerNorm2d } from '../../src/dsl/layers/norm.js';
import { multiHeadAttention } from '../../src/dsl/layers/attention.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { matmulRef, prod } from '../reference/dense.js';
import { attentionRef, layerNormRef, reduceRef, softmaxRef, type ReduceKindRef } from '../reference/nn.js';

type F = Tensor<Shape, 'float32'>;
type Feeds = Readonly<Record<string, HostTensor>>;

export type NnCase<P> = OpCase<P>;
const nnCase = <P>(c: NnCase<P>): NnCase<unknown> => c as NnCase<unknown>;

const f32 = (feeds: Feeds, name: string) => feeds[name].data as Float32Array;
const dimsArb = (minLength: number, maxLength: number) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength, maxLength });

/** A shape whose first dim may be the symbolic 'B' (bound to `b`). */
interface MaybeSymbolic {
  readonly shape: number[];
  readonly symbolic: boolean;
}
const withBatch = (s: MaybeSymbolic): Dim[] => (s.symbolic && s.shape.length ? ['B', ...s.shape.slice(1)] : s.shape);
const bindingsOf = (s: MaybeSymbolic): Record<string, number> => (s.symbolic && s.shape.length ? { B: s.shape[0] } : {});
const maybeSymbolic = (minRank: number, maxRank: number) => fc.record({ shape: dimsArb(minRank, maxRank), symbolic: fc.boolean() });
/** An axis in [-rank, rank): both spellings are exercised. */
const anyAxis = (rank: number) => fc.integer({ min: -rank, max: rank - 1 });
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

// ---------------- reductions ----------------
const reducers = { mean: reduceMean, sum: reduceSum, max: reduceMax, min: reduceMin } as const;
function reduceCase(kind: ReduceKindRef) {
  return nnCase({
    params: maybeSymbolic(0, 4).chain((x) =>
      fc.record({
        x: fc.constant(x),
        // undefined: every axis; otherwise a random subset, each axis written positive or negative.
        axes: fc.option(
          fc.subarray(x.shape.map((_, i) => i)).chain((ax) => fc.tuple(...ax.map((a) => fc.constantFrom(a, a - x.shape.length)))),
          { nil: undefined },
        ),
        keepdims: fc.boolean(),
      }),
    ),
    graph: ({ x: s, axes, keepdims }) => {
      const x = input('x', withBatch(s) as Shape);
      const y = reducers[kind](x as F, axes as never, keepdims);
      return { graph: build({ inputs: { x }, outputs: { y } }), bindings: bindingsOf(s) };
    },
    reference: ({ x: s, axes, keepdims }, feeds) => {
      const all = axes ?? s.shape.map((_, i) => i);
      return {
        y: reduceRef(
          f32(feeds, 'x'),
          s.shape,
          all.map((a) => norm(a, s.shape.length)),
          kind,
          keepdims,
        ).data,
      };
    },
  });
}

// ---------------- softmax ----------------
const softmaxCase = nnCase({
  params: maybeSymbolic(1, 4).chain((x) => fc.record({ x: fc.constant(x), axis: fc.option(anyAxis(x.shape.length), { nil: undefined }) })),
  graph: ({ x: s, axis }) => {
    const x = input('x', withBatch(s) as Shape);
    return { graph: build({ inputs: { x }, outputs: { y: softmax(x as F, axis as never) } }), bindings: bindingsOf(s) };
  },
  reference: ({ x: s, axis }, feeds) => ({ y: softmaxRef(f32(feeds, 'x'), s.shape, norm(axis ?? -1, s.shape.length)) }),
});

// ---------------- layer normalisation ----------------
const layerNormCase = nnCase({
  params: maybeSymbolic(1, 4)
    .chain((x) =>
      fc.record({
        x: fc.constant(x),
        // A symbolic batch dim cannot be normalised over (scale would need its size), so axis ≥ 1 then.
        axis:
          x.symbolic && x.shape.length > 1
            ? fc.integer({ min: 1, max: x.shape.length - 1 }).chain((a) => fc.constantFrom(a, a - x.shape.length))
            : anyAxis(x.shape.length),
        epsilon: fc.constantFrom(1e-5, 1e-3, 0.5),
      }),
    )
    .filter(({ x, axis }) => !(x.symbolic && norm(axis, x.shape.length) === 0)),
  graph: ({ x: s, axis, epsilon }) => {
    const shape = withBatch(s);
    const tail = s.shape.slice(norm(axis, shape.length));
    const x = input('x', shape as Shape);
    const scale = input('scale', tail as Shape);
    const bias = input('bias', tail as Shape);
    const y = layerNormalization(x as F, scale as never, bias as never, { axis, epsilon });
    return { graph: build({ inputs: { x, scale, bias }, outputs: { y } }), bindings: bindingsOf(s) };
  },
  reference: ({ x: s, axis, epsilon }, feeds) => ({
    y: layerNormRef(f32(feeds, 'x'), s.shape, norm(axis, s.shape.length), f32(feeds, 'scale'), f32(feeds, 'bias'), epsilon),
  }),
});

// ---------------- attention ----------------
export interface AttentionParams {
  /** Batch dims; the first is written 'B' when `symbolicBatch`. */
  readonly batch: number[];
  readonly symbolicBatch: boolean;
  /** Token counts written 'Nq'/'Nk', so that Reshape must copy them (0) rather than know them. */
  readonly symbolicTokens: boolean;
  readonly nq: number;
  readonly nk: number;
  readonly heads: number;
  readonly dh: number;
  readonly dvh: number;
  readonly scale: number | undefined;
}
export const attentionParams: fc.Arbitrary<AttentionParams> = fc.record({
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  symbolicBatch: fc.boolean(),
  symbolicTokens: fc.boolean(),
  nq: fc.integer({ min: 1, max: 6 }),
  nk: fc.integer({ min: 1, max: 6 }),
  heads: fc.integer({ min: 1, max: 4 }),
  dh: fc.integer({ min: 1, max: 4 }),
  dvh: fc.integer({ min: 1, max: 4 }),
  scale: fc.option(fc.constantFrom(0.25, 1, 2), { nil: undefined }),
});
function attentionShapes(p: AttentionParams) {
  const batch: Dim[] = p.symbolicBatch && p.batch.length ? ['B', ...p.batch.slice(1)] : p.batch;
  const [nq, nk]: Dim[] = p.symbolicTokens ? ['Nq', 'Nk'] : [p.nq, p.nk];
  const bindings: Record<string, number> = { Nq: p.nq, Nk: p.nk, ...(p.batch.length ? { B: p.batch[0] } : {}) };
  return { q: [...batch, nq, p.heads * p.dh], k: [...batch, nk, p.heads * p.dh], v: [...batch, nk, p.heads * p.dvh], bindings };
}
const attentionCase = nnCase({
  params: attentionParams,
  graph: (p) => {
    const s = attentionShapes(p);
    const [q, k, v] = [input('q', s.q as Shape), input('k', s.k as Shape), input('v', s.v as Shape)];
    const y = attention(q as F, k as never, v as never, { heads: p.heads as number, scale: p.scale });
    return { graph: build({ inputs: { q, k, v }, outputs: { y } }), bindings: s.bindings };
  },
  reference: (p, feeds) => ({
    y: attentionRef(
      f32(feeds, 'q'),
      f32(feeds, 'k'),
      f32(feeds, 'v'),
      { batch: prod(p.batch), nq: p.nq, nk: p.nk, d: p.heads * p.dh, dv: p.heads * p.dvh },
      p.heads,
      p.scale,
    ),
  }),
});

// ---------------- modules (parameters set to seeded random values so that they matter) ----------------
function paramValues(seed: number, name: string, size: number): Float32Array {
  const out = new Float32Array(size);
  fillUniform(out, hashSeed(seed, name), -1, 1);
  return out;
}
function withRandomParams(graph: Graph, seed: number): Graph {
  for (const p of graph.params) p.set(paramValues(seed, p.name, p.size));
  return graph;
}
const param = (seed: number, name: string, size: number) => paramValues(seed, name, size);

const layerNormModuleCase = nnCase({
  params: fc.record({ x: maybeSymbolic(2, 4), seed: fc.nat() }),
  graph: ({ x: s, seed }) => {
    const x = input('x', withBatch(s) as Shape);
    const y = layerNorm(new ParamStore(seed).root().at('norm'), x as never, { epsilon: 1e-6 });
    return { graph: withRandomParams(build({ inputs: { x }, outputs: { y } }), seed), bindings: bindingsOf(s) };
  },
  reference: ({ x: s, seed }, feeds) => {
    const c = s.shape[s.shape.length - 1];
    return { y: layerNormRef(f32(feeds, 'x'), s.shape, s.shape.length - 1, param(seed, 'norm.weight', c), param(seed, 'norm.bias', c), 1e-6) };
  },
});

/** NCHW → NHWC → normalise each pixel's channels → NCHW, in plain loops. */
function layerNorm2dRef(x: Float32Array, [n, c, h, w]: number[], weight: Float32Array, bias: Float32Array, eps: number): Float64Array {
  const nhwc = new Float64Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwc[(b * h * w + p) * c + ch] = x[(b * c + ch) * h * w + p];
  const y = layerNormRef(nhwc, [n, h, w, c], 3, weight, bias, eps);
  const out = new Float64Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(b * c + ch) * h * w + p] = y[(b * h * w + p) * c + ch];
  return out;
}
const layerNorm2dCase = nnCase({
  params: fc.record({ x: fc.record({ shape: dimsArb(4, 4), symbolic: fc.boolean() }), seed: fc.nat() }),
  graph: ({ x: s, seed }) => {
    const x = input('x', withBatch(s) as Shape);
    const y = layerNorm2d(new ParamStore(seed).root().at('norm'), x as never);
    return { graph: withRandomParams(build({ inputs: { x }, outputs: { y } }), seed), bindings: bindingsOf(s) };
  },
  reference: ({ x: s, seed }, feeds) => ({
    y: layerNorm2dRef(f32(feeds, 'x'), s.shape, param(seed, 'norm.weight', s.shape[1]), param(seed, 'norm.bias', s.shape[1]), 1e-6),
  }),
});

/** x [rows, in] · W [in, out] + b, as the `linear` module computes it. */
function linearRef(x: ArrayLike<number>, rows: number, inDim: number, outDim: number, seed: number, path: string): Float64Array {
  const y = matmulRef(x, [rows, inDim], param(seed, `${path}.weight`, inDim * outDim), [inDim, outDim]).data;
  const b = param(seed, `${path}.bias`, outDim);
  for (let i = 0; i < y.length; i++) y[i] += b[i % outDim];
  return y;
}
const mhaCase = nnCase({
  params: fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    symbolic: fc.boolean(),
    nq: fc.integer({ min: 1, max: 5 }),
    nk: fc.integer({ min: 1, max: 5 }),
    cq: fc.integer({ min: 1, max: 6 }),
    ckv: fc.integer({ min: 1, max: 6 }),
    heads: fc.integer({ min: 1, max: 3 }),
    headWidth: fc.integer({ min: 1, max: 3 }),
    seed: fc.nat(),
  }),
  graph: (p) => {
    const b: Dim = p.symbolic ? 'B' : p.batch;
    const query = input('query', [b, p.nq, p.cq]);
    const kv = input('kv', [b, p.nk, p.ckv]);
    const y = multiHeadAttention(new ParamStore(p.seed).root().at('attn'), query as F, kv as never, { heads: p.heads as number, width: p.heads * p.headWidth });
    return { graph: withRandomParams(build({ inputs: { query, kv }, outputs: { y } }), p.seed), bindings: { B: p.batch } };
  },
  reference: (p, feeds) => {
    const w = p.heads * p.headWidth;
    const q = linearRef(f32(feeds, 'query'), p.batch * p.nq, p.cq, w, p.seed, 'attn.q');
    const k = linearRef(f32(feeds, 'kv'), p.batch * p.nk, p.ckv, w, p.seed, 'attn.k');
    const v = linearRef(f32(feeds, 'kv'), p.batch * p.nk, p.ckv, w, p.seed, 'attn.v');
    const o = attentionRef(q, k, v, { batch: p.batch, nq: p.nq, nk: p.nk, d: w, dv: w }, p.heads);
    return { y: linearRef(o, p.batch * p.nq, w, p.cq, p.seed, 'attn.out') };
  },
});

export const nnCases: Record<string, NnCase<unknown>> = {
  reduceMean: reduceCase('mean'),
  reduceSum: reduceCase('sum'),
  reduceMax: reduceCase('max'),
  reduceMin: reduceCase('min'),
  softmax: softmaxCase,
  layerNormalization: layerNormCase,
  attention: attentionCase,
  layerNorm: layerNormModuleCase,
  layerNorm2d: layerNorm2dCase,
  multiHeadAttention: mhaCase,
};

export { declaredShapes };
