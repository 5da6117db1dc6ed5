// squeeze and unsqueeze: remove or insert dims of size 1 (ONNX Squeeze/Unsqueeze with axes as an input, opset 13+).
import type { Add, Check, Dim, IsTuple, IsWideDim, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { AxisList, NormAxes } from '../types/axes.js';
import type { Includes } from '../types/tuple.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtDim, RuleError, type Dim as RDim, type RuntimeShape } from '../dim.js';
import { normAxes } from '../axes.js';

type Axes = number | readonly number[];

// ---------------- squeeze ----------------
type NotOne<S extends Shape, N extends number[]> = N extends [infer A extends number, ...infer R extends number[]]
  ? S[A] extends 1
    ? NotOne<S, R>
    : IsWideDim<S[A]> extends true
      ? NotOne<S, R>
      : ShapeError<`squeeze: dim ${A} is ${S[A]}, not 1`>
  : false;
type DropAxes<S extends Shape, N extends number[], I extends 1[] = [], Acc extends Dim[] = []> = S extends readonly [
  infer H extends Dim,
  ...infer R extends Shape,
]
  ? DropAxes<R, N, [...I, 1], Includes<N, I['length']> extends true ? Acc : [...Acc, H]>
  : Acc;

/** The dims at `axes` removed; each must be 1 (a symbolic dim is not known to be 1). */
export type SqueezeShape<S extends Shape, Ax extends Axes> =
  IsTuple<S> extends false
    ? Shape
    : NormAxes<AxisList<Ax>, S['length'], 'squeeze'> extends infer N
      ? N extends ShapeError<string>
        ? N
        : N extends number[]
          ? number extends N['length']
            ? Shape
            : NotOne<S, N> extends infer E extends ShapeError<string>
              ? E
              : DropAxes<S, N>
          : never
      : never;

export function squeezeShape(s: RuntimeShape, axes: Axes): { axes: number[]; shape: RDim[] } {
  const n = normAxes(axes, s.length, 'squeeze');
  for (const a of n) if (s[a] !== 1) throw new RuleError(`squeeze: dim ${a} is ${fmtDim(s[a])}, not 1`);
  return { axes: n, shape: s.filter((_, i) => !n.includes(i)) };
}

export const squeezeOp: OpDef<{ readonly axes: Axes }> = {
  type: 'Squeeze',
  infer: ([x], { axes }) => [{ shape: squeezeShape(x.shape, axes).shape, dtype: x.dtype }],
  onnx: (w, [x], outs, { axes }, node) => w.node('Squeeze', [x, w.int64(squeezeShape(node.inputs[0].shape, axes).axes)], outs),
  tfjs(tf, [x], { axes }, node) {
    const drop = squeezeShape(node.inputs[0].shape, axes).axes;
    return [
      tf.reshape(
        x,
        x.shape.filter((_, i) => !drop.includes(i)),
      ),
    ];
  },
  vjp: (d, { inputs: [x], dys: [g] }) => [g && d.reshape(g, x.shape)],
};

/** Remove size-1 dims at `axes` (one axis or a list; negative counts from the end). */
export function squeeze<S extends Shape, D extends DType, const Ax extends Axes>(
  x: Tensor<S, D>,
  axes: Ax & NoInfer<Check<SqueezeShape<S, Ax>>>,
): Tensor<OrWide<SqueezeShape<S, Ax>>, D> {
  return wrap(apply(squeezeOp, [x.value], { axes })[0]);
}

// ---------------- unsqueeze ----------------
type InsertOnes<S extends Shape, N extends number[], Total extends number, I extends 1[] = [], Acc extends Dim[] = []> = I['length'] extends Total
  ? Acc
  : Includes<N, I['length']> extends true
    ? InsertOnes<S, N, Total, [...I, 1], [...Acc, 1]>
    : S extends readonly [infer H extends Dim, ...infer R extends Shape]
      ? InsertOnes<R, N, Total, [...I, 1], [...Acc, H]>
      : Acc;

/** Dims of size 1 inserted so that they sit at `axes` of the result (axes count in the result's rank). */
export type UnsqueezeShape<S extends Shape, Ax extends Axes> =
  IsTuple<S> extends false
    ? Shape
    : Add<S['length'], AxisList<Ax>['length']> extends infer Total extends number
      ? NormAxes<AxisList<Ax>, Total, 'unsqueeze'> extends infer N
        ? N extends ShapeError<string>
          ? N
          : N extends number[]
            ? number extends N['length']
              ? Shape
              : InsertOnes<S, N, Total>
            : never
        : never
      : never;

export function unsqueezeShape(s: RuntimeShape, axes: Axes): { axes: number[]; shape: RDim[] } {
  const total = s.length + (typeof axes === 'number' ? 1 : axes.length);
  const n = normAxes(axes, total, 'unsqueeze');
  const rest = [...s];
  return { axes: n, shape: Array.from({ length: total }, (_, i) => (n.includes(i) ? 1 : rest.shift()!)) };
}

export const unsqueezeOp: OpDef<{ readonly axes: Axes }> = {
  type: 'Unsqueeze',
  infer: ([x], { axes }) => [{ shape: unsqueezeShape(x.shape, axes).shape, dtype: x.dtype }],
  onnx: (w, [x], outs, { axes }, node) => w.node('Unsqueeze', [x, w.int64(unsqueezeShape(node.inputs[0].shape, axes).axes)], outs),
  tfjs: (tf, [x], { axes }) => [tf.reshape(x, unsqueezeShape(x.shape, axes).shape as number[])],
  vjp: (d, { inputs: [x], dys: [g] }) => [g && d.reshape(g, x.shape)],
};

/** Insert size-1 dims so that they are at `axes` of the result, e.g. [B, C] with axes [1, 2] → [B, 1, 1, C]. */
export function unsqueeze<S extends Shape, D extends DType, const Ax extends Axes>(
  x: Tensor<S, D>,
  axes: Ax & NoInfer<Check<UnsqueezeShape<S, Ax>>>,
): Tensor<OrWide<UnsqueezeShape<S, Ax>>, D> {
  return wrap(apply(unsqueezeOp, [x.value], { axes })[0]);
}
