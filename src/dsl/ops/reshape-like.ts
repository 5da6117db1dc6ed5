// reshapeLike: the elements of x in the shape of another tensor, read at run time (ONNX Reshape(x, Shape(like))).
// For shapes the reshape planner cannot write as a constant target (several dims that are symbolic
// expressions, e.g. a gradient's readout shaped like an output [B, H+2, W+2]); ONNX Runtime checks the count.
import type { Shape } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';

export const reshapeLikeOp: OpDef = {
  type: 'ReshapeLike',
  infer: ([x, like]) => [{ shape: like.shape, dtype: x.dtype }],
  onnx(w, [x, like], outs) {
    const shape = w.tmp('shape');
    w.node('Shape', [like], [shape]);
    w.node('Reshape', [x, shape], outs);
  },
  tfjs: (tf, [x, like]) => [tf.reshape(x, like.shape)],
  vjp: (d, { inputs: [x], dys: [g] }) => [g && d.reshapeLike(g, x), undefined],
  examples: [{ name: 'a shape read at run time', inputs: { a: [2, 6], b: [3, 4] }, apply: ({ a, b }) => reshapeLike(a, b), wrt: ['a'] }],
};

/** `x`'s elements viewed in `like`'s shape (the counts must agree when run). */
export function reshapeLike<D extends DType>(x: Tensor<Shape, D>, like: Tensor<Shape, DType>): Tensor<Shape, D> {
  return wrap(apply(reshapeLikeOp, [x.value, like.value], {})[0]);
}
