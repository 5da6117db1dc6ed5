// reshape and flatten: the same elements in a new shape (ONNX Reshape, tf.reshape).
import type { Check, Cmp, Dim, IsLiteral, IsTuple, NormAxis, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { DimProduct, ReshapeShape } from '../types/element-count.js';
import type { Drop, Inc, Take } from '../types/tuple.js';
import type { DType } from '../dtype.js';
import { apply, BuildShapeError, type Node, type OpDef, type TF, type TFTensor, type Value } from '../graph.js';
import type { GradOps } from '../../autodiff/grad-ops.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtShape, normAxis, RuleError, type RuntimeShape } from '../dim.js';
import { dimFactors, dimProduct, reshapeShape } from '../element-count.js';
import type { OnnxNodeWriter } from '../../onnx/node-writer.js';

// ---------------- lowering shared by every op that is a reshape ----------------

/** Where each dim of the Reshape target comes from at run time. */
type DimSource =
  | { readonly kind: 'static'; readonly size: number }
  /** ONNX's 0: the input dim at the same index. */
  | { readonly kind: 'copy' }
  /** The product of input dims (by index) times a static factor. */
  | { readonly kind: 'gather'; readonly axes: readonly number[]; readonly scale: number }
  /** ONNX's -1: whatever is left. */
  | { readonly kind: 'infer' };

export interface ReshapePlan {
  readonly dims: readonly DimSource[];
  /** A literal 0 in the target means a zero-size dim, not "copy" (ONNX allowzero=1). */
  readonly allowZero: boolean;
}

/**
 * How to compute `output` from the shape of a tensor of shape `input`: static dims as constants,
 * a symbolic dim at its own index copied, others gathered from the input's shape (whole dims or
 * products of them), and at most one left to infer. Throws RuleError when more are unknown.
 */
export function reshapePlan(input: RuntimeShape, output: RuntimeShape): ReshapePlan {
  const allowZero = output.some((d) => d === 0);
  const dims = output.map((d, i): DimSource => {
    if (typeof d === 'number') return { kind: 'static', size: d };
    if (i < input.length && input[i] === d) return allowZero ? { kind: 'gather', axes: [i], scale: 1 } : { kind: 'copy' };
    const whole = input.indexOf(d);
    if (whole >= 0) return { kind: 'gather', axes: [whole], scale: 1 };
    const axes: number[] = [];
    let scale = 1;
    for (const f of dimFactors(d)) {
      if (typeof f === 'number') scale *= f;
      else if (input.includes(f)) axes.push(input.indexOf(f));
      else return { kind: 'infer' };
    }
    return { kind: 'gather', axes, scale };
  });
  const unknown = output.filter((_, i) => dims[i].kind === 'infer');
  if (unknown.length > 1)
    throw new RuleError(
      `reshape: ${fmtShape(output)} has ${unknown.length} dims (${unknown.join(', ')}) that cannot be computed from ${fmtShape(input)}; at most one can be inferred`,
    );
  if (unknown.length === 1 && allowZero) throw new RuleError(`reshape: ${fmtShape(output)} cannot infer ${unknown[0]} next to a zero-size dim`);
  // With nothing left to infer, one gathered dim can be ONNX's -1 instead: often that makes the target a constant.
  const gathered = dims.findIndex((s) => s.kind === 'gather');
  if (unknown.length === 0 && !allowZero && gathered >= 0) dims[gathered] = { kind: 'infer' };
  return { dims, allowZero };
}

const planOf = (node: Node): ReshapePlan => reshapePlan(node.inputs[0].shape, node.outputs[0].shape);

/** ONNX Reshape of `x` to the node's declared output shape: a constant target when it can be, else Shape/Gather/Concat. */
export function lowerReshape(w: OnnxNodeWriter, x: string, y: string, plan: ReshapePlan): void {
  const attrs = plan.allowZero ? { allowzero: 1 } : {};
  const constantOf = (s: DimSource) => (s.kind === 'static' ? s.size : s.kind === 'copy' ? 0 : -1);
  if (plan.dims.every((s) => s.kind !== 'gather')) {
    w.node('Reshape', [x, w.int64(plan.dims.map(constantOf))], [y], attrs);
    return;
  }
  const shape = w.tmp('shape');
  w.node('Shape', [x], [shape]);
  const pieces: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) pieces.push(w.int64(run));
    run = [];
  };
  for (const s of plan.dims) {
    if (s.kind !== 'gather') {
      run.push(constantOf(s));
      continue;
    }
    flush();
    let piece = w.tmp('dim');
    w.node('Gather', [shape, w.int64(s.axes)], [piece], { axis: 0 });
    if (s.axes.length > 1) {
      const prod = w.tmp('prod');
      w.node('ReduceProd', [piece], [prod], { keepdims: 1 });
      piece = prod;
    }
    if (s.scale !== 1) {
      const scaled = w.tmp('scaled');
      w.node('Mul', [piece, w.int64([s.scale])], [scaled]);
      piece = scaled;
    }
    pieces.push(piece);
  }
  flush();
  const target = w.tmp('target');
  w.node('Concat', pieces, [target], { axis: 0 });
  w.node('Reshape', [x, target], [y], attrs);
}

/** tf.reshape to the plan, filled from the actual input dims. */
export function tfReshape(tf: TF, x: TFTensor, plan: ReshapePlan): TFTensor {
  const dims = plan.dims.map((s, i) => {
    switch (s.kind) {
      case 'static':
        return s.size;
      case 'copy':
        return x.shape[i];
      case 'gather':
        return s.axes.reduce((p, a) => p * x.shape[a], s.scale);
      case 'infer':
        return -1;
    }
  });
  return tf.reshape(x, dims);
}

// ---------------- reshape ----------------

/** A cotangent back in the input's shape: a planned Reshape, or (symbolic dims it cannot write) the shape read from x. */
function reshapeBack(d: GradOps, g: Value, x: Value): Value {
  try {
    return d.reshape(g, x.shape);
  } catch (e) {
    if (e instanceof BuildShapeError) return d.reshapeLike(g, x);
    throw e;
  }
}

export const reshapeOp: OpDef<{ readonly shape: RuntimeShape }> = {
  type: 'Reshape',
  infer([x], { shape }) {
    const out = reshapeShape(x.shape, shape);
    reshapePlan(x.shape, out);
    return [{ shape: out, dtype: x.dtype }];
  },
  onnx: (w, [x], [y], _a, node) => lowerReshape(w, x, y, planOf(node)),
  tfjs: (tf, [x], _a, node) => [tfReshape(tf, x, planOf(node))],
  vjp: (d, { inputs: [x], dys: [g] }) => [g && reshapeBack(d, g, x)],
};

/**
 * View `x` with a new shape of the same element count. One dim may be -1 (inferred). Symbolic
 * dims cancel by name, and plain products split into factors: ['B', 'H', 'W', 4] → ['B', -1] gives
 * ['B', 'H*W*4'], and back. A name only in the target is a new dim ONNX Runtime checks when run.
 */
export function reshape<S extends Shape, D extends DType, const T extends Shape>(
  x: Tensor<S, D>,
  shape: T & NoInfer<Check<ReshapeShape<S, T>>>,
): Tensor<OrWide<ReshapeShape<S, T>>, D> {
  return wrap(apply(reshapeOp, [x.value], { shape: [...shape] })[0]);
}

// ---------------- flatten ----------------

/** Dims start..end (inclusive, negative allowed) merged into their product. */
export type FlattenShape<S extends Shape, Start extends number, End extends number> =
  IsTuple<S> extends false
    ? Shape
    : IsLiteral<Start> extends false
      ? Shape
      : IsLiteral<End> extends false
        ? Shape
        : NormAxis<Start, S['length']> extends infer A
          ? A extends number
            ? NormAxis<End, S['length']> extends infer B
              ? B extends number
                ? Cmp<A, B> extends 'g'
                  ? ShapeError<`flatten: start axis ${Start} comes after end axis ${End} (rank ${S['length']})`>
                  : [...Take<S, A>, DimProduct<Drop<Take<S, Inc<B>>, A>>, ...Drop<S, Inc<B>>]
                : ShapeError<`flatten: axis ${End} is out of range for rank ${S['length']}`>
              : never
            : ShapeError<`flatten: axis ${Start} is out of range for rank ${S['length']}`>
          : never;

export function flattenShape(s: RuntimeShape, start: number, end: number): Dim[] {
  const a = normAxis(start, s.length, 'flatten');
  const b = normAxis(end, s.length, 'flatten');
  if (a > b) throw new RuleError(`flatten: start axis ${start} comes after end axis ${end} (rank ${s.length})`);
  return [...s.slice(0, a), dimProduct(s.slice(a, b + 1)), ...s.slice(b + 1)];
}

export const flattenOp: OpDef<{ readonly start: number; readonly end: number }> = {
  type: 'Flatten',
  infer([x], { start, end }) {
    const out = flattenShape(x.shape, start, end);
    reshapePlan(x.shape, out);
    return [{ shape: out, dtype: x.dtype }];
  },
  // A Reshape rather than ONNX Flatten, which only makes 2-D results.
  onnx: (w, [x], [y], _a, node) => lowerReshape(w, x, y, planOf(node)),
  tfjs: (tf, [x], _a, node) => [tfReshape(tf, x, planOf(node))],
  vjp: (d, { inputs: [x], dys: [g] }) => [g && reshapeBack(d, g, x)],
};

/** Merge dims start..end (inclusive, default all) into one, like torch.flatten. */
export function flatten<S extends Shape, D extends DType, Start extends number = 0, End extends number = -1>(
  x: Tensor<S, D> & NoInfer<Check<FlattenShape<S, Start, End>>>,
  start?: Start,
  end?: End,
): Tensor<OrWide<FlattenShape<S, Start, End>>, D> {
  return wrap(apply(flattenOp, [x.value], { start: start ?? 0, end: end ?? -1 })[0]);
}
