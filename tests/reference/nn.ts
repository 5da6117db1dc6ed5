// Plain TypeScript references (float64, row-major, loops) for reductions, softmax, layer-norm and attention.
import { prod, stridesOf } from './dense.js';

export interface Dense64 {
  readonly data: Float64Array;
  readonly shape: number[];
}

export type ReduceKindRef = 'mean' | 'sum' | 'max' | 'min';

/** Reduce over `axes` (normalised, any order); reduced dims dropped or kept as 1. */
export function reduceRef(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[], kind: ReduceKindRef, keepdims: boolean): Dense64 {
  const reduced = new Set(axes);
  const outFull = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outStrides = stridesOf(outFull);
  const n = prod(outFull);
  const acc = new Float64Array(n).fill(kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < prod(shape); k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!reduced.has(d)) o += idx[d] * outStrides[d];
    const v = x[k];
    acc[o] = kind === 'max' ? Math.max(acc[o], v) : kind === 'min' ? Math.min(acc[o], v) : acc[o] + v;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  if (kind === 'mean') {
    const count = prod(shape) / Math.max(1, n);
    for (let i = 0; i < n; i++) acc[i] /= count;
  }
  return { data: acc, shape: keepdims ? outFull : shape.filter((_, i) => !reduced.has(i)) };
}

/** Visit every 1-D line along `axis`: calls f with the flat indices of its elements. */
function forEachLine(shape: readonly number[], axis: number, f: (indices: number[]) => void): void {
  const inner = prod(shape.slice(axis + 1));
  const outer = prod(shape.slice(0, axis));
  const len = shape[axis];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(Array.from({ length: len }, (_, j) => (o * len + j) * inner + i));
}

export function softmaxRef(x: ArrayLike<number>, shape: readonly number[], axis: number): Float64Array {
  const out = new Float64Array(x.length);
  forEachLine(shape, axis, (ix) => {
    const m = Math.max(...ix.map((i) => x[i]));
    const e = ix.map((i) => Math.exp(x[i] - m));
    const s = e.reduce((a, b) => a + b, 0);
    ix.forEach((i, j) => (out[i] = e[j] / s));
  });
  return out;
}

/** Normalise over the trailing dims from `axis` (x viewed as rows of prod(shape[axis:])); scale/bias per row element. */
export function layerNormRef(
  x: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  epsilon: number,
): Float64Array {
  const width = prod(shape.slice(axis));
  const rows = x.length / width;
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let j = 0; j < width; j++) mean += x[r * width + j];
    mean /= width;
    let variance = 0;
    for (let j = 0; j < width; j++) variance += (x[r * width + j] - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + epsilon);
    for (let j = 0; j < width; j++) out[r * width + j] = (x[r * width + j] - mean) * inv * scale[j] + bias[j];
  }
  return out;
}

/**
 * Multi-head attention, one (batch, head) at a time: q [..., nq, d], k [..., nk, d], v [..., nk, dv]
 * (same batch dims); head h uses columns h·d/H .. (h+1)·d/H; output [..., nq, dv].
 */
export function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dims: { batch: number; nq: number; nk: number; d: number; dv: number },
  heads: number,
  scale?: number,
): Float64Array {
  const { batch, nq, nk, d, dv } = dims;
  const dh = d / heads;
  const dvh = dv / heads;
  const s = scale ?? 1 / Math.sqrt(dh);
  const out = new Float64Array(batch * nq * dv);
  const scores = new Float64Array(nk);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < nq; i++) {
        let m = -Infinity;
        for (let j = 0; j < nk; j++) {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q[(b * nq + i) * d + h * dh + c] * k[(b * nk + j) * d + h * dh + c];
          scores[j] = dot * s;
          m = Math.max(m, scores[j]);
        }
        let sum = 0;
        for (let j = 0; j < nk; j++) sum += scores[j] = Math.exp(scores[j] - m);
        for (let c = 0; c < dvh; c++) {
          let acc = 0;
          for (let j = 0; j < nk; j++) acc += scores[j] * v[(b * nk + j) * dv + h * dvh + c];
          out[(b * nq + i) * dv + h * dvh + c] = acc / sum;
        }
      }
  return out;
}
