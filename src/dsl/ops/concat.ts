// concat and stack: join tensors along an axis (ONNX Concat, Unsqueeze+Concat; tf.concat, tf.stack).
import type { Check, Dim, DimAdd, DimsAgree, IsLiteral, IsTuple, IsWideDim, NormAxis, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { InsertAt } from '../types/tuple.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef, type Value } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { dimAdd, fmtDim, normAxis, RuleError, type Dim as RDim } from '../dim.js';

type AnyTensor = Tensor<Shape, DType>;
export type ShapesOf<T extends readonly AnyTensor[]> = { [K in keyof T]: T[K] extends Tensor<infer S, DType> ? S : never };
type FirstDType<T extends readonly AnyTensor[]> = T extends readonly [Tensor<Shape, infer D>, ...AnyTensor[]] ? D : DType;

/**
 * Merge shape B into the running result A: every dim but `Ax` must agree (a wide dim defers to
 * build time and the other one is kept); dim `Ax` is summed with DimAdd, exactly as `dimAdd` writes it.
 */
type Merge<A extends Shape, B extends Shape, Ax extends number, Op extends string, I extends 1[] = [], Acc extends Dim[] = []> = A extends readonly [
  infer HA extends Dim,
  ...infer TA extends Shape,
]
  ? B extends readonly [infer HB extends Dim, ...infer TB extends Shape]
    ? I['length'] extends Ax
      ? Merge<TA, TB, Ax, Op, [...I, 1], [...Acc, DimAdd<HA, HB>]>
      : DimsAgree<HA, HB> extends true
        ? Merge<TA, TB, Ax, Op, [...I, 1], [...Acc, IsWideDim<HA> extends true ? HB : HA]>
        : ShapeError<`${Op}: dim ${I['length']} differs (${HA} vs ${HB})`>
    : Acc
  : Acc;

type Fold<Acc extends Shape, Rest extends readonly Shape[], Ax extends number, Op extends string> = Rest extends readonly [
  infer S extends Shape,
  ...infer R extends readonly Shape[],
]
  ? IsTuple<S> extends false
    ? Shape
    : S['length'] extends Acc['length']
      ? Merge<Acc, S, Ax, Op> extends infer M
        ? M extends Shape
          ? Fold<M, R, Ax, Op>
          : M
        : never
      : ShapeError<`${Op}: ranks differ (${Acc['length']} vs ${S['length']})`>
  : Acc;

/** Shapes joined along `Ax`: equal except at Ax, where the dims add up. */
export type ConcatShape<Shapes extends readonly Shape[], Ax extends number> = number extends Shapes['length']
  ? Shape
  : Shapes extends readonly [infer F extends Shape, ...infer R extends readonly Shape[]]
    ? IsTuple<F> extends false
      ? Shape
      : IsLiteral<Ax> extends false
        ? Shape
        : NormAxis<Ax, F['length']> extends infer A
          ? A extends number
            ? Fold<[...F], R, A, 'concat'>
            : ShapeError<`concat: axis ${Ax} is out of range for rank ${F['length']}`>
          : never
    : ShapeError<'concat: needs at least one tensor'>;

/** Shapes stacked along a new axis `Ax` (of the result): all equal; the new dim is their count. */
export type StackShape<Shapes extends readonly Shape[], Ax extends number> = number extends Shapes['length']
  ? Shape
  : Shapes extends readonly [infer F extends Shape, ...infer R extends readonly Shape[]]
    ? IsTuple<F> extends false
      ? Shape
      : IsLiteral<Ax> extends false
        ? Shape
        : NormAxis<Ax, [...F, 1]['length']> extends infer A
          ? A extends number
            ? Fold<[...F], R, -1, 'stack'> extends infer M
              ? M extends ShapeError<string>
                ? M
                : M extends Shape
                  ? InsertAt<M, A, Shapes['length']>
                  : never
              : never
            : ShapeError<`stack: axis ${Ax} is out of range for rank ${[...F, 1]['length']}`>
          : never
    : ShapeError<'stack: needs at least one tensor'>;

function joined(xs: readonly Value[], axis: number | undefined, op: string): RDim[] {
  if (xs.length === 0) throw new RuleError(`${op}: needs at least one tensor`);
  const [first, ...rest] = xs;
  let acc: RDim[] = [...first.shape];
  for (const x of rest) {
    if (x.shape.length !== acc.length) throw new RuleError(`${op}: ranks differ (${acc.length} vs ${x.shape.length})`);
    if (x.dtype !== first.dtype) throw new RuleError(`${op}: dtypes differ (${first.dtype} vs ${x.dtype})`);
    acc = acc.map((d, i) => {
      if (i === axis) return dimAdd(d, x.shape[i]);
      if (d !== x.shape[i]) throw new RuleError(`${op}: dim ${i} differs (${fmtDim(d)} vs ${fmtDim(x.shape[i])})`);
      return d;
    });
  }
  return acc;
}

export function concatShape(xs: readonly Value[], axis: number): RDim[] {
  if (xs.length === 0) throw new RuleError('concat: needs at least one tensor');
  return joined(xs, normAxis(axis, xs[0].shape.length, 'concat'), 'concat');
}

export const concatOp: OpDef<{ readonly axis: number }> = {
  type: 'Concat',
  infer: (xs, { axis }) => [{ shape: concatShape(xs, axis), dtype: xs[0].dtype }],
  onnx: (w, ins, outs, { axis }, node) => w.node('Concat', ins, outs, { axis: normAxis(axis, node.inputs[0].shape.length, 'concat') }),
  tfjs: (tf, xs, { axis }) => [tf.concat([...xs], normAxis(axis, xs[0].rank, 'concat'))],
  // dy cut back into the parts: one Split when their lengths are static, else a slice each.
  vjp(d, { inputs, dys: [g], attrs: { axis } }) {
    if (!g) return [];
    const a = normAxis(axis, inputs[0].shape.length, 'concat');
    const sizes = inputs.map((x) => x.shape[a]);
    if (sizes.every((n): n is number => typeof n === 'number')) return d.split(g, a, sizes);
    let start = 0;
    return inputs.map((x, i) => {
      const n = sizes[i];
      if (typeof n !== 'number' && i < inputs.length - 1)
        throw new RuleError(`concat gradient: part ${i} has symbolic length ${n} along axis ${a}; only the last part may`);
      const part = d.slice(g, a, start, typeof n === 'number' ? start + n : undefined);
      start += typeof n === 'number' ? n : 0;
      return d.reshape(part, x.shape);
    });
  },
};

/**
 * Join tensors along `axis`; all other dims must agree. The first signature matches two tensors of one shape joined
 * along the last axis by pattern (the last dim doubles, as DimAdd writes it), so it also checks inside bodies
 * generic in their dims.
 */
export function concat<P extends Shape, F extends Dim, D extends DType>(
  tensors: readonly [Tensor<readonly [...P, F], D>, NoInfer<Tensor<readonly [...P, F], D>>],
  axis: -1,
): Tensor<[...P, DimAdd<F, F>], D>;
export function concat<const T extends readonly AnyTensor[], Ax extends number>(
  tensors: T & NoInfer<Check<ConcatShape<ShapesOf<T>, Ax>>>,
  axis: Ax,
): Tensor<OrWide<ConcatShape<ShapesOf<T>, Ax>>, FirstDType<T>>;
export function concat(tensors: readonly AnyTensor[], axis: number): AnyTensor {
  return wrap(
    apply(
      concatOp,
      tensors.map((t) => t.value),
      { axis },
    )[0],
  );
}

export function stackShape(xs: readonly Value[], axis: number): RDim[] {
  if (xs.length === 0) throw new RuleError('stack: needs at least one tensor');
  const a = normAxis(axis, xs[0].shape.length + 1, 'stack');
  const s = joined(xs, undefined, 'stack');
  return [...s.slice(0, a), xs.length, ...s.slice(a)];
}

export const stackOp: OpDef<{ readonly axis: number }> = {
  type: 'Stack',
  infer: (xs, { axis }) => [{ shape: stackShape(xs, axis), dtype: xs[0].dtype }],
  onnx(w, ins, [y], { axis }, node) {
    const a = normAxis(axis, node.inputs[0].shape.length + 1, 'stack');
    const axes = w.int64([a]);
    const parts = ins.map((x) => {
      const u = w.tmp('unsqueezed');
      w.node('Unsqueeze', [x, axes], [u]);
      return u;
    });
    w.node('Concat', parts, [y], { axis: a });
  },
  tfjs: (tf, xs, { axis }) => [tf.stack([...xs], normAxis(axis, xs[0].rank + 1, 'stack'))],
  vjp(d, { inputs, dys: [g], attrs: { axis } }) {
    if (!g) return [];
    const a = normAxis(axis, inputs[0].shape.length + 1, 'stack');
    return d
      .split(
        g,
        a,
        inputs.map(() => 1),
      )
      .map((part, i) => d.reshape(part, inputs[i].shape));
  },
};

/** Stack equal-shaped tensors along a new axis `axis` of the result. */
export function stack<const T extends readonly AnyTensor[], Ax extends number>(
  tensors: T & NoInfer<Check<StackShape<ShapesOf<T>, Ax>>>,
  axis: Ax,
): Tensor<OrWide<StackShape<ShapesOf<T>, Ax>>, FirstDType<T>> {
  return wrap(
    apply(
      stackOp,
      tensors.map((t) => t.value),
      { axis },
    )[0],
  );
}
