// slice and split: parts of a tensor along one axis (ONNX Slice/Split with inputs, opset 13+; tf.slice, tf.split).
import type { Add, Check, Cmp, Dim, IsLiteral, IsTuple, NormAxis, OrWide, Shape, ShapeError, Sub } from '../types/shape.js';
import type { Join, ReplaceAt } from '../types/tuple.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtDim, normAxis, RuleError, type Dim as RDim, type RuntimeShape } from '../dim.js';

// ---------------- slice ----------------
type Neg<N extends number> = `${N}` extends `-${infer M extends number}` ? M : never;
type IsNeg<N extends number> = `${N}` extends `-${string}` ? true : false;
type Bounds<St extends number, En> = En extends number ? `[${St}:${En}]` : `[${St}:]`;

/** Length of x[St:En] along a dim of length D, Python-style negative indices; a ShapeError when out of range. */
type StaticLen<D extends number, St extends number, En, Ax extends number> = (IsNeg<St> extends true ? Sub<D, Neg<St>> : St) extends infer S
  ? (En extends number ? (IsNeg<En> extends true ? Sub<D, Neg<En>> : En) : D) extends infer E
    ? S extends number
      ? E extends number
        ? Cmp<E, D> extends 'g'
          ? ShapeError<`slice: ${Bounds<St, En>} is out of range for dim ${Ax} (size ${D})`>
          : Sub<E, S> extends infer L extends number
            ? L
            : ShapeError<`slice: ${Bounds<St, En>} ends before it starts on dim ${Ax} (size ${D})`>
        : ShapeError<`slice: ${Bounds<St, En>} is out of range for dim ${Ax} (size ${D})`>
      : ShapeError<`slice: ${Bounds<St, En>} is out of range for dim ${Ax} (size ${D})`>
    : never
  : never;

/** On a symbolic dim: fixed-size when both bounds count from the same end, else `D-k`, as `sliceLen` writes it. */
type SymbolicLen<D extends string, St extends number, En, Ax extends number> =
  IsNeg<St> extends true
    ? En extends number
      ? IsNeg<En> extends true
        ? Sub<Neg<St>, Neg<En>> extends infer L extends number
          ? L
          : ShapeError<`slice: ${Bounds<St, En>} ends before it starts on dim ${Ax} (${D})`>
        : ShapeError<`slice: ${Bounds<St, En>} mixes a negative start and a non-negative end on symbolic dim ${Ax} (${D})`>
      : Neg<St>
    : En extends number
      ? IsNeg<En> extends true
        ? `${D}-${Add<St, Neg<En>>}`
        : Sub<En, St> extends infer L extends number
          ? L
          : ShapeError<`slice: ${Bounds<St, En>} ends before it starts on dim ${Ax} (${D})`>
      : St extends 0
        ? D
        : `${D}-${St}`;

type SliceLen<D extends Dim, St extends number, En, Ax extends number> =
  IsLiteral<St> extends false
    ? number
    : En extends number
      ? IsLiteral<En> extends false
        ? number
        : SliceLenKnown<D, St, En, Ax>
      : SliceLenKnown<D, St, En, Ax>;
type SliceLenKnown<D extends Dim, St extends number, En, Ax extends number> = D extends number
  ? IsLiteral<D> extends true
    ? StaticLen<D, St, En, Ax>
    : number
  : string extends D
    ? Dim
    : SymbolicLen<D & string, St, En, Ax>;

/** x[start:end] along `Ax`; end omitted means to the end of the dim. */
export type SliceShape<S extends Shape, Ax extends number, St extends number, En> =
  IsTuple<S> extends false
    ? Shape
    : IsLiteral<Ax> extends false
      ? Shape
      : NormAxis<Ax, S['length']> extends infer A
        ? A extends number
          ? SliceLen<S[A], St, En, A> extends infer L
            ? L extends ShapeError<string>
              ? L
              : ReplaceAt<S, A, L & Dim>
            : never
          : ShapeError<`slice: axis ${Ax} is out of range for rank ${S['length']}`>
        : never;

/** The length of x[start:end] on dim `d` (axis `ax`), as the type level computes it. */
export function sliceLen(d: RDim, start: number, end: number | undefined, ax: number): RDim {
  const bounds = `[${start}:${end ?? ''}]`;
  if (typeof d === 'number') {
    const s = start < 0 ? d + start : start;
    const e = end === undefined ? d : end < 0 ? d + end : end;
    if (s < 0 || e < 0 || e > d) throw new RuleError(`slice: ${bounds} is out of range for dim ${ax} (size ${d})`);
    if (e < s) throw new RuleError(`slice: ${bounds} ends before it starts on dim ${ax} (size ${d})`);
    return e - s;
  }
  const before = () => new RuleError(`slice: ${bounds} ends before it starts on dim ${ax} (${d})`);
  if (start < 0) {
    if (end === undefined) return -start;
    if (end >= 0) throw new RuleError(`slice: ${bounds} mixes a negative start and a non-negative end on symbolic dim ${ax} (${d})`);
    if (end < start) throw before();
    return end - start;
  }
  if (end === undefined) return start === 0 ? d : `${d}-${start}`;
  if (end < 0) return `${d}-${start - end}`;
  if (end < start) throw before();
  return end - start;
}

interface SliceAttrs {
  readonly axis: number;
  readonly start: number;
  readonly end?: number;
}

export function sliceShape(s: RuntimeShape, { axis, start, end }: SliceAttrs): RDim[] {
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) throw new RuleError(`slice: bounds [${start}:${end ?? ''}] must be integers`);
  const a = normAxis(axis, s.length, 'slice');
  return s.map((d, i) => (i === a ? sliceLen(d, start, end, a) : d));
}

export const sliceOp: OpDef<SliceAttrs> = {
  type: 'Slice',
  infer: ([x], attrs) => [{ shape: sliceShape(x.shape, attrs), dtype: x.dtype }],
  onnx(w, [x], outs, { axis, start, end }, node) {
    const a = normAxis(axis, node.inputs[0].shape.length, 'slice');
    // An omitted end is "to the end": any end past the dim does that, as ONNX clamps ends.
    const ends = w.int64([end ?? Number.MAX_SAFE_INTEGER]);
    w.node('Slice', [x, w.int64([start]), ends, w.int64([a])], outs);
  },
  tfjs(tf, [x], { axis, start, end }) {
    const a = normAxis(axis, x.rank, 'slice');
    const d = x.shape[a];
    const s = start < 0 ? d + start : start;
    const begin = x.shape.map((_, i) => (i === a ? s : 0));
    const size = x.shape.map((n, i) => (i === a ? (sliceLen(d, start, end, a) as number) : n));
    return [tf.slice(x, begin, size)];
  },
  // dy padded back with zeros to the input's length (static pads: a symbolic dim needs a non-negative start).
  vjp(d, { inputs: [x], dys: [g], attrs: { axis, start, end } }) {
    if (!g) return [];
    const a = normAxis(axis, x.shape.length, 'slice');
    const n = x.shape[a];
    if (typeof n === 'number') {
      const s = start < 0 ? n + start : start;
      const e = end === undefined ? n : end < 0 ? n + end : end;
      return [d.pad(g, a, s, n - e)];
    }
    if (start < 0 || (end !== undefined && end >= 0))
      throw new RuleError(`slice gradient: [${start}:${end ?? ''}] on symbolic dim ${a} (${n}) leaves a symbolic amount of padding`);
    return [d.pad(g, a, start, end === undefined ? 0 : -end)];
  },
};

/**
 * x[start:end] along `axis` (Python-style negative indices; end omitted = to the end). Static bounds
 * are checked. On a symbolic dim the bounds are taken to fit (e.g. [1:-1] of H is H-2, [0:5] is 5);
 * a negative start with a non-negative end is rejected, as its length depends on the dim.
 */
export function slice<S extends Shape, D extends DType, Ax extends number, St extends number, En extends number | undefined = undefined>(
  x: Tensor<S, D>,
  axis: Ax,
  start: St & NoInfer<Check<SliceShape<S, Ax, St, En>>>,
  end?: En,
): Tensor<OrWide<SliceShape<S, Ax, St, En>>, D> {
  return wrap(apply(sliceOp, [x.value], end === undefined ? { axis, start } : { axis, start, end })[0]);
}

// ---------------- split ----------------
type Sum<T extends readonly number[], Acc extends number = 0> = T extends readonly [infer H extends number, ...infer R extends readonly number[]]
  ? Sum<R, Add<Acc, H>>
  : Acc;

/** The check: sizes sum to the dim at `Ax` (which must be static); `true` when they do. */
export type SplitRule<S extends Shape, Ax extends number, Sz extends readonly number[]> =
  IsTuple<S> extends false
    ? true
    : IsLiteral<Ax> extends false
      ? true
      : number extends Sz['length']
        ? true
        : NormAxis<Ax, S['length']> extends infer A
          ? A extends number
            ? S[A] extends infer D
              ? D extends number
                ? IsLiteral<D> extends false
                  ? true
                  : Sum<Sz> extends infer T
                    ? [T] extends [D]
                      ? true
                      : ShapeError<`split: sizes [${Join<Sz>}] sum to ${T & number}, but dim ${A} is ${D}`>
                    : never
                : string extends D
                  ? true
                  : ShapeError<`split: dim ${A} is ${D & string}; splitting into sizes [${Join<Sz>}] needs a static dim`>
              : never
            : ShapeError<`split: axis ${Ax} is out of range for rank ${S['length']}`>
          : never;

/** One tensor per size: the input with dim `Ax` replaced by that size. */
export type SplitResult<S extends Shape, D extends DType, Ax extends number, Sz extends readonly number[]> =
  SplitRule<S, Ax, Sz> extends ShapeError<string>
    ? Tensor<Shape, D>[]
    : IsTuple<S> extends false
      ? Tensor<Shape, D>[]
      : IsLiteral<Ax> extends false
        ? Tensor<Shape, D>[]
        : NormAxis<Ax, S['length']> extends infer A extends number
          ? { -readonly [K in keyof Sz]: Tensor<ReplaceAt<S, A, Sz[K] & number>, D> }
          : Tensor<Shape, D>[];

export function splitShapes(s: RuntimeShape, axis: number, sizes: readonly number[]): RDim[][] {
  const a = normAxis(axis, s.length, 'split');
  if (sizes.length === 0) throw new RuleError('split: needs at least one size');
  if (sizes.some((n) => !Number.isInteger(n) || n < 0)) throw new RuleError(`split: sizes [${sizes.join(', ')}] must be non-negative integers`);
  const d = s[a];
  const total = sizes.reduce((p, n) => p + n, 0);
  if (typeof d === 'string') throw new RuleError(`split: dim ${a} is ${d}; splitting into sizes [${sizes.join(', ')}] needs a static dim`);
  if (total !== d) throw new RuleError(`split: sizes [${sizes.join(', ')}] sum to ${total}, but dim ${a} is ${fmtDim(d)}`);
  return sizes.map((n) => s.map((x, i) => (i === a ? n : x)));
}

export const splitOp: OpDef<{ readonly axis: number; readonly sizes: readonly number[] }> = {
  type: 'Split',
  infer: ([x], { axis, sizes }) => splitShapes(x.shape, axis, sizes).map((shape) => ({ shape, dtype: x.dtype })),
  onnx: (w, [x], outs, { axis, sizes }, node) => w.node('Split', [x, w.int64(sizes)], outs, { axis: normAxis(axis, node.inputs[0].shape.length, 'split') }),
  tfjs: (tf, [x], { axis, sizes }) => tf.split(x, [...sizes], normAxis(axis, x.rank, 'split')),
  // The parts' cotangents joined again, zeros for parts nothing flowed into.
  vjp: (d, { dys, outputs, attrs: { axis } }) =>
    dys.some(Boolean)
      ? [
          d.concat(
            dys.map((g, i) => g ?? d.zerosLike(outputs[i])),
            axis,
          ),
        ]
      : [],
};

/** Cut `x` along `axis` into parts of the given sizes (which must sum to that dim); returns one tensor per size. */
export function split<S extends Shape, D extends DType, Ax extends number, const Sz extends readonly number[]>(
  x: Tensor<S, D>,
  axis: Ax,
  sizes: Sz & NoInfer<Check<SplitRule<S, Ax, Sz>>>,
): SplitResult<S, D, Ax, Sz> {
  return apply(splitOp, [x.value], { axis, sizes: [...sizes] }).map((v) => wrap(v)) as never;
}
