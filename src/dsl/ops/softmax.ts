// Softmax along one axis (ONNX Softmax, opset-13 semantics: the axis alone, not the flattened tail).
import type { Check, IsLiteral, IsTuple, NormAxis, Shape, ShapeError } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { normAxis, RuleError } from '../dim.js';

/** `unknown` when `axis` is in range for S (or not known until build time), else the error. */
export type SoftmaxCheck<S extends Shape, A extends number> =
  IsTuple<S> extends false
    ? unknown
    : IsLiteral<A> extends false
      ? unknown
      : NormAxis<A, S['length']> extends number
        ? unknown
        : ShapeError<`softmax: axis ${A} is out of range for rank ${S['length']}`>; // spelled out: an alias would hide the sentence

export interface SoftmaxAttrs {
  readonly axis: number;
}

export const softmaxOp: OpDef<SoftmaxAttrs> = {
  type: 'Softmax',
  infer([x], { axis }) {
    if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new RuleError(`softmax: needs a float tensor, got ${x.dtype}`);
    normAxis(axis, x.shape.length, 'softmax');
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  onnx: (w, ins, outs, { axis }) => w.node('Softmax', ins, outs, { axis }),
  tfjs(tf, [x], { axis }) {
    const a = normAxis(axis, x.rank, 'softmax');
    // tf.softmax takes the last axis only; elsewhere, the max-shifted form (same gradient by autodiff).
    if (a === x.rank - 1) return [tf.softmax(x)];
    const e = tf.exp(tf.sub(x, tf.max(x, a, true)));
    return [tf.div(e, tf.sum(e, a, true))];
  },
  // y ⊙ (dy − Σ dy ⊙ y) along the axis.
  vjp: (d, { outputs: [y], dys: [g], attrs: { axis } }) => [g && d.mul(y, d.sub(g, d.reduceSum(d.mul(g, y), [axis], true)))],
  examples: [{ name: 'on the last and a middle axis', inputs: { x: [2, 3, 4] }, apply: ({ x }) => ({ last: softmax(x), mid: softmax(x, 1) }) }],
};

/** exp(x) / Σ exp(x) along `axis` (default: the last). */
export function softmax<S extends Shape, D extends FloatType, const A extends number = -1>(
  x: Tensor<S, D>,
  axis?: A & Check<SoftmaxCheck<S, A>>,
): Tensor<[...S], D> {
  return wrap(apply(softmaxOp, [x.value], { axis: axis ?? -1 })[0]);
}
