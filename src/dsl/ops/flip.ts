// flip: reverse the order along some axes (ONNX Slice with step −1, tf.reverse). A conv's input gradient at
// stride 1 is a conv with the kernel flipped (src/dsl/ops/conv.ts), which ONNX Runtime runs faster than ConvTranspose.
import type { Shape } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { normAxes } from '../axes.js';

export const flipOp: OpDef<{ readonly axes: readonly number[] }> = {
  type: 'Flip',
  infer([x], { axes }) {
    normAxes(axes, x.shape.length, 'flip');
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  onnx(w, [x], outs, { axes }, node) {
    const a = normAxes(axes, node.inputs[0].shape.length, 'flip');
    // From the last element (−1) down past the first: an end below −dim clamps to "before index 0".
    w.node('Slice', [x, w.int64(a.map(() => -1)), w.int64(a.map(() => Number.MIN_SAFE_INTEGER)), w.int64(a), w.int64(a.map(() => -1))], outs);
  },
  tfjs: (tf, [x], { axes }) => [tf.reverse(x, normAxes(axes, x.rank, 'flip'))],
  vjp: (d, { dys: [g], attrs: { axes } }) => [g && d.flip(g, axes)],
  examples: [{ name: 'along the first and last axes', inputs: { x: [2, 3, 4] }, apply: ({ x }) => flip(x, [0, 2]) }],
};

/** `x` with the order of its elements reversed along `axes`. */
export function flip<S extends Shape, D extends DType>(x: Tensor<S, D>, axes: readonly number[]): Tensor<S, D> {
  return wrap(apply(flipOp, [x.value], { axes: [...axes] })[0]);
}
