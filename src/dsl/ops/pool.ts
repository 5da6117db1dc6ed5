// 2-D max and average pooling on NCHW tensors (ONNX MaxPool / AveragePool, floor rounding).
import type { Check, Cmp, Dim, IsTuple, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type Value } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { convOutDim, RuleError } from '../dim.js';
import {
  checkFloat,
  checkPair,
  checkRank4,
  padHW,
  toNCHW,
  toNHWC,
  toPair,
  windowTaps,
  type OptionOf,
  type Pair,
  type Pair2,
  type PairH,
  type PairW,
  type RankError,
  type WindowOutLen,
} from './spatial.js';

export interface Pool2dOptions {
  readonly kernel: Pair;
  /** Default: the kernel (windows side by side, as in PyTorch). */
  readonly stride?: Pair;
  /** Both sides; must be smaller than the kernel (ONNX Runtime's rule). */
  readonly padding?: Pair;
}

// ---------------- type-level rule ----------------

type PadBelowKernel<P, K> = Cmp<P & number, K & number> extends 'g' | 'e' ? false : true;

type PoolChecked<N extends Dim, C extends Dim, H extends Dim, W extends Dim, K, S, P, Op extends string> =
  PadBelowKernel<PairH<P>, PairH<K>> extends false
    ? ShapeError<`${Op}: padding ${PairH<P>} must be smaller than the kernel ${PairH<K>}`>
    : PadBelowKernel<PairW<P>, PairW<K>> extends false
      ? ShapeError<`${Op}: padding ${PairW<P>} must be smaller than the kernel ${PairW<K>}`>
      : WindowOutLen<H, PairH<K>, PairH<S>, PairH<P>, 1, Op> extends infer OH
        ? WindowOutLen<W, PairW<K>, PairW<S>, PairW<P>, 1, Op> extends infer OW
          ? OH extends ShapeError<string>
            ? OH
            : OW extends ShapeError<string>
              ? OW
              : [N, C, OH & Dim, OW & Dim]
          : never
        : never;

/** Output shape of a 2-D pool: [N, C, H', W'] with the conv arithmetic (dilation 1), or a ShapeError. */
export type Pool2dShape<XS extends Shape, O, Op extends string> =
  IsTuple<XS> extends false
    ? Shape
    : XS extends readonly [infer N extends Dim, infer C extends Dim, infer H extends Dim, infer W extends Dim]
      ? PoolChecked<N, C, H, W, OptionOf<O, 'kernel', number>, OptionOf<O, 'stride', OptionOf<O, 'kernel', number>>, OptionOf<O, 'padding', 0>, Op>
      : RankError<Op, 'input', XS>;

// ---------------- run time ----------------

interface PoolAttrs {
  readonly kernel: Pair2;
  readonly stride: Pair2;
  readonly padding: Pair2;
}

function poolRule(op: string) {
  return ([x]: readonly Value[], a: PoolAttrs) => {
    checkRank4(op, 'input', x);
    checkFloat(op, x);
    checkPair(op, 'kernel', a.kernel, 1);
    checkPair(op, 'stride', a.stride, 1);
    checkPair(op, 'padding', a.padding, 0);
    for (const i of [0, 1])
      if (a.padding[i] >= a.kernel[i]) throw new RuleError(`${op}: padding ${a.padding[i]} must be smaller than the kernel ${a.kernel[i]}`);
    const [n, c, h, w] = x.shape;
    return [
      {
        shape: [n, c, convOutDim(h, a.kernel[0], a.stride[0], a.padding[0], 1, op), convOutDim(w, a.kernel[1], a.stride[1], a.padding[1], 1, op)],
        dtype: x.dtype,
      },
    ];
  };
}

const onnxPoolAttrs = (a: PoolAttrs) => ({
  kernel_shape: [...a.kernel],
  strides: [...a.stride],
  pads: [a.padding[0], a.padding[1], a.padding[0], a.padding[1]],
});

export const maxPool2dOp: OpDef<PoolAttrs> = {
  type: 'MaxPool',
  infer: poolRule('maxPool2d'),
  onnx: (w, ins, outs, a) => w.node('MaxPool', ins, outs, onnxPoolAttrs(a)),
  tfjs: (tf: TF, [x]: readonly TFTensor[], a) => [
    tf.tidy(() => {
      // A running maximum over the window's taps, not tf.maxPool: tfjs-backend-wasm's MaxPoolGrad
      // sends the gradient of windows whose values are all negative to the wrong element.
      // Padding is −∞ and never wins (pad < kernel, so every window holds a real value).
      const [n, c, h, w] = x.shape as number[];
      const [kh, kw] = a.kernel;
      // Non-overlapping windows that tile the map exactly (the U-Net's 2×2/2): a reshape and a max over the
      // window axes, in NCHW, no transposes — about 15× faster on wasm than the taps below, same gradient rule.
      if (a.stride[0] === kh && a.stride[1] === kw && a.padding[0] === 0 && a.padding[1] === 0 && h % kh === 0 && w % kw === 0)
        return tf.max(tf.reshape(x, [n, c, h / kh, kh, w / kw, kw]), [3, 5]);
      const out: Pair2 = [0, 1].map((i) => Math.floor(([h, w][i] + 2 * a.padding[i] - a.kernel[i]) / a.stride[i]) + 1) as unknown as Pair2;
      const taps = windowTaps(tf, toNHWC(tf, x), a.kernel, { ...a, dilation: [1, 1] }, out, -Infinity);
      return toNCHW(
        tf,
        taps.reduce((m, t) => tf.maximum(m, t)),
      );
    }),
  ],
  // dy to each window's first maximum (src/dsl/ops/pool-grad.ts).
  vjp: (d, { inputs: [x], dys: [g], attrs }) => [g && d.maxPool2dGrad(x, g, attrs)],
};

export const avgPool2dOp: OpDef<PoolAttrs> = {
  type: 'AveragePool',
  infer: poolRule('avgPool2d'),
  // count_include_pad = 0 (the ONNX default): padding is not counted in the mean.
  onnx: (w, ins, outs, a) => w.node('AveragePool', ins, outs, { ...onnxPoolAttrs(a), count_include_pad: 0 }),
  tfjs: (tf: TF, [x]: readonly TFTensor[], a) => [
    tf.tidy(() => {
      const [, , h, w] = x.shape as number[];
      const [ph, pw] = a.padding;
      const mean = (t: TFTensor) => tf.avgPool(padHW(tf, t, [ph, ph], [pw, pw]) as never, [...a.kernel], [...a.stride], 'valid');
      const meanWithPad = mean(toNHWC(tf, x));
      if (ph === 0 && pw === 0) return toNCHW(tf, meanWithPad);
      // Mean over real values only: divide by the share of each window that is not padding.
      const share = mean(tf.ones([1, h, w, 1]));
      return toNCHW(tf, tf.div(meanWithPad, share));
    }),
  ],
  vjp: (d, { inputs: [x], dys: [g], attrs }) => [g && d.avgPool2dGrad(x, g, attrs)],
};

type PoolFn<Op extends string> = <XS extends Shape, D extends FloatType, const O extends Pool2dOptions>(
  x: Tensor<XS, D>,
  opts: O & Check<Pool2dShape<XS, O, Op>>,
) => Tensor<OrWide<Pool2dShape<XS, O, Op>>, D>;

function pool(op: OpDef<PoolAttrs>) {
  return (x: Tensor<Shape, FloatType>, opts: Pool2dOptions) => {
    const kernel = toPair(opts.kernel, 1);
    const stride = opts.stride === undefined ? kernel : toPair(opts.stride, 1);
    return wrap(apply(op, [x.value], { kernel, stride, padding: toPair(opts.padding, 0) })[0]);
  };
}

/** Max over kh×kw windows, NCHW; stride defaults to the kernel. Padding never contributes. */
export const maxPool2d: PoolFn<'maxPool2d'> = pool(maxPool2dOp) as never;
/** Mean over kh×kw windows, NCHW; stride defaults to the kernel; padding is not counted (count_include_pad = 0). */
export const avgPool2d: PoolFn<'avgPool2d'> = pool(avgPool2dOp) as never;
