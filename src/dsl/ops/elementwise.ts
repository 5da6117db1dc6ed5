// Element-wise ops with NumPy broadcasting, and unary activations.
import type { Broadcast, Check, OrWide, Shape, ShapeError } from '../types/shape.js';
import { onnxElemType, type DType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type Value, type VjpResult } from '../graph.js';
import type { GradOps } from '../../autodiff/grad-ops.js';
import { Tensor, wrap } from '../tensor.js';
import { broadcastShapes, RuleError } from '../dim.js';
import { scalar } from '../const.js';

/** A tensor or a plain number (a scalar of the other operand's dtype). */
export type Operand = Tensor<Shape, DType> | number;
export type ShapeOf<T> = T extends Tensor<infer S, DType> ? S : [];
type DTypeOf<A, B> = A extends Tensor<Shape, infer D> ? D : B extends Tensor<Shape, infer D> ? D : 'float32';
type BinaryResult<A, B, Op extends string> = Broadcast<ShapeOf<A>, ShapeOf<B>, Op>;

// ---------------- binary ----------------
type BinaryKind = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Max' | 'Min' | 'Equal' | 'Greater' | 'Less' | 'And' | 'Or';
const comparisons: ReadonlySet<BinaryKind> = new Set(['Equal', 'Greater', 'Less', 'And', 'Or']);

const tfBinary: Record<BinaryKind, (tf: TF, a: TFTensor, b: TFTensor) => TFTensor> = {
  Add: (tf, a, b) => tf.add(a, b),
  Sub: (tf, a, b) => tf.sub(a, b),
  Mul: (tf, a, b) => tf.mul(a, b),
  Div: (tf, a, b) => tf.div(a, b),
  Pow: (tf, a, b) => tf.pow(a, b),
  Max: (tf, a, b) => tf.maximum(a, b),
  Min: (tf, a, b) => tf.minimum(a, b),
  Equal: (tf, a, b) => tf.equal(a, b),
  Greater: (tf, a, b) => tf.greater(a, b),
  Less: (tf, a, b) => tf.less(a, b),
  And: (tf, a, b) => tf.logicalAnd(a, b),
  Or: (tf, a, b) => tf.logicalOr(a, b),
};

/**
 * Gradients of the float binaries: dy through the local derivative, summed back over the axes broadcasting
 * stretched (`sumTo`). Max/min send dy to the operand that won, a tie to the first (as tfjs).
 */
type BinaryVjp = (d: GradOps, a: Value, b: Value, y: Value, g: Value) => [Value | undefined, Value | undefined];
const binaryVjp: Partial<Record<BinaryKind, BinaryVjp>> = {
  Add: (d, a, b, _y, g) => [d.sumTo(g, a.shape), d.sumTo(g, b.shape)],
  Sub: (d, a, b, _y, g) => [d.sumTo(g, a.shape), d.sumTo(d.neg(g), b.shape)],
  Mul: (d, a, b, _y, g) => [d.sumTo(d.mul(g, b), a.shape), d.sumTo(d.mul(g, a), b.shape)],
  Div: (d, a, b, y, g) => {
    const q = d.div(g, b);
    return [d.sumTo(q, a.shape), d.sumTo(d.neg(d.mul(q, y)), b.shape)];
  },
  // ∂/∂b = y·log a, taken as 0 where a ≤ 0 (as tfjs).
  Pow: (d, a, b, y, g) => [
    d.sumTo(d.mul(g, d.mul(b, d.pow(a, d.sub(b, 1)))), a.shape),
    d.sumTo(d.mul(g, d.where(d.greater(a, 0), d.mul(y, d.log(a)), 0)), b.shape),
  ],
  Max: (d, a, b, _y, g) => {
    const bWins = d.less(a, b);
    return [d.sumTo(d.where(bWins, 0, g), a.shape), d.sumTo(d.where(bWins, g, 0), b.shape)];
  },
  Min: (d, a, b, _y, g) => {
    const bWins = d.greater(a, b);
    return [d.sumTo(d.where(bWins, 0, g), a.shape), d.sumTo(d.where(bWins, g, 0), b.shape)];
  },
};

const binaryOps = new Map<BinaryKind, OpDef>();
function binaryOp(kind: BinaryKind): OpDef {
  let op = binaryOps.get(kind);
  if (!op) {
    const name = kind.toLowerCase();
    op = {
      type: kind,
      infer([a, b]) {
        if (a.dtype !== b.dtype) throw new RuleError(`${name}: dtypes differ (${a.dtype} vs ${b.dtype})`);
        return [{ shape: broadcastShapes(a.shape, b.shape, name), dtype: comparisons.has(kind) ? 'bool' : a.dtype }];
      },
      onnx: (w, ins, outs) => w.node(kind, ins, outs),
      tfjs: (tf, [a, b]) => [tfBinary[kind](tf, a, b)],
      vjp: binaryVjp[kind] && ((d, { inputs: [a, b], outputs: [y], dys: [g] }): VjpResult => (g ? binaryVjp[kind]!(d, a, b, y, g) : [])),
    };
    binaryOps.set(kind, op);
  }
  return op;
}

function operandValue(x: Operand, other: Operand) {
  if (typeof x !== 'number') return x.value;
  const dtype = typeof other === 'number' ? 'float32' : other.dtype;
  return scalar(x, dtype).value;
}

function binary(kind: BinaryKind, a: Operand, b: Operand): Tensor<Shape, DType> {
  return wrap(apply(binaryOp(kind), [operandValue(a, b), operandValue(b, a)], {})[0]);
}

/** Both tensor operands have one dtype (a plain number takes the other operand's). */
export type SameDType<A, B, Op extends string> =
  A extends Tensor<Shape, infer DA>
    ? B extends Tensor<Shape, infer DB>
      ? [DA] extends [DB]
        ? [DB] extends [DA]
          ? unknown
          : ShapeError<`${Op}: dtypes differ (${DA} vs ${DB})`>
        : ShapeError<`${Op}: dtypes differ (${DA} vs ${DB})`>
      : unknown
    : unknown;
type BinaryCheck<A, B, Op extends string> = SameDType<A, B, Op> extends infer E extends ShapeError<string> ? E : Check<BinaryResult<A, B, Op>>;

/**
 * A binary element-wise op. The first two signatures match operands of one shape and dtype (or a tensor and a
 * number) by pattern, so they also check inside bodies generic in their dims (`Tensor<readonly [B, N, L]>`); the last
 * broadcasts by the rule and says what is wrong (dims or dtypes) when nothing matches.
 */
interface Bin<Op extends string> {
  <S extends Shape, D extends DType>(a: Tensor<S, D>, b: Tensor<NoInfer<S>, NoInfer<D>> | number): Tensor<[...S], D>;
  <S extends Shape, D extends DType>(a: number, b: Tensor<S, D>): Tensor<[...S], D>;
  <A extends Operand, B extends Operand>(a: A, b: B & BinaryCheck<A, B, Op>): Tensor<OrWide<BinaryResult<A, B, Op>>, DTypeOf<A, B>>;
}
interface Cmp<Op extends string> {
  <S extends Shape, D extends DType>(a: Tensor<S, D>, b: Tensor<NoInfer<S>, NoInfer<D>> | number): Tensor<[...S], 'bool'>;
  <S extends Shape, D extends DType>(a: number, b: Tensor<S, D>): Tensor<[...S], 'bool'>;
  <A extends Operand, B extends Operand>(a: A, b: B & BinaryCheck<A, B, Op>): Tensor<OrWide<BinaryResult<A, B, Op>>, 'bool'>;
}

export const add: Bin<'add'> = (a: Operand, b: Operand) => binary('Add', a, b) as never;
export const sub: Bin<'sub'> = (a: Operand, b: Operand) => binary('Sub', a, b) as never;
export const mul: Bin<'mul'> = (a: Operand, b: Operand) => binary('Mul', a, b) as never;
export const div: Bin<'div'> = (a: Operand, b: Operand) => binary('Div', a, b) as never;
export const pow: Bin<'pow'> = (a: Operand, b: Operand) => binary('Pow', a, b) as never;
export const maximum: Bin<'maximum'> = (a: Operand, b: Operand) => binary('Max', a, b) as never;
export const minimum: Bin<'minimum'> = (a: Operand, b: Operand) => binary('Min', a, b) as never;
export const equal: Cmp<'equal'> = (a: Operand, b: Operand) => binary('Equal', a, b) as never;
export const greater: Cmp<'greater'> = (a: Operand, b: Operand) => binary('Greater', a, b) as never;
export const less: Cmp<'less'> = (a: Operand, b: Operand) => binary('Less', a, b) as never;
export const logicalAnd: Cmp<'logicalAnd'> = (a: Operand, b: Operand) => binary('And', a, b) as never;
export const logicalOr: Cmp<'logicalOr'> = (a: Operand, b: Operand) => binary('Or', a, b) as never;

// ---------------- where (three-way broadcast) ----------------
const whereOp: OpDef = {
  type: 'Where',
  infer([c, a, b]) {
    if (c.dtype !== 'bool') throw new RuleError(`where: condition must be bool, got ${c.dtype}`);
    if (a.dtype !== b.dtype) throw new RuleError(`where: dtypes differ (${a.dtype} vs ${b.dtype})`);
    return [{ shape: broadcastShapes(broadcastShapes(c.shape, a.shape, 'where'), b.shape, 'where'), dtype: a.dtype }];
  },
  onnx: (w, ins, outs) => w.node('Where', ins, outs),
  tfjs: (tf, [c, a, b]) => {
    // tf.where does not broadcast all three operands; broadcast them to the common shape first.
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape, 'where'), b.shape, 'where') as number[];
    return [tf.where(tf.broadcastTo(c, shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape))];
  },
  // dy to the branch chosen at each element; none to the condition.
  vjp: (d, { inputs: [c, a, b], dys: [g] }) => (g ? [undefined, d.sumTo(d.where(c, g, 0), a.shape), d.sumTo(d.where(c, 0, g), b.shape)] : []),
};
type Where3<C extends Shape, A extends Shape, B extends Shape> = Broadcast<OrWide<Broadcast<C, A, 'where'>>, B, 'where'>;
export function where<C extends Shape, A extends Operand, B extends Operand>(
  cond: Tensor<C, 'bool'>,
  a: A & Check<Broadcast<C, ShapeOf<A>, 'where'>>,
  b: B & Check<Where3<C, ShapeOf<A>, ShapeOf<B>>>,
): Tensor<OrWide<Where3<C, ShapeOf<A>, ShapeOf<B>>>, DTypeOf<A, B>> {
  return wrap(apply(whereOp, [cond.value, operandValue(a, b), operandValue(b, a)], {})[0]) as never;
}

// ---------------- unary ----------------
type UnaryKind = 'Relu' | 'Sigmoid' | 'Tanh' | 'Exp' | 'Log' | 'Sqrt' | 'Sin' | 'Cos' | 'Neg' | 'Abs' | 'Erf' | 'Softplus' | 'Reciprocal' | 'Floor' | 'Not';
const tfUnary: Record<UnaryKind, (tf: TF, x: TFTensor) => TFTensor> = {
  Relu: (tf, x) => tf.relu(x),
  Sigmoid: (tf, x) => tf.sigmoid(x),
  Tanh: (tf, x) => tf.tanh(x),
  Exp: (tf, x) => tf.exp(x),
  Log: (tf, x) => tf.log(x),
  Sqrt: (tf, x) => tf.sqrt(x),
  Sin: (tf, x) => tf.sin(x),
  Cos: (tf, x) => tf.cos(x),
  Neg: (tf, x) => tf.neg(x),
  Abs: (tf, x) => tf.abs(x),
  Erf: (tf, x) => tf.erf(x),
  Softplus: (tf, x) => tf.softplus(x),
  Reciprocal: (tf, x) => tf.reciprocal(x),
  Floor: (tf, x) => tf.floor(x),
  Not: (tf, x) => tf.logicalNot(x),
};
/** dL/dx from x, y = f(x) and dy; Floor's derivative is 0 (no cotangent), Not is not differentiable. */
type UnaryVjp = (d: GradOps, x: Value, y: Value, g: Value) => Value | undefined;
const unaryVjp: Partial<Record<UnaryKind, UnaryVjp>> = {
  Relu: (d, x, _y, g) => d.where(d.greater(x, 0), g, 0),
  Sigmoid: (d, _x, y, g) => d.mul(g, d.mul(y, d.sub(1, y))),
  Tanh: (d, _x, y, g) => d.mul(g, d.sub(1, d.mul(y, y))),
  Exp: (d, _x, y, g) => d.mul(g, y),
  Log: (d, x, _y, g) => d.div(g, x),
  Sqrt: (d, _x, y, g) => d.div(g, d.mul(y, 2)),
  Sin: (d, x, _y, g) => d.mul(g, d.cos(x)),
  Cos: (d, x, _y, g) => d.neg(d.mul(g, d.sin(x))),
  Neg: (d, _x, _y, g) => d.neg(g),
  // sign(x), with −1 at 0 (as tfjs).
  Abs: (d, x, _y, g) => d.where(d.greater(x, 0), g, d.neg(g)),
  Erf: (d, x, _y, g) => d.mul(g, d.mul(d.exp(d.neg(d.mul(x, x))), 2 / Math.sqrt(Math.PI))),
  Softplus: (d, x, _y, g) => d.mul(g, d.sigmoid(x)),
  Reciprocal: (d, _x, y, g) => d.neg(d.mul(g, d.mul(y, y))),
  Floor: () => undefined,
};
const unaryOps = new Map<UnaryKind, OpDef>();
function unaryOp(kind: UnaryKind): OpDef {
  let op = unaryOps.get(kind);
  if (!op) {
    op = {
      type: kind,
      infer: ([x]) => {
        if ((kind === 'Not') !== (x.dtype === 'bool')) throw new RuleError(`${kind.toLowerCase()}: dtype ${x.dtype} is not supported`);
        return [{ shape: x.shape, dtype: x.dtype }];
      },
      onnx: (w, ins, outs) => w.node(kind, ins, outs),
      tfjs: (tf, [x]) => [tfUnary[kind](tf, x)],
      vjp: unaryVjp[kind] && ((d, { inputs: [x], outputs: [y], dys: [g] }): VjpResult => [g && unaryVjp[kind]!(d, x, y, g)]),
    };
    unaryOps.set(kind, op);
  }
  return op;
}
type Unary = <S extends Shape, D extends DType>(x: Tensor<S, D>) => Tensor<S, D>;
const unary =
  (kind: UnaryKind): Unary =>
  (x) =>
    wrap(apply(unaryOp(kind), [x.value], {})[0]);

export const relu = unary('Relu');
export const sigmoid = unary('Sigmoid');
export const tanh = unary('Tanh');
export const exp = unary('Exp');
export const log = unary('Log');
export const sqrt = unary('Sqrt');
export const sin = unary('Sin');
export const cos = unary('Cos');
export const neg = unary('Neg');
export const abs = unary('Abs');
export const erf = unary('Erf');
export const softplus = unary('Softplus');
export const reciprocal = unary('Reciprocal');
export const floor = unary('Floor');
export const logicalNot = unary('Not');

const leakyReluOp: OpDef<{ alpha: number }> = {
  type: 'LeakyRelu',
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  onnx: (w, ins, outs, a) => w.node('LeakyRelu', ins, outs, { alpha: { float: a.alpha } }),
  tfjs: (tf, [x], a) => [tf.leakyRelu(x, a.alpha)],
  vjp: (d, { inputs: [x], dys: [g], attrs }) => [g && d.where(d.greater(x, 0), g, d.mul(g, attrs.alpha))],
};
export const leakyRelu = <S extends Shape, D extends DType>(x: Tensor<S, D>, alpha = 0.01): Tensor<S, D> => wrap(apply(leakyReluOp, [x.value], { alpha })[0]);

/**
 * GELU, exact (erf) form. Opset 20's Gelu op is beyond Debian's ONNX 1.12 checker,
 * so it is lowered to 0.5·x·(1 + erf(x/√2)) at opset 17.
 */
const geluOp: OpDef = {
  type: 'Gelu',
  infer: ([x]) => {
    if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new RuleError(`gelu: needs a float tensor, got ${x.dtype}`);
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  onnx: (w, [x], [y], _a, node) => {
    const half = w.tmp('half');
    const fp16 = node.inputs[0].dtype === 'float16';
    const c = (v: number) => (fp16 ? w.float16([v], []) : w.float32([v], []));
    const s = w.tmp('scaled');
    const e = w.tmp('erf');
    const e1 = w.tmp('erf1');
    w.node('Div', [x, c(Math.SQRT2)], [s]);
    w.node('Erf', [s], [e]);
    w.node('Add', [e, c(1)], [e1]);
    w.node('Mul', [x, c(0.5)], [half]);
    w.node('Mul', [half, e1], [y]);
  },
  tfjs: (tf, [x]) => [tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1))],
  // Φ(x) + x·φ(x): the normal CDF and density. x·(1/√2), not the lowering's x/√2: ONNX Runtime would merge
  // the same subexpression with the forward's and then could not fuse the forward into one Gelu kernel.
  vjp: (d, { inputs: [x], dys: [g] }) => [
    g && d.mul(g, d.add(d.mul(d.add(d.erf(d.mul(x, Math.SQRT1_2)), 1), 0.5), d.mul(x, d.mul(d.exp(d.mul(d.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI))))),
  ],
};
export const gelu = <S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> => wrap(apply(geluOp, [x.value], {})[0]);

// ---------------- cast ----------------
const castOp: OpDef<{ to: DType }> = {
  type: 'Cast',
  infer: ([x], a) => [{ shape: x.shape, dtype: a.to }],
  onnx: (w, ins, outs, a) => w.node('Cast', ins, outs, { to: { int: onnxCode(a.to) } }),
  tfjs: (tf, [x], a) => [tf.cast(x, a.to === 'bool' ? 'bool' : a.to === 'float32' || a.to === 'float16' ? 'float32' : 'int32')],
  // Between float types the cotangent is cast back; casts from or to integers carry none (never asked for).
  vjp: (d, { inputs: [x], dys: [g] }) => [g && d.cast(g, x.dtype)],
};
const onnxCode = (d: DType) => onnxElemType[d];
export const cast = <S extends Shape, To extends DType>(x: Tensor<S, DType>, to: To): Tensor<S, To> => wrap(apply(castOp, [x.value], { to })[0]);
