// Reductions over a list of axes (ONNX ReduceMean/Sum/Max/Min, tf.mean/sum/max/min).
import type { AxisError, Check, Dim, IsLiteral, IsTuple, NormAxis, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type Value, type VjpArgs, type VjpResult } from '../graph.js';
import type { GradOps } from '../../autodiff/grad-ops.js';
import { Tensor, wrap } from '../tensor.js';
import { normAxis, RuleError, type Dim as RDim, type RuntimeShape } from '../dim.js';

// ---------------- type-level rule ----------------
/** Normalised axes, or the first error; `number[]` when an axis is not a literal (checked at build time). */
type ReduceAxes<Ax extends readonly number[], R extends number, Op extends string, Acc extends number[] = []> = Ax extends readonly [
  infer H extends number,
  ...infer T extends readonly number[],
]
  ? IsLiteral<H> extends false
    ? number[]
    : NormAxis<H, R> extends infer A
      ? A extends number
        ? [A] extends [Acc[number]]
          ? ShapeError<`${Op}: axis ${H} is repeated`>
          : ReduceAxes<T, R, Op, [...Acc, A]>
        : AxisError<Op, H, R>
      : never
  : Acc;

/** Walk the dims with an index counter: a reduced dim is dropped, or kept as 1 with keepdims. */
type Reduced<S extends Shape, Axes extends number, K extends boolean, I extends 0[] = [], Acc extends Dim[] = []> = S extends readonly [
  infer H extends Dim,
  ...infer R extends Shape,
]
  ? Reduced<R, Axes, K, [...I, 0], I['length'] extends Axes ? (K extends true ? [...Acc, 1] : Acc) : [...Acc, H]>
  : Acc;

/**
 * The output shape of reducing S over `Ax` (undefined: every axis), dims removed or (keepdims) set to 1;
 * a ShapeError for an out-of-range or repeated axis.
 */
export type ReduceShape<S extends Shape, Ax extends readonly number[] | undefined, K extends boolean, Op extends string> =
  IsTuple<S> extends false
    ? Shape
    : boolean extends K
      ? Shape
      : Ax extends readonly number[]
        ? number extends Ax['length']
          ? Shape
          : ReduceAxes<Ax, S['length'], Op> extends infer N
            ? N extends ShapeError<string>
              ? N
              : N extends readonly [] | readonly [number, ...number[]]
                ? Reduced<S, N[number], K>
                : Shape
            : never
        : Reduced<S, number, K>;

// ---------------- runtime rule ----------------
export type ReduceKind = 'ReduceMean' | 'ReduceSum' | 'ReduceMax' | 'ReduceMin';
export interface ReduceAttrs {
  /** Axes as the user wrote them (negative allowed); undefined: every axis. */
  readonly axes?: readonly number[];
  readonly keepdims: boolean;
}

const opName = (kind: ReduceKind): string => `reduce${kind.slice('Reduce'.length)}`;

/** The normalised, sorted axes a reduction runs over. */
export function reduceAxes(rank: number, axes: readonly number[] | undefined, op: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const norm = axes.map((a) => normAxis(a, rank, op));
  norm.forEach((a, i) => {
    if (norm.indexOf(a) !== i) throw new RuleError(`${op}: axis ${axes[i]} is repeated`);
  });
  return norm.sort((a, b) => a - b);
}

export function reduceShape(shape: RuntimeShape, axes: readonly number[] | undefined, keepdims: boolean, op: string): RDim[] {
  const reduced = new Set(reduceAxes(shape.length, axes, op));
  return shape.flatMap((d, i) => (reduced.has(i) ? (keepdims ? [1] : []) : [d]));
}

const tfReduce: Record<ReduceKind, (tf: TF, x: TFTensor, axes: number[], keepdims: boolean) => TFTensor> = {
  ReduceMean: (tf, x, axes, k) => tf.mean(x, axes, k),
  ReduceSum: (tf, x, axes, k) => tf.sum(x, axes, k),
  ReduceMax: (tf, x, axes, k) => tf.max(x, axes, k),
  ReduceMin: (tf, x, axes, k) => tf.min(x, axes, k),
};

/**
 * Sum: dy spread back over the reduced axes. Mean: the same over the element count (counted at run time
 * when a reduced dim is symbolic). Max/min: dy to every element equal to the result (as tfjs).
 */
function reduceVjp(kind: ReduceKind) {
  return (d: GradOps, { inputs: [x], outputs: [y], dys: [g], attrs }: VjpArgs<ReduceAttrs>): VjpResult => {
    if (!g) return [];
    const axes = reduceAxes(x.shape.length, attrs.axes, opName(kind));
    if (axes.length === 0) return [g];
    const kept = (v: Value) => d.reshape(v, reduceShape(x.shape, axes, true, opName(kind)));
    const gk = kept(g);
    switch (kind) {
      case 'ReduceSum':
        return [d.expand(gk, x)];
      case 'ReduceMean': {
        const dims = axes.map((a) => x.shape[a]);
        const count = dims.every((n): n is number => typeof n === 'number')
          ? dims.reduce((p, n) => p * n, 1)
          : d.reduceSum(d.expand(d.cast(d.constant(Float32Array.of(1), []), x.dtype), x), axes, true);
        return [d.expand(d.div(gk, count), x)];
      }
      default:
        return [d.where(d.equal(x, kept(y)), gk, 0)];
    }
  };
}

const reduceOps = new Map<ReduceKind, OpDef<ReduceAttrs>>();
export function reduceOp(kind: ReduceKind): OpDef<ReduceAttrs> {
  let op = reduceOps.get(kind);
  if (!op) {
    const name = opName(kind);
    op = {
      type: kind,
      infer([x], a) {
        if (x.dtype === 'bool') throw new RuleError(`${name}: dtype bool is not supported`);
        return [{ shape: reduceShape(x.shape, a.axes, a.keepdims, name), dtype: x.dtype }];
      },
      onnx(w, ins, outs, a, node) {
        const axes = reduceAxes(node.inputs[0].shape.length, a.axes, name);
        // Nothing to reduce: an empty axes list would mean "every axis" to ONNX.
        if (axes.length === 0) return w.node('Identity', ins, outs);
        const keepdims = a.keepdims ? 1 : 0;
        // Opset 13 moved ReduceSum's axes to an input; Mean/Max/Min keep the attribute until opset 18.
        if (kind === 'ReduceSum') w.node(kind, [ins[0], w.int64(axes)], outs, { keepdims });
        else w.node(kind, ins, outs, { axes, keepdims });
      },
      tfjs(tf, [x], a) {
        const axes = reduceAxes(x.rank, a.axes, name);
        return [axes.length === 0 ? tf.clone(x) : tfReduce[kind](tf, x, axes, a.keepdims)];
      },
      vjp: reduceVjp(kind),
    };
    reduceOps.set(kind, op);
  }
  return op;
}

// ---------------- public ----------------
/**
 * `axes` omitted (or undefined): reduce every axis. `keepdims` (default false, as in NumPy, PyTorch
 * and tfjs) keeps reduced dims as 1.
 */
type Reduce<Op extends string> = <S extends Shape, D extends DType, const Ax extends readonly number[] | undefined = undefined, K extends boolean = false>(
  x: Tensor<S, D>,
  axes?: Ax & Check<ReduceShape<S, Ax, K, Op>>,
  keepdims?: K,
) => Tensor<OrWide<ReduceShape<S, Ax, K, Op>>, D>;

const reduce =
  (kind: ReduceKind): Reduce<string> =>
  (x, axes, keepdims) =>
    wrap(
      apply(reduceOp(kind), [x.value], { axes: axes === undefined ? undefined : [...(axes as readonly number[])], keepdims: keepdims ?? false })[0],
    ) as never;

export const reduceMean: Reduce<'reduceMean'> = reduce('ReduceMean');
export const reduceSum: Reduce<'reduceSum'> = reduce('ReduceSum');
export const reduceMax: Reduce<'reduceMax'> = reduce('ReduceMax');
export const reduceMin: Reduce<'reduceMin'> = reduce('ReduceMin');
