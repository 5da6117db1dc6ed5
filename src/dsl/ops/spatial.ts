// Shared pieces of the NCHW window ops (conv, conv-transpose, pools): per-axis options given
// as a number or [h, w], the window output length with wide-option fallback, and tfjs layout moves.
import type { ConvOutLen, Dim, IsLiteral, IsWideDim, Shape, ShapeError } from '../types/shape.js';
import { fmtShape, RuleError } from '../dim.js';
import type { TF, TFTensor, Value } from '../graph.js';

/** A per-axis option: one number for both spatial axes, or [h, w]. */
export type Pair = number | readonly [number, number];

/** The h (first) or w (second) part of a Pair option. */
export type PairH<P> = P extends readonly [infer H extends number, number] ? H : P extends number ? P : number;
export type PairW<P> = P extends readonly [number, infer W extends number] ? W : P extends number ? P : number;

/** An option's type, or its default when the caller left it out. */
export type OptionOf<O, K extends PropertyKey, Def> = K extends keyof O ? ([Exclude<O[K], undefined>] extends [never] ? Def : Exclude<O[K], undefined>) : Def;

type AllLiteral<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? (IsLiteral<H> extends true ? AllLiteral<R> : false) : true;

/**
 * One spatial output length of a window op. Options that are not literals (a `number` variable)
 * make the result wide, checked at build time; literal options go through `ConvOutLen`, which
 * writes a symbolic input length as the same expression string the runtime writes.
 */
export type WindowOutLen<X extends Dim, K, S, P, D, Op extends string> =
  AllLiteral<[K, S, P, D]> extends false
    ? X extends number
      ? number
      : string
    : S extends 0
      ? ShapeError<`${Op}: stride must be at least 1`>
      : D extends 0
        ? ShapeError<`${Op}: dilation must be at least 1`>
        : IsWideDim<X> extends true
          ? X extends number
            ? number
            : string
          : ConvOutLen<X, K & number, S & number, P & number, D & number, Op>;

export type RankError<
  Op extends string,
  What extends string,
  S extends Shape,
> = ShapeError<`${Op}: the ${What} needs rank 4 (N, C, H, W), got rank ${S['length']}`>;

// ---------------- run time ----------------

export type Pair2 = readonly [number, number];

/** [h, w] from a Pair option (validated by the op's rule, so that errors carry the source line). */
export const toPair = (p: Pair | undefined, def: number): Pair2 => (p === undefined ? [def, def] : typeof p === 'number' ? [p, p] : [p[0], p[1]]);

/** Throw a rule error unless every value is an integer ≥ min. */
export function checkPair(op: string, name: string, p: Pair2, min: number): void {
  if (!p.every((v) => Number.isInteger(v) && v >= min)) throw new RuleError(`${op}: ${name} must be whole numbers ≥ ${min}, got [${p.join(', ')}]`);
}

export function checkRank4(op: string, what: string, v: Value): void {
  if (v.shape.length !== 4) throw new RuleError(`${op}: the ${what} needs rank 4 (N, C, H, W), got rank ${v.shape.length} ${fmtShape(v.shape)}`);
}

export function checkFloat(op: string, v: Value): void {
  if (v.dtype !== 'float32' && v.dtype !== 'float16') throw new RuleError(`${op}: needs a float tensor, got ${v.dtype}`);
}

/** Spatial dims of a weight must be known when the graph is built. */
export function staticDim(op: string, what: string, d: Dim): number {
  if (typeof d !== 'number') throw new RuleError(`${op}: the ${what} must be static, got '${d}'`);
  return d;
}

// ---------------- tfjs ----------------
// tfjs windows work on NHWC; the graph is NCHW. One transpose in, one out.
export const toNHWC = (tf: TF, x: TFTensor): TFTensor => tf.transpose(x, [0, 2, 3, 1]);
export const toNCHW = (tf: TF, x: TFTensor): TFTensor => tf.transpose(x, [0, 3, 1, 2]);

/** Pad the spatial axes of an NHWC tensor: [top, bottom], [left, right]. */
export function padHW(tf: TF, x: TFTensor, h: Pair2, w: Pair2, value = 0): TFTensor {
  if (h[0] === 0 && h[1] === 0 && w[0] === 0 && w[1] === 0) return x;
  return tf.pad(
    x,
    [
      [0, 0],
      [h[0], h[1]],
      [w[0], w[1]],
      [0, 0],
    ],
    value,
  );
}

/**
 * Rows start, start + s, …, start + (n−1)s of axis 1 and likewise of axis 2 of an NHWC tensor.
 * tfjs has no StridedSlice gradient, so a stride is a contiguous slice reshaped to [.., s, ..]
 * of which index 0 is kept. The reshapes stay 3-D: wasm slices tensors of rank > 4 in slow JS.
 * The caller pads so that start + n·s fits.
 */
export function stridedWindow(tf: TF, x: TFTensor, start: Pair2, n: Pair2, s: Pair2): TFTensor {
  const [b, , , c] = x.shape as number[];
  let t = tf.slice(x, [0, start[0], start[1], 0], [b, n[0] * s[0], n[1] * s[1], c]);
  if (s[0] > 1) t = tf.slice(tf.reshape(t, [b * n[0], s[0], n[1] * s[1] * c]), [0, 0, 0], [b * n[0], 1, n[1] * s[1] * c]);
  if (s[1] > 1) t = tf.slice(tf.reshape(t, [b * n[0] * n[1], s[1], c]), [0, 0, 0], [b * n[0] * n[1], 1, c]);
  return s[0] > 1 || s[1] > 1 ? tf.reshape(t, [b, n[0], n[1], c]) : t;
}

/**
 * The kh·kw taps of a window op over an NHWC tensor: tap (i, j) holds, at output (r, c), the input
 * at (r·s − p + i·d, c·s − p + j·d), with `padValue` outside the image. Each is [N, OH, OW, C].
 */
export function windowTaps(tf: TF, x: TFTensor, kernel: Pair2, a: { stride: Pair2; padding: Pair2; dilation: Pair2 }, out: Pair2, padValue = 0): TFTensor[] {
  const [, h, w] = x.shape as number[];
  const [kh, kw] = kernel;
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const [ph, pw] = a.padding;
  // Bottom/right: the last tap's reshape-strided slice reaches (k−1)·d + out·s, which can pass the padded edge.
  const bottom = Math.max(0, (kh - 1) * dh + out[0] * sh - h - ph);
  const right = Math.max(0, (kw - 1) * dw + out[1] * sw - w - pw);
  const xp = padHW(tf, x, [ph, bottom], [pw, right], padValue);
  const taps: TFTensor[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(stridedWindow(tf, xp, [i * dh, j * dw], out, a.stride));
  return taps;
}
