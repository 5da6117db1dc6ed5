// The input gradients of the 2-D pools as ops of their own.
//   max: each window's cotangent goes to its arg max, the first maximum in row-major order as ONNX
//        Runtime's MaxPool indices (and PyTorch) pick it; lowered as MaxPool's Indices output and a
//        ScatterElements(add) of dy into zeros.
//   avg: each window's cotangent spread evenly over its real (non-padding) elements; lowered as dy
//        divided by the window counts and a ConvTranspose with a ones kernel, channels folded into the batch.
import type { Shape } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type Value } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { convOutDim, fmtShape, RuleError, sameDim } from '../dim.js';
import { checkFloat, checkRank4, toNHWC, windowTaps, type Pair2 } from './spatial.js';

export interface PoolGradAttrs {
  readonly kernel: Pair2;
  readonly stride: Pair2;
  readonly padding: Pair2;
}

function poolGradRule(op: string) {
  return ([x, dy]: readonly Value[], a: PoolGradAttrs) => {
    checkRank4(op, 'input', x);
    checkFloat(op, x);
    if (dy.dtype !== x.dtype) throw new RuleError(`${op}: dtypes differ (${x.dtype} vs ${dy.dtype})`);
    const [n, c, h, w] = x.shape;
    const out = [n, c, convOutDim(h, a.kernel[0], a.stride[0], a.padding[0], 1, op), convOutDim(w, a.kernel[1], a.stride[1], a.padding[1], 1, op)];
    if (dy.shape.length !== 4 || out.some((d, i) => !sameDim(d, dy.shape[i])))
      throw new RuleError(`${op}: the output gradient is ${fmtShape(dy.shape)}, the pool gives ${fmtShape(out)}`);
    return [{ shape: x.shape, dtype: x.dtype }];
  };
}

const onnxPoolAttrs = (a: PoolGradAttrs) => ({
  kernel_shape: [...a.kernel],
  strides: [...a.stride],
  pads: [a.padding[0], a.padding[1], a.padding[0], a.padding[1]],
});

export const maxPool2dGradOp: OpDef<PoolGradAttrs> = {
  type: 'MaxPoolGrad',
  infer: poolGradRule('maxPool2dGrad'),
  onnx(w, [x, dy], [dx], a) {
    const [pooled, indices, shape, zeros, flatIdx, flatDy, scattered] = ['pooled', 'indices', 'shape', 'zeros', 'flat_indices', 'flat_dy', 'scattered'].map(
      (h) => w.tmp(h),
    );
    // Indices are flat positions in the whole N·C·H·W input (storage order 0), padding not counted.
    w.node('MaxPool', [x], [pooled, indices], onnxPoolAttrs(a));
    w.node('Shape', [x], [shape]);
    const count = w.tmp('count');
    w.node('ReduceProd', [shape], [count], { keepdims: 1 });
    w.node('ConstantOfShape', [count], [zeros], { value: undefined });
    const flat = w.int64([-1]);
    w.node('Reshape', [indices, flat], [flatIdx]);
    w.node('Reshape', [dy, flat], [flatDy]);
    w.node('ScatterElements', [zeros, flatIdx, flatDy], [scattered], { axis: 0, reduction: 'add' });
    w.node('Reshape', [scattered, shape], [dx]);
  },
  tfjs(tf: TF, [x, dy]: readonly TFTensor[], a) {
    return [
      tf.tidy(() => {
        const [, , h, w] = x.shape as number[];
        const out: Pair2 = [0, 1].map((i) => Math.floor(([h, w][i] + 2 * a.padding[i] - a.kernel[i]) / a.stride[i]) + 1) as unknown as Pair2;
        const geometry = { ...a, dilation: [1, 1] as Pair2 };
        // One-hot of each window's first maximum (row-major taps), from the values alone...
        const taps = windowTaps(tf, toNHWC(tf, x), a.kernel, geometry, out, -Infinity);
        const max = taps.reduce((m, t) => tf.maximum(m, t));
        let taken = tf.zerosLike(max);
        const picks = taps.map((t) => {
          const pick = tf.mul(tf.cast(tf.equal(t, max), 'float32'), tf.sub(1, taken));
          taken = tf.add(taken, pick);
          return pick;
        });
        // ...then dy through the adjoint of the tap extraction: the gradient of the taps, which are linear, taken
        // at a fresh zero tensor so that tfjs finds no path from x through the comparisons.
        const weighted = picks.map((p) => tf.mul(p, toNHWC(tf, dy)));
        return tf.grad((z: TFTensor) => {
          const ts = windowTaps(tf, toNHWC(tf, z), a.kernel, geometry, out, 0);
          return ts.map((t, i) => tf.sum(tf.mul(t, weighted[i]))).reduce((s, v) => tf.add(s, v));
        })(tf.zerosLike(x));
      }),
    ];
  },
};

/** Real (non-padding) elements in each window, [OH·OW] row-major: AveragePool's divisors with count_include_pad = 0. */
function windowCounts([h, w]: Pair2, [oh, ow]: Pair2, a: PoolGradAttrs): Float32Array {
  const counts = new Float32Array(oh * ow);
  const along = (len: number, o: number, i: 0 | 1) => Math.min(o * a.stride[i] - a.padding[i] + a.kernel[i], len) - Math.max(o * a.stride[i] - a.padding[i], 0);
  for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) counts[r * ow + c] = along(h, r, 0) * along(w, c, 1);
  return counts;
}

export const avgPool2dGradOp: OpDef<PoolGradAttrs> = {
  type: 'AveragePoolGrad',
  infer(inputs, a) {
    const [x] = inputs;
    // The window counts and the output padding are constants of the lowering.
    if (x.shape.slice(2).some((d) => typeof d !== 'number'))
      throw new RuleError(`avgPool2dGrad: needs static spatial dims (window counts), got symbolic ${fmtShape(x.shape)}`);
    return poolGradRule('avgPool2dGrad')(inputs, a);
  },
  onnx(w, [xName, dy], [dx], a, node) {
    const [x] = node.inputs;
    const [h, wd] = x.shape.slice(2) as number[];
    const [oh, ow] = node.inputs[1].shape.slice(2) as number[];
    const counts = windowCounts([h, wd], [oh, ow], a);
    const [scaled, folded, spread, shape] = ['scaled', 'folded', 'spread', 'shape'].map((t) => w.tmp(t));
    w.node('Div', [dy, w.float32(counts, [oh, ow])], [scaled]);
    w.node('Reshape', [scaled, w.int64([-1, 1, oh, ow])], [folded]);
    const outPad = [0, 1].map((i) => [h, wd][i] - (([oh, ow][i] - 1) * a.stride[i] - 2 * a.padding[i] + a.kernel[i]));
    w.node('ConvTranspose', [folded, w.float32(new Float32Array(a.kernel[0] * a.kernel[1]).fill(1), [1, 1, a.kernel[0], a.kernel[1]])], [spread], {
      ...onnxPoolAttrs(a),
      output_padding: outPad,
    });
    w.node('Shape', [xName], [shape]);
    w.node('Reshape', [spread, shape], [dx]);
  },
  tfjs(tf: TF, [x, dy]: readonly TFTensor[], a, _node, kernels) {
    // As the lowering: dy over the counts, spread by a transposed conv with a ones kernel (the backend's, differentiable).
    const [n, c, h, w] = x.shape as number[];
    const [oh, ow] = dy.shape.slice(2) as number[];
    return [
      tf.tidy(() => {
        const folded = tf.reshape(tf.div(dy, tf.tensor(windowCounts([h, w], [oh, ow], a), [oh, ow])), [n * c, oh, ow, 1]);
        const spread = kernels.convTranspose(folded, tf.ones([a.kernel[0], a.kernel[1], 1, 1]), { ...a, dilation: [1, 1] }, [h, w]);
        return tf.reshape(spread, [n, c, h, w]);
      }),
    ];
  },
  // The adjoint of the pool is the pool: d/ddy = avgPool2d(G); x gives only its shape.
  vjp: (d, { dys: [g], attrs }) => [undefined, g && d.avgPool2d(g, attrs)],
};

/** dL/dx of maxPool2d(x) given dy = dL/dy: dy at each window's first maximum, summed where windows overlap. */
export function maxPool2dGrad<D extends FloatType>(x: Tensor<Shape, D>, dy: Tensor<Shape, D>, attrs: PoolGradAttrs): Tensor<Shape, D> {
  return wrap(apply(maxPool2dGradOp, [x.value, dy.value], attrs)[0]);
}
/** dL/dx of avgPool2d(x) (padding not counted) given dy = dL/dy. */
export function avgPool2dGrad<D extends FloatType>(x: Tensor<Shape, D>, dy: Tensor<Shape, D>, attrs: PoolGradAttrs): Tensor<Shape, D> {
  return wrap(apply(avgPool2dGradOp, [x.value, dy.value], attrs)[0]);
}
