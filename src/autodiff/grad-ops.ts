// The ops gradient rules are written with: the DSL's own ops on untyped Values (a rule works on any shape,
// so the typed public signatures would only be cast away), plus the unbroadcast `sumTo` and the few
// gradient ops (src/dsl/ops/{expand,pad,conv-grad,pool-grad}.ts). Each OpDef's `vjp` receives these as `d`,
// so the op files import nothing from here at run time.
import type { DType } from '../dsl/dtype.js';
import type { Dim } from '../dsl/dim.js';
import { fmtShape, normAxis, RuleError } from '../dsl/dim.js';
import { apply, type Value } from '../dsl/graph.js';
import { Tensor, wrap } from '../dsl/tensor.js';
import { constant as constantT, scalar } from '../dsl/const.js';
import * as ew from '../dsl/ops/elementwise.js';
import { matmulOp } from '../dsl/ops/matmul.js';
import { reduceOp } from '../dsl/ops/reduce.js';
import { reshapeOp } from '../dsl/ops/reshape.js';
import { transposeOp } from '../dsl/ops/transpose.js';
import { concatOp } from '../dsl/ops/concat.js';
import { sliceOp, splitOp } from '../dsl/ops/slice.js';
import { softmaxOp } from '../dsl/ops/softmax.js';
import { conv2dOp, convTranspose2dOp } from '../dsl/ops/conv.js';
import { expandOp } from '../dsl/ops/expand.js';
import { padOp } from '../dsl/ops/pad.js';
import { flipOp } from '../dsl/ops/flip.js';
import { layerNormPartsOp } from '../dsl/ops/layer-norm-parts.js';
import { reshapeLikeOp } from '../dsl/ops/reshape-like.js';
import { conv2dFilterGradOp, type ConvFilterGradAttrs } from '../dsl/ops/conv-grad.js';
import { avgPool2dGradOp, maxPool2dGradOp, type PoolGradAttrs } from '../dsl/ops/pool-grad.js';
import type { Pair2 } from '../dsl/ops/spatial.js';
import { avgPool2dOp } from '../dsl/ops/pool.js';

/** A Value, or a plain number (a scalar of the other operand's dtype). */
export type Operand = Value | number;

export interface ConvAttrs {
  readonly stride: Pair2;
  readonly padding: Pair2;
  readonly dilation: Pair2;
  readonly groups: number;
}
export interface ConvTransposeAttrs {
  readonly stride: Pair2;
  readonly padding: Pair2;
  readonly dilation: Pair2;
  readonly outputPadding: Pair2;
}

export interface GradOps {
  add(a: Operand, b: Operand): Value;
  sub(a: Operand, b: Operand): Value;
  mul(a: Operand, b: Operand): Value;
  div(a: Operand, b: Operand): Value;
  pow(a: Operand, b: Operand): Value;
  maximum(a: Operand, b: Operand): Value;
  minimum(a: Operand, b: Operand): Value;
  neg(x: Value): Value;
  abs(x: Value): Value;
  relu(x: Value): Value;
  softplus(x: Value): Value;
  exp(x: Value): Value;
  log(x: Value): Value;
  sqrt(x: Value): Value;
  sin(x: Value): Value;
  cos(x: Value): Value;
  erf(x: Value): Value;
  sigmoid(x: Value): Value;
  reciprocal(x: Value): Value;
  greater(a: Operand, b: Operand): Value;
  less(a: Operand, b: Operand): Value;
  equal(a: Operand, b: Operand): Value;
  where(cond: Value, a: Operand, b: Operand): Value;
  cast(x: Value, to: DType): Value;
  matmul(a: Value, b: Value): Value;
  /** The last two axes swapped. */
  transposeLast(x: Value): Value;
  transpose(x: Value, perm: readonly number[]): Value;
  /** Reversed along `axes`. */
  flip(x: Value, axes: readonly number[]): Value;
  reshape(x: Value, shape: readonly Dim[]): Value;
  /** `x` in `like`'s shape, read at run time. */
  reshapeLike(x: Value, like: Value): Value;
  reduceSum(x: Value, axes: readonly number[], keepdims: boolean): Value;
  reduceMean(x: Value, axes: readonly number[], keepdims: boolean): Value;
  softmax(x: Value, axis: number): Value;
  /** `x` summed over the axes broadcasting added or stretched, down to `shape` (NumPy's unbroadcast). */
  sumTo(x: Value, shape: readonly Dim[]): Value;
  /** `x` broadcast to the common shape of `x` and `like`. */
  expand(x: Value, like: Value): Value;
  /** Zeros shaped like `like`, of its dtype. */
  zerosLike(like: Value): Value;
  slice(x: Value, axis: number, start: number, end?: number): Value;
  pad(x: Value, axis: number, before: number, after: number): Value;
  concat(xs: readonly Value[], axis: number): Value;
  split(x: Value, axis: number, sizes: readonly number[]): Value[];
  constant(values: Float32Array, shape: readonly number[]): Value;
  conv2d(x: Value, w: Value, attrs: ConvAttrs): Value;
  convTranspose2d(x: Value, w: Value, attrs: ConvTransposeAttrs): Value;
  conv2dFilterGrad(x: Value, dy: Value, attrs: ConvFilterGradAttrs): Value;
  maxPool2dGrad(x: Value, dy: Value, attrs: PoolGradAttrs): Value;
  avgPool2dGrad(x: Value, dy: Value, attrs: PoolGradAttrs): Value;
  avgPool2d(x: Value, attrs: PoolGradAttrs): Value;
  /** [x̂, 1/√(σ² + ε)] of layer normalisation over x.shape[axis:] (static normalised dims). */
  layerNormParts(x: Value, axis: number, epsilon: number): [Value, Value];
}

type AnyTensor = Tensor<readonly Dim[], DType>;
const t = (v: Value): AnyTensor => wrap(v);
const operand = (x: Operand): AnyTensor | number => (typeof x === 'number' ? x : t(x));
type Binary = (a: never, b: never) => AnyTensor;
type Unary = (x: never) => AnyTensor;
const bin =
  (f: unknown) =>
  (a: Operand, b: Operand): Value =>
    (f as Binary)(operand(a) as never, operand(b) as never).value;
const un =
  (f: unknown) =>
  (x: Value): Value =>
    (f as Unary)(t(x) as never).value;
const one = <A>(op: Parameters<typeof apply<A>>[0], inputs: readonly Value[], attrs: A): Value => apply(op, inputs, attrs)[0];

function sumTo(x: Value, shape: readonly Dim[]): Value {
  const lead = x.shape.length - shape.length;
  if (lead < 0) throw new RuleError(`sumTo: ${fmtShape(x.shape)} has fewer dims than ${fmtShape(shape)}`);
  const leading = Array.from({ length: lead }, (_, i) => i);
  const stretched = shape.flatMap((d, i) => (d === 1 && x.shape[lead + i] !== 1 ? [lead + i] : []));
  let y = x;
  if (stretched.length) y = one(reduceOp('ReduceSum'), [y], { axes: stretched, keepdims: true });
  if (leading.length) y = one(reduceOp('ReduceSum'), [y], { axes: leading, keepdims: false });
  return y;
}

/** The implementation every `vjp` is given. */
export const gradOps: GradOps = {
  add: bin(ew.add),
  sub: bin(ew.sub),
  mul: bin(ew.mul),
  div: bin(ew.div),
  pow: bin(ew.pow),
  maximum: bin(ew.maximum),
  minimum: bin(ew.minimum),
  neg: un(ew.neg),
  abs: un(ew.abs),
  relu: un(ew.relu),
  softplus: un(ew.softplus),
  exp: un(ew.exp),
  log: un(ew.log),
  sqrt: un(ew.sqrt),
  sin: un(ew.sin),
  cos: un(ew.cos),
  erf: un(ew.erf),
  sigmoid: un(ew.sigmoid),
  reciprocal: un(ew.reciprocal),
  greater: bin(ew.greater),
  less: bin(ew.less),
  equal: bin(ew.equal),
  where: (c, a, b) => (ew.where as (c: never, a: never, b: never) => AnyTensor)(t(c) as never, operand(a) as never, operand(b) as never).value,
  cast: (x, to) => (x.dtype === to ? x : ew.cast(t(x), to).value),
  matmul: (a, b) => one(matmulOp, [a, b], {}),
  transposeLast: (x) => {
    const r = x.shape.length;
    return one(transposeOp, [x], { perm: [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2] });
  },
  transpose: (x, perm) => one(transposeOp, [x], { perm }),
  flip: (x, axes) => one(flipOp, [x], { axes }),
  reshape: (x, shape) => (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]) ? x : one(reshapeOp, [x], { shape })),
  reshapeLike: (x, like) => one(reshapeLikeOp, [x, like], {}),
  reduceSum: (x, axes, keepdims) => one(reduceOp('ReduceSum'), [x], { axes, keepdims }),
  reduceMean: (x, axes, keepdims) => one(reduceOp('ReduceMean'), [x], { axes, keepdims }),
  softmax: (x, axis) => one(softmaxOp, [x], { axis }),
  sumTo,
  expand: (x, like) => one(expandOp, [x, like], {}),
  zerosLike: (like) => one(expandOp, [scalar(0, like.dtype).value, like], {}),
  slice: (x, axis, start, end) => one(sliceOp, [x], end === undefined ? { axis, start } : { axis, start, end }),
  pad: (x, axis, before, after) => (before === 0 && after === 0 ? x : one(padOp, [x], { axis: normAxis(axis, x.shape.length, 'pad'), before, after })),
  concat: (xs, axis) => (xs.length === 1 ? xs[0] : one(concatOp, xs, { axis })),
  split: (x, axis, sizes) => (sizes.length === 1 ? [x] : apply(splitOp, [x], { axis, sizes })),
  constant: (values, shape) => constantT(values, shape).value,
  conv2d: (x, w, attrs) => one(conv2dOp, [x, w], attrs),
  convTranspose2d: (x, w, attrs) => one(convTranspose2dOp, [x, w], attrs),
  conv2dFilterGrad: (x, dy, attrs) => one(conv2dFilterGradOp, [x, dy], attrs),
  maxPool2dGrad: (x, dy, attrs) => one(maxPool2dGradOp, [x, dy], attrs),
  avgPool2dGrad: (x, dy, attrs) => one(avgPool2dGradOp, [x, dy], attrs),
  avgPool2d: (x, attrs) => one(avgPool2dOp, [x], attrs),
  layerNormParts: (x, axis, epsilon) => apply(layerNormPartsOp, [x], { axis, epsilon }) as [Value, Value],
};
