// layerNormParts: the normalised x̂ = (x − μ)·r and r = 1/√(σ² + ε) over x.shape[axis:], the two things
// layerNormalization's gradient needs, from one ONNX LayerNormalization (scale 1, bias 0, its optional
// InvStdDev output) instead of the dozen element-wise passes that recomputing them takes.
import type { Shape } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtShape, normAxis, RuleError } from '../dim.js';

export interface LayerNormPartsAttrs {
  readonly axis: number;
  readonly epsilon: number;
}

export const layerNormPartsOp: OpDef<LayerNormPartsAttrs> = {
  type: 'LayerNormParts',
  infer([x], { axis, epsilon }) {
    if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new RuleError(`layerNormParts: needs a float tensor, got ${x.dtype}`);
    if (!(epsilon > 0)) throw new RuleError(`layerNormParts: epsilon must be positive, got ${epsilon}`);
    const a = normAxis(axis, x.shape.length, 'layerNormParts');
    const tail = x.shape.slice(a);
    if (tail.some((d) => typeof d !== 'number')) throw new RuleError(`layerNormParts: the normalised dims must be static, got symbolic ${fmtShape(tail)}`);
    return [
      { shape: x.shape, dtype: x.dtype },
      { shape: x.shape.map((d, i) => (i < a ? d : 1)), dtype: x.dtype },
    ];
  },
  onnx(w, [x], [xhat, rstd], { axis, epsilon }, node) {
    const a = normAxis(axis, node.inputs[0].shape.length, 'layerNormParts');
    const tail = node.inputs[0].shape.slice(a) as number[];
    const n = tail.reduce((p, d) => p * d, 1);
    const fp16 = node.inputs[0].dtype === 'float16';
    const filled = (v: number) => (fp16 ? w.float16(new Array<number>(n).fill(v), tail) : w.float32(new Float32Array(n).fill(v), tail));
    w.node('LayerNormalization', [x, filled(1), filled(0)], [xhat, '', rstd], { axis: a, epsilon: { float: epsilon } });
  },
  tfjs(tf, [x], { axis, epsilon }) {
    const a = normAxis(axis, x.rank, 'layerNormParts');
    const axes = Array.from({ length: x.rank - a }, (_, i) => a + i);
    const { mean, variance } = tf.moments(x, axes, true);
    const r = tf.rsqrt(tf.add(variance, epsilon));
    return [tf.mul(tf.sub(x, mean), r), r];
  },
};

/** [x̂, r] of layer normalisation over x.shape[axis:] (r keeps the normalised dims as 1). */
export function layerNormParts<D extends FloatType>(x: Tensor<Shape, D>, axis: number, epsilon: number): [Tensor<Shape, D>, Tensor<Shape, D>] {
  const [xhat, r] = apply(layerNormPartsOp, [x.value], { axis, epsilon });
  return [wrap(xhat), wrap(r)];
}
