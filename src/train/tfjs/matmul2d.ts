// A plain 2-D tfjs matMul whose gradient is also made of plain 2-D matMuls.
// On the wasm backend, transposed or batched matMul runs ~10-20× slower than a plain 2-D one
// (bench/attention-tfjs.ts); tf.matMul's own gradient uses the transposed forms, so this one
// transposes explicitly (cheap) and multiplies plainly.
import type * as tfjs from '@tensorflow/tfjs';
import type { TF, TFTensor } from '../../dsl/graph.js';

type MatMul2d = (a: TFTensor, b: TFTensor) => TFTensor;
const byTf = new WeakMap<TF, MatMul2d>();

/** a [n, k] · b [k, m] → [n, m]. */
export function matMul2d(tf: TF, a: TFTensor, b: TFTensor): TFTensor {
  let f = byTf.get(tf);
  if (!f) {
    f = tf.customGrad((x: tfjs.Tensor | tfjs.GradSaveFunc, y: tfjs.Tensor | tfjs.GradSaveFunc, save: tfjs.Tensor | tfjs.GradSaveFunc) => {
      const [x2, y2] = [x as tfjs.Tensor2D, y as tfjs.Tensor2D];
      (save as tfjs.GradSaveFunc)([x2, y2]);
      return {
        value: tf.matMul(x2, y2),
        gradFunc: (dy: tfjs.Tensor, [sx, sy]: tfjs.Tensor[]) => [
          tf.matMul(dy as tfjs.Tensor2D, tf.transpose(sy as tfjs.Tensor2D)),
          tf.matMul(tf.transpose(sx as tfjs.Tensor2D), dy as tfjs.Tensor2D),
        ],
      };
    }) as MatMul2d;
    byTf.set(tf, f);
  }
  return f(a, b);
}
