// Multi-head scaled dot-product attention as one primitive:
// q (…, Nq, D), k (…, Nk, D), v (…, Nk, Dv) → (…, Nq, Dv); D and Dv are split into `heads` groups,
// each head computes softmax(q·kᵀ·scale)·v, and the heads are concatenated back.
import type { Check, Dim, DimsAgree, IsLiteral, IsTuple, Mod, Shape, ShapeError } from '../types/shape.js';
import type { DimsAllAgree, JoinDims } from '../types/dim-lists.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type TfjsKernels, type Value } from '../graph.js';
import type { GradOps } from '../../autodiff/grad-ops.js';
import type { OnnxNodeWriter } from '../../onnx/node-writer.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtDim, fmtShape, RuleError, type RuntimeShape } from '../dim.js';

// ---------------- type-level rule ----------------
type Parts<S extends Shape> = S extends readonly [...infer B extends Dim[], infer N extends Dim, infer W extends Dim]
  ? { batch: B; tokens: N; width: W }
  : undefined;
type RankError<Role extends string, S extends Shape> = ShapeError<`attention: ${Role} needs rank ≥ 2, got rank ${S['length']}`>;

/** The key against the query: ranks, batch dims, widths. */
export type AttentionKeyCheck<Q extends Shape, K extends Shape> =
  IsTuple<Q> extends false
    ? unknown
    : IsTuple<K> extends false
      ? unknown
      : Parts<Q> extends { batch: infer QB extends Shape; width: infer QW }
        ? Parts<K> extends { batch: infer KB extends Shape; width: infer KW }
          ? DimsAllAgree<KB, QB> extends true
            ? DimsAgree<KW, QW> extends true
              ? unknown
              : ShapeError<`attention: key width ${KW & Dim} differs from query width ${QW & Dim}`>
            : ShapeError<`attention: key batch dims [${JoinDims<KB>}] differ from query batch dims [${JoinDims<QB>}]`>
          : RankError<'key', K>
        : RankError<'query', Q>;

/** The value against the key: ranks, batch dims, token counts. */
export type AttentionValueCheck<K extends Shape, V extends Shape> =
  IsTuple<K> extends false
    ? unknown
    : IsTuple<V> extends false
      ? unknown
      : Parts<K> extends { batch: infer KB extends Shape; tokens: infer KN }
        ? Parts<V> extends { batch: infer VB extends Shape; tokens: infer VN }
          ? DimsAllAgree<VB, KB> extends true
            ? DimsAgree<VN, KN> extends true
              ? unknown
              : ShapeError<`attention: value tokens ${VN & Dim} differ from key tokens ${KN & Dim}`>
            : ShapeError<`attention: value batch dims [${JoinDims<VB>}] differ from key batch dims [${JoinDims<KB>}]`>
          : RankError<'value', V>
        : unknown;

type HeadsDivide<H extends number, W, What extends string> = W extends number
  ? IsLiteral<W> extends false
    ? unknown
    : Mod<W, H> extends 0
      ? unknown
      : ShapeError<`attention: ${H} heads do not divide ${What} ${W}`>
  : unknown; // a symbolic width is split at run time

/** `heads` is a positive integer dividing the query width D and the value width Dv. */
export type AttentionHeadsCheck<Q extends Shape, V extends Shape, H extends number> =
  IsLiteral<H> extends false
    ? unknown
    : `${H}` extends `-${string}` | '0' | `${string}.${string}`
      ? ShapeError<`attention: heads must be a positive integer, got ${H}`>
      : HeadsDivide<H, Parts<Q> extends { width: infer W } ? W : number, 'width'> extends infer E extends ShapeError<string>
        ? E
        : HeadsDivide<H, Parts<V> extends { width: infer W } ? W : number, 'value width'>;

/** (…, Nq, Dv): the query's batch dims and tokens, the value's width. */
export type AttentionShape<Q extends Shape, V extends Shape> =
  IsTuple<Q> extends false
    ? Shape
    : IsTuple<V> extends false
      ? Shape
      : Parts<Q> extends { batch: infer B extends Dim[]; tokens: infer N extends Dim }
        ? Parts<V> extends { width: infer W extends Dim }
          ? [...B, N, W]
          : Shape
        : Shape;

// ---------------- runtime rule ----------------
export interface AttentionAttrs {
  readonly heads: number;
  /** Multiplies q·kᵀ; default 1/√(D/heads). */
  readonly scale?: number;
}

const batchOf = (s: RuntimeShape) => s.slice(0, -2);
const sameDims = (a: RuntimeShape, b: RuntimeShape) => a.length === b.length && a.every((d, i) => d === b[i]);

function attentionRule(q: RuntimeShape, k: RuntimeShape, v: RuntimeShape, { heads, scale }: AttentionAttrs): { shape: RuntimeShape; scale: number } {
  for (const [role, s] of [
    ['query', q],
    ['key', k],
    ['value', v],
  ] as const)
    if (s.length < 2) throw new RuleError(`attention: ${role} needs rank ≥ 2, got rank ${s.length}`);
  if (!Number.isInteger(heads) || heads < 1) throw new RuleError(`attention: heads must be a positive integer, got ${heads}`);
  if (!sameDims(batchOf(k), batchOf(q)))
    throw new RuleError(`attention: key batch dims ${fmtShape(batchOf(k))} differ from query batch dims ${fmtShape(batchOf(q))}`);
  if (!sameDims(batchOf(v), batchOf(k)))
    throw new RuleError(`attention: value batch dims ${fmtShape(batchOf(v))} differ from key batch dims ${fmtShape(batchOf(k))}`);
  const [nq, d] = q.slice(-2);
  const [nk, dk] = k.slice(-2);
  const [nv, dv] = v.slice(-2);
  if (dk !== d) throw new RuleError(`attention: key width ${fmtDim(dk)} differs from query width ${fmtDim(d)}`);
  if (nv !== nk) throw new RuleError(`attention: value tokens ${fmtDim(nv)} differ from key tokens ${fmtDim(nk)}`);
  if (typeof d === 'number' && d % heads !== 0) throw new RuleError(`attention: ${heads} heads do not divide width ${d}`);
  if (typeof dv === 'number' && dv % heads !== 0) throw new RuleError(`attention: ${heads} heads do not divide value width ${dv}`);
  if (scale === undefined && typeof d !== 'number')
    throw new RuleError(`attention: query width '${d}' is symbolic, so the default scale 1/√(width/heads) is unknown; pass scale`);
  return { shape: [...batchOf(q), nq, dv], scale: scale ?? 1 / Math.sqrt((d as number) / heads) };
}

// ---------------- ONNX lowering ----------------
/**
 * Opset 17 has no Attention op, so: scale q, split heads with Reshape (0 copies a dim, so symbolic
 * batch and token dims pass through) and Transpose, MatMul, Softmax, MatMul, and merge heads back.
 * k is transposed straight to (…, H, dh, Nk), so no MatMul needs a transposed operand.
 */
function lowerAttention(
  w: OnnxNodeWriter,
  [q, k, v]: readonly string[],
  out: string,
  qShape: RuntimeShape,
  vShape: RuntimeShape,
  heads: number,
  scale: number,
  fp16: boolean,
): void {
  const nb = qShape.length - 2;
  const batchAxes = Array.from({ length: nb }, (_, i) => i);
  const d = qShape[nb + 1];
  const dv = vShape[nb + 1];
  const scaled = w.tmp('q_scaled');
  w.node('Mul', [q, fp16 ? w.float16([scale], []) : w.float32([scale], [])], [scaled]);
  const probsOf = (qh: string, kt: string) => {
    const scores = w.tmp('scores');
    const probs = w.tmp('probs');
    w.node('MatMul', [qh, kt], [scores]);
    w.node('Softmax', [scores], [probs], { axis: -1 });
    return probs;
  };
  if (heads === 1) {
    const kt = w.tmp('k_t');
    w.node('Transpose', [k], [kt], { perm: [...batchAxes, nb + 1, nb] });
    w.node('MatMul', [probsOf(scaled, kt), v], [out]);
    return;
  }
  const keep = new Array<number>(nb + 1).fill(0); // batch dims and tokens, copied
  const headWidth = (width: RuntimeShape[number]) => (typeof width === 'number' ? width / heads : -1);
  const split = (x: string, width: RuntimeShape[number], perm: number[], hint: string) => {
    const r = w.tmp(`${hint}_split`);
    const t = w.tmp(`${hint}_heads`);
    w.node('Reshape', [x, w.int64([...keep, heads, headWidth(width)])], [r]);
    w.node('Transpose', [r], [t], { perm });
    return t;
  };
  const headsFirst = [...batchAxes, nb + 1, nb, nb + 2]; // (…, N, H, w) ↔ (…, H, N, w)
  const qh = split(scaled, d, headsFirst, 'q'); // (…, H, Nq, dh)
  const kt = split(k, d, [...batchAxes, nb + 1, nb + 2, nb], 'k'); // (…, H, dh, Nk)
  const vh = split(v, dv, headsFirst, 'v'); // (…, H, Nk, dv)
  const o = w.tmp('o_heads');
  const ot = w.tmp('o_tokens');
  w.node('MatMul', [probsOf(qh, kt), vh], [o]);
  w.node('Transpose', [o], [ot], { perm: headsFirst }); // (…, Nq, H, dv)
  w.node('Reshape', [ot, w.int64([...keep, typeof dv === 'number' ? dv : -1])], [out]);
}

// ---------------- tfjs kernel ----------------
/**
 * Batched matMul on wasm runs at ~1 GFLOP/s against ~15 for plain 2-D products, and tf.matMul's
 * gradient uses transposed products, so: bring all heads to (batch·H, N, w) with three transposes,
 * then per (batch, head) two plain 2-D products via the backend's matMul2d (whose gradient is plain too). Each head
 * runs in its own tidy so that only one head's N×N scores are alive at a time (autodiff keeps what
 * it needs). bench/attention-tfjs.ts measures the alternatives.
 */
function attentionKernel(tf: TF, kernels: TfjsKernels, q: TFTensor, k: TFTensor, v: TFTensor, heads: number, scale: number): TFTensor {
  return tf.tidy(() => {
    const batch = q.shape.slice(0, -2);
    const bt = batch.reduce((a, b) => a * b, 1);
    const [nq, d] = q.shape.slice(-2);
    const [nk, dv] = [k.shape[k.rank - 2], v.shape[v.rank - 1]];
    const [dh, dvh] = [d / heads, dv / heads];
    // tf.unstack's gradient breaks for a single slice (tfjs 4.22 passes it one tensor, not a list).
    const unstack = (x: TFTensor) => (x.shape[0] === 1 ? [tf.reshape(x, x.shape.slice(1))] : tf.unstack(x));
    const qs = unstack(tf.reshape(tf.transpose(tf.reshape(tf.mul(q, scale), [bt, nq, heads, dh]), [0, 2, 1, 3]), [bt * heads, nq, dh]));
    const kts = unstack(tf.reshape(tf.transpose(tf.reshape(k, [bt, nk, heads, dh]), [0, 2, 3, 1]), [bt * heads, dh, nk]));
    const vs = unstack(tf.reshape(tf.transpose(tf.reshape(v, [bt, nk, heads, dvh]), [0, 2, 1, 3]), [bt * heads, nk, dvh]));
    const outs = qs.map((qi, i) => tf.tidy(() => kernels.matMul2d(tf.softmax(kernels.matMul2d(qi, kts[i])), vs[i])));
    const o = tf.transpose(tf.reshape(tf.stack(outs), [bt, heads, nq, dvh]), [0, 2, 1, 3]);
    return tf.reshape(o, [...batch, nq, dv]);
  });
}

// ---------------- gradient ----------------
/**
 * Per head, with P = softmax(s·q·kᵀ) recomputed (not stored between passes):
 *   dv = Pᵀ·dy,  dP = dy·vᵀ,  dS = P ⊙ (dP − Σ_k dP ⊙ P),  dq = s·dS·k,  dk = s·dSᵀ·q.
 */
function attentionVjp(d: GradOps, [q, k, v]: readonly Value[], g: Value, needs: readonly boolean[], heads: number, scale: number): (Value | undefined)[] {
  const nb = q.shape.length - 2;
  const batch = q.shape.slice(0, nb);
  const batchAxes = Array.from({ length: nb }, (_, i) => i);
  const headWidth = (x: Value) => (x.shape[nb + 1] as number) / heads;
  // (…, N, W) ↔ (…, H, N, W/H); one head needs no moves.
  const split = (x: Value) => (heads === 1 ? x : d.transpose(d.reshape(x, [...batch, x.shape[nb], heads, headWidth(x)]), [...batchAxes, nb + 1, nb, nb + 2]));
  const merge = (x: Value, like: Value) => (heads === 1 ? x : d.reshape(d.transpose(x, [...batchAxes, nb + 1, nb, nb + 2]), like.shape));
  const [qh, kh, vh, gh] = [q, k, v, g].map(split);
  const p = d.softmax(d.matmul(d.mul(qh, scale), d.transposeLast(kh)), -1);
  const dv = needs[2] ? merge(d.matmul(d.transposeLast(p), gh), v) : undefined;
  if (!needs[0] && !needs[1]) return [undefined, undefined, dv];
  const dp = d.matmul(gh, d.transposeLast(vh));
  const ds = d.mul(d.mul(p, d.sub(dp, d.reduceSum(d.mul(dp, p), [-1], true))), scale);
  return [needs[0] ? merge(d.matmul(ds, kh), q) : undefined, needs[1] ? merge(d.matmul(d.transposeLast(ds), qh), k) : undefined, dv];
}

export const attentionOp: OpDef<AttentionAttrs> = {
  type: 'Attention',
  infer([q, k, v], attrs) {
    for (const t of [q, k, v]) if (t.dtype !== 'float32' && t.dtype !== 'float16') throw new RuleError(`attention: needs float tensors, got ${t.dtype}`);
    if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw new RuleError(`attention: dtypes differ (query ${q.dtype}, key ${k.dtype}, value ${v.dtype})`);
    return [{ shape: attentionRule(q.shape, k.shape, v.shape, attrs).shape, dtype: q.dtype }];
  },
  onnx(w, ins, [out], attrs, node) {
    const [q, k, v] = node.inputs;
    const { scale } = attentionRule(q.shape, k.shape, v.shape, attrs);
    lowerAttention(w, ins, out, q.shape, v.shape, attrs.heads, scale, q.dtype === 'float16');
  },
  tfjs(tf, [q, k, v], attrs, _node, kernels) {
    const { scale } = attentionRule(q.shape, k.shape, v.shape, attrs);
    return [attentionKernel(tf, kernels, q, k, v, attrs.heads, scale)];
  },
  vjp(d, { inputs, dys: [g], needs, attrs }) {
    if (!g) return [];
    const [q, k, v] = inputs;
    return attentionVjp(d, inputs, g, needs, attrs.heads, attentionRule(q.shape, k.shape, v.shape, attrs).scale);
  },
};

export interface AttentionOptions<H extends number> {
  readonly heads: H;
  /** Multiplies q·kᵀ before the softmax (default 1/√(D/heads)). */
  readonly scale?: number;
}

/** Multi-head attention: q (…, Nq, D), k (…, Nk, D), v (…, Nk, Dv) → (…, Nq, Dv). */
export function attention<Q extends Shape, K extends Shape, V extends Shape, D extends FloatType, const H extends number>(
  q: Tensor<Q, D>,
  k: Tensor<K, D> & Check<AttentionKeyCheck<Q, K>>,
  v: Tensor<V, D> & Check<AttentionValueCheck<K, V>>,
  opts: AttentionOptions<H> & Check<AttentionHeadsCheck<Q, V, H>>,
): Tensor<AttentionShape<Q, V>, D> {
  return wrap(apply(attentionOp, [q.value, k.value, v.value], { heads: opts.heads, scale: opts.scale })[0]);
}
