// expand: broadcast a tensor to the shape of another (NumPy broadcasting of both), ONNX Expand(x, Shape(like)).
// Made for gradients (a reduction's cotangent spread back over the reduced axes; zeros shaped like a value),
// and usable anywhere a tensor must take another's possibly symbolic shape.
import type { Shape } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { broadcastShapes } from '../dim.js';

export const expandOp: OpDef = {
  type: 'Expand',
  infer: ([x, like]) => [{ shape: broadcastShapes(x.shape, like.shape, 'expand'), dtype: x.dtype }],
  onnx(w, [x, like], outs) {
    const shape = w.tmp('shape');
    w.node('Shape', [like], [shape]);
    w.node('Expand', [x, shape], outs);
  },
  tfjs(tf, [x, like]) {
    const shape = broadcastShapes(x.shape, like.shape, 'expand') as number[];
    const lifted = x.rank < shape.length ? tf.reshape(x, [...new Array<number>(shape.length - x.rank).fill(1), ...x.shape]) : x;
    return [tf.broadcastTo(lifted, shape)];
  },
  // `like` gives only its shape.
  vjp: (d, { inputs: [x], dys: [g] }) => [g && d.sumTo(g, x.shape), undefined],
  examples: [{ name: 'broadcast like another tensor', inputs: { a: [3, 1], b: [2, 3, 4] }, apply: ({ a, b }) => expand(a, b), wrt: ['a'] }],
};

/** `x` broadcast to the common shape of `x` and `like` (whose values are not read). */
export function expand<D extends DType>(x: Tensor<Shape, D>, like: Tensor<Shape, DType>): Tensor<Shape, D> {
  return wrap(apply(expandOp, [x.value, like.value], {})[0]);
}
