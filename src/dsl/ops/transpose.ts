// transpose: permute the axes (ONNX Transpose, tf.transpose).
import type { Check, Dim, IsLiteral, IsTuple, NormAxis, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { Includes, Join } from '../types/tuple.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { RuleError, type Dim as RDim, type RuntimeShape } from '../dim.js';

type PermError<
  P extends readonly number[],
  R extends number,
> = `transpose: [${Join<P>}] is not a permutation of the axes of a rank-${R} tensor` extends infer M extends string ? ShapeError<M> : never;

type Permute<
  S extends Shape,
  P extends readonly number[],
  All extends readonly number[],
  Seen extends number[] = [],
  Acc extends Dim[] = [],
> = P extends readonly [infer H extends number, ...infer Rest extends readonly number[]]
  ? IsLiteral<H> extends false
    ? Shape
    : NormAxis<H, S['length']> extends infer A
      ? A extends number
        ? Includes<Seen, A> extends true
          ? PermError<All, S['length']>
          : Permute<S, Rest, All, [...Seen, A], [...Acc, S[A]]>
        : PermError<All, S['length']>
      : never
  : Acc;

/** Output dim i is input dim perm[i]; perm must list every axis once (negative axes allowed). */
export type TransposeShape<S extends Shape, P extends readonly number[]> =
  IsTuple<S> extends false ? Shape : number extends P['length'] ? Shape : P['length'] extends S['length'] ? Permute<S, P, P> : PermError<P, S['length']>;

export function transposeShape(s: RuntimeShape, perm: readonly number[]): { perm: number[]; shape: RDim[] } {
  const r = s.length;
  const norm = perm.map((p) => (p < 0 ? p + r : p));
  const ok = perm.length === r && norm.every((p, i) => Number.isInteger(p) && p >= 0 && p < r && norm.indexOf(p) === i);
  if (!ok) throw new RuleError(`transpose: [${perm.join(', ')}] is not a permutation of the axes of a rank-${r} tensor`);
  return { perm: norm, shape: norm.map((p) => s[p]) };
}

export const transposeOp: OpDef<{ readonly perm: readonly number[] }> = {
  type: 'Transpose',
  infer: ([x], { perm }) => [{ shape: transposeShape(x.shape, perm).shape, dtype: x.dtype }],
  onnx: (w, ins, outs, { perm }, node) => w.node('Transpose', ins, outs, { perm: transposeShape(node.inputs[0].shape, perm).perm }),
  tfjs: (tf, [x], { perm }) => [tf.transpose(x, transposeShape(x.shape, perm).perm)],
  // The inverse permutation.
  vjp(d, { inputs: [x], dys: [g], attrs: { perm } }) {
    if (!g) return [];
    const p = transposeShape(x.shape, perm).perm;
    return [
      d.transpose(
        g,
        p.map((_, i) => p.indexOf(i)),
      ),
    ];
  },
};

/**
 * Permute axes: output dim i is input dim perm[i]; [B, C, N] with perm [0, 2, 1] gives [B, N, C]. The first
 * signature matches that swap by pattern, so it also checks inside bodies generic in their dims.
 */
export function transpose<B extends Dim, N extends Dim, L extends Dim, D extends DType>(
  x: Tensor<readonly [B, N, L], D>,
  perm: readonly [0, 2, 1],
): Tensor<[B, L, N], D>;
export function transpose<S extends Shape, D extends DType, const P extends readonly number[]>(
  x: Tensor<S, D>,
  perm: P & NoInfer<Check<TransposeShape<S, P>>>,
): Tensor<OrWide<TransposeShape<S, P>>, D>;
export function transpose(x: Tensor<Shape, DType>, perm: readonly number[]): Tensor<Shape, DType> {
  return wrap(apply(transposeOp, [x.value], { perm: [...perm] })[0]);
}
