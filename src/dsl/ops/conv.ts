// 2-D convolution and transposed convolution on NCHW tensors (ONNX Conv / ConvTranspose).
import type { Check, Cmp, Dim, DimMul, DimsAgree, IsLiteral, IsTuple, Mod, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { ConvTransposeOutLen } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type TfjsKernels, type Value, type VjpResult } from '../graph.js';
import type { GradOps } from '../../autodiff/grad-ops.js';
import { Tensor, wrap } from '../tensor.js';
import { convOutDim, convTransposeOutDim, fmtDim, RuleError } from '../dim.js';
import {
  checkFloat,
  checkPair,
  checkRank4,
  staticDim,
  toNCHW,
  toNHWC,
  toPair,
  type OptionOf,
  type Pair,
  type Pair2,
  type PairH,
  type PairW,
  type RankError,
  type WindowOutLen,
} from './spatial.js';

export interface Conv2dOptions {
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  readonly groups?: number;
}

export interface ConvTranspose2dOptions {
  readonly stride?: Pair;
  readonly padding?: Pair;
  /** Extra rows/columns at the end of the output; smaller than the stride. */
  readonly outputPadding?: Pair;
  readonly dilation?: Pair;
}

// ---------------- type-level rules ----------------

/** true when G divides C, or when either is not a literal (checked at build time). */
type Divides<G, C> = IsLiteral<G> extends true ? (IsLiteral<C> extends true ? (Mod<C & number, G & number> extends 0 ? true : false) : true) : true;

type Spatial4<N extends Dim, C extends Dim, OH, OW> = OH extends ShapeError<string> ? OH : OW extends ShapeError<string> ? OW : [N, C, OH & Dim, OW & Dim];

type PerGroup<Cg extends Dim, G extends number> = G extends 1 ? '' : ` (${Cg} per group × ${G} groups)`;

type ConvChecked<
  N extends Dim,
  C extends Dim,
  H extends Dim,
  W extends Dim,
  Co extends Dim,
  Cg extends Dim,
  KH extends Dim,
  KW extends Dim,
  S,
  P,
  D,
  G extends number,
> = G extends 0
  ? ShapeError<'conv2d: groups must be at least 1'>
  : Divides<G, C> extends false
    ? ShapeError<`conv2d: groups ${G} does not divide the ${C} input channels`>
    : Divides<G, Co> extends false
      ? ShapeError<`conv2d: groups ${G} does not divide the ${Co} output channels`>
      : DimsAgree<C, DimMul<Cg, G>> extends false
        ? ShapeError<`conv2d: input has ${C} channels but the weight expects ${DimMul<Cg, G>}${PerGroup<Cg, G>}`>
        : KH extends number
          ? KW extends number
            ? Spatial4<N, Co, WindowOutLen<H, KH, PairH<S>, PairH<P>, PairH<D>, 'conv2d'>, WindowOutLen<W, KW, PairW<S>, PairW<P>, PairW<D>, 'conv2d'>>
            : ShapeError<`conv2d: the kernel width must be static, got ${KW}`>
          : ShapeError<`conv2d: the kernel height must be static, got ${KH}`>;

/** Output shape of conv2d: [N, O, H', W'] for input [N, C, H, W] and weight [O, C/groups, kh, kw], or a ShapeError. */
export type Conv2dShape<XS extends Shape, WS extends Shape, O> =
  IsTuple<XS> extends false
    ? Shape
    : IsTuple<WS> extends false
      ? Shape
      : XS extends readonly [infer N extends Dim, infer C extends Dim, infer H extends Dim, infer W extends Dim]
        ? WS extends readonly [infer Co extends Dim, infer Cg extends Dim, infer KH extends Dim, infer KW extends Dim]
          ? ConvChecked<
              N,
              C,
              H,
              W,
              Co,
              Cg,
              KH,
              KW,
              OptionOf<O, 'stride', 1>,
              OptionOf<O, 'padding', 0>,
              OptionOf<O, 'dilation', 1>,
              OptionOf<O, 'groups', 1> & number
            >
          : RankError<'conv2d', 'weight', WS>
        : RankError<'conv2d', 'input', XS>;

/** One ConvTranspose output length, wide when an option is not a literal. */
type TransposeOutLen<X extends Dim, K extends number, S, P, D, OP> = [IsLiteral<S>, IsLiteral<P>, IsLiteral<D>, IsLiteral<OP>, IsLiteral<K>] extends [
  true,
  true,
  true,
  true,
  true,
]
  ? S extends 0
    ? ShapeError<'convTranspose2d: stride must be at least 1'>
    : D extends 0
      ? ShapeError<'convTranspose2d: dilation must be at least 1'>
      : string extends X
        ? string
        : ConvTransposeOutLen<X, K, S & number, P & number, D & number, OP & number, 'convTranspose2d'>
  : X extends number
    ? number
    : string;

/** Output padding must stay below the stride: ONNX Runtime rejects larger ones at run time (PyTorch also allows < dilation). */
type OutPadOk<OP, S> = Cmp<OP & number, S & number> extends 'g' | 'e' ? false : true;

type ConvTransposeChecked<
  N extends Dim,
  C extends Dim,
  H extends Dim,
  W extends Dim,
  Ci extends Dim,
  Co extends Dim,
  KH extends Dim,
  KW extends Dim,
  S,
  P,
  D,
  OP,
> =
  DimsAgree<C, Ci> extends false
    ? ShapeError<`convTranspose2d: input has ${C} channels but the weight expects ${Ci}`>
    : OutPadOk<PairH<OP>, PairH<S>> extends false
      ? ShapeError<`convTranspose2d: outputPadding ${PairH<OP>} must be smaller than the stride ${PairH<S>}`>
      : OutPadOk<PairW<OP>, PairW<S>> extends false
        ? ShapeError<`convTranspose2d: outputPadding ${PairW<OP>} must be smaller than the stride ${PairW<S>}`>
        : KH extends number
          ? KW extends number
            ? Spatial4<N, Co, TransposeOutLen<H, KH, PairH<S>, PairH<P>, PairH<D>, PairH<OP>>, TransposeOutLen<W, KW, PairW<S>, PairW<P>, PairW<D>, PairW<OP>>>
            : ShapeError<`convTranspose2d: the kernel width must be static, got ${KW}`>
          : ShapeError<`convTranspose2d: the kernel height must be static, got ${KH}`>;

/** Output shape of convTranspose2d: [N, O, H', W'] for input [N, C, H, W] and weight [C, O, kh, kw], or a ShapeError. */
export type ConvTranspose2dShape<XS extends Shape, WS extends Shape, O> =
  IsTuple<XS> extends false
    ? Shape
    : IsTuple<WS> extends false
      ? Shape
      : XS extends readonly [infer N extends Dim, infer C extends Dim, infer H extends Dim, infer W extends Dim]
        ? WS extends readonly [infer Ci extends Dim, infer Co extends Dim, infer KH extends Dim, infer KW extends Dim]
          ? ConvTransposeChecked<
              N,
              C,
              H,
              W,
              Ci,
              Co,
              KH,
              KW,
              OptionOf<O, 'stride', 1>,
              OptionOf<O, 'padding', 0>,
              OptionOf<O, 'dilation', 1>,
              OptionOf<O, 'outputPadding', 0>
            >
          : RankError<'convTranspose2d', 'weight', WS>
        : RankError<'convTranspose2d', 'input', XS>;

/** The bias must be [O], O the weight's output channels (dim `At` of the weight). */
export type BiasRule<BS extends Shape, WS extends Shape, At extends 0 | 1, Op extends string> =
  IsTuple<BS> extends false
    ? true
    : BS extends readonly [infer B extends Dim]
      ? WS extends readonly Dim[]
        ? DimsAgree<B, WS[At]> extends true
          ? true
          : ShapeError<`${Op}: bias has ${B} values but the weight has ${WS[At]} output channels`>
        : true
      : ShapeError<`${Op}: bias needs rank 1, got rank ${BS['length']}`>;

// ---------------- run time: rules ----------------

interface ConvAttrs {
  readonly stride: Pair2;
  readonly padding: Pair2;
  readonly dilation: Pair2;
  readonly groups: number;
}
interface ConvTransposeAttrs {
  readonly stride: Pair2;
  readonly padding: Pair2;
  readonly dilation: Pair2;
  readonly outputPadding: Pair2;
}

function checkBias(op: string, bias: Value | undefined, outChannels: number, dtype: string): void {
  if (!bias) return;
  if (bias.dtype !== dtype) throw new RuleError(`${op}: dtypes differ (${dtype} vs bias ${bias.dtype})`);
  if (bias.shape.length !== 1) throw new RuleError(`${op}: bias needs rank 1, got rank ${bias.shape.length}`);
  if (bias.shape[0] !== outChannels) throw new RuleError(`${op}: bias has ${fmtDim(bias.shape[0])} values but the weight has ${outChannels} output channels`);
}

function checkCommon(op: string, x: Value, w: Value, a: { stride: Pair2; padding: Pair2; dilation: Pair2 }): void {
  checkRank4(op, 'input', x);
  checkRank4(op, 'weight', w);
  checkFloat(op, x);
  if (w.dtype !== x.dtype) throw new RuleError(`${op}: dtypes differ (${x.dtype} vs weight ${w.dtype})`);
  checkPair(op, 'stride', a.stride, 1);
  checkPair(op, 'padding', a.padding, 0);
  checkPair(op, 'dilation', a.dilation, 1);
}

const conv2dRule = ([x, w, b]: readonly Value[], a: ConvAttrs) => {
  const op = 'conv2d';
  checkCommon(op, x, w, a);
  const g = a.groups;
  if (!Number.isInteger(g) || g < 1) throw new RuleError(`${op}: groups must be at least 1, got ${g}`);
  const [n, c, h, wd] = x.shape;
  const o = staticDim(op, 'weight’s output channels', w.shape[0]);
  const cg = staticDim(op, 'weight’s input channels', w.shape[1]);
  const kh = staticDim(op, 'kernel height', w.shape[2]);
  const kw = staticDim(op, 'kernel width', w.shape[3]);
  if (typeof c === 'number' && c % g !== 0) throw new RuleError(`${op}: groups ${g} does not divide the ${c} input channels`);
  if (o % g !== 0) throw new RuleError(`${op}: groups ${g} does not divide the ${o} output channels`);
  if (c !== cg * g)
    throw new RuleError(`${op}: input has ${fmtDim(c)} channels but the weight expects ${cg * g}${g === 1 ? '' : ` (${cg} per group × ${g} groups)`}`);
  checkBias(op, b, o, x.dtype);
  const oh = convOutDim(h, kh, a.stride[0], a.padding[0], a.dilation[0], op);
  const ow = convOutDim(wd, kw, a.stride[1], a.padding[1], a.dilation[1], op);
  return [{ shape: [n, o, oh, ow], dtype: x.dtype }];
};

const convTranspose2dRule = ([x, w, b]: readonly Value[], a: ConvTransposeAttrs) => {
  const op = 'convTranspose2d';
  checkCommon(op, x, w, a);
  checkPair(op, 'outputPadding', a.outputPadding, 0);
  for (const i of [0, 1])
    if (a.outputPadding[i] >= a.stride[i]) throw new RuleError(`${op}: outputPadding ${a.outputPadding[i]} must be smaller than the stride ${a.stride[i]}`);
  const [n, c, h, wd] = x.shape;
  const ci = staticDim(op, 'weight’s input channels', w.shape[0]);
  const o = staticDim(op, 'weight’s output channels', w.shape[1]);
  const kh = staticDim(op, 'kernel height', w.shape[2]);
  const kw = staticDim(op, 'kernel width', w.shape[3]);
  if (c !== ci) throw new RuleError(`${op}: input has ${fmtDim(c)} channels but the weight expects ${ci}`);
  checkBias(op, b, o, x.dtype);
  const oh = convTransposeOutDim(h, kh, a.stride[0], a.padding[0], a.dilation[0], a.outputPadding[0], op);
  const ow = convTransposeOutDim(wd, kw, a.stride[1], a.padding[1], a.dilation[1], a.outputPadding[1], op);
  return [{ shape: [n, o, oh, ow], dtype: x.dtype }];
};

// ---------------- tfjs kernels ----------------
// Both run through the tfjs backend's conv paths (src/train/tfjs/conv.ts: XNNPACK convolutions with their own
// gradients; see there why).
// Weights map to tfjs's [kh, kw, Cin, Cout] by one transpose: a ConvTranspose weight [C, O, kh, kw]
// is the kernel of the conv from O to C channels whose adjoint it computes.

function conv2dTf(tf: TF, [x, w, b]: readonly TFTensor[], a: ConvAttrs, _node: unknown, kernels: TfjsKernels): TFTensor[] {
  return [
    tf.tidy(() => {
      const xh = toNHWC(tf, x);
      const k = tf.transpose(w, [2, 3, 1, 0]); // [kh, kw, C/groups, O]
      const [n, h, wd] = xh.shape as number[];
      const [kh, kw, cg, o] = k.shape as number[];
      const g = a.groups;
      let y: TFTensor;
      if (g === 1) y = kernels.conv(xh, k, a);
      else {
        // One conv per group on its slice of channels and of output channels.
        const og = o / g;
        const parts: TFTensor[] = [];
        for (let gi = 0; gi < g; gi++)
          parts.push(kernels.conv(tf.slice(xh, [0, 0, 0, gi * cg], [n, h, wd, cg]), tf.slice(k, [0, 0, 0, gi * og], [kh, kw, cg, og]), a));
        y = tf.concat(parts, 3);
      }
      if (b) y = tf.add(y, b);
      return toNCHW(tf, y);
    }),
  ];
}

function convTranspose2dTf(tf: TF, [x, w, b]: readonly TFTensor[], a: ConvTransposeAttrs, _node: unknown, kernels: TfjsKernels): TFTensor[] {
  return [
    tf.tidy(() => {
      const [, , h, wd] = x.shape as number[];
      const [, , kh, kw] = w.shape as number[];
      const size: Pair2 = [0, 1].map(
        (i) => ([h, wd][i] - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * ([kh, kw][i] - 1) + a.outputPadding[i] + 1,
      ) as unknown as Pair2;
      let y = kernels.convTranspose(toNHWC(tf, x), tf.transpose(w, [2, 3, 1, 0]), a, size);
      if (b) y = tf.add(y, b);
      return toNCHW(tf, y);
    }),
  ];
}

// ---------------- gradients ----------------
// conv2d:           dx = convTranspose2d(dy, W) with the output padding that restores x's length; at stride 1
//                   the same as conv2d(dy, W flipped, channels swapped, padding d(k−1) − p), which ONNX Runtime
//                   runs faster; dW = conv2dFilterGrad(x, dy), db = Σ dy over N, H, W.
// convTranspose2d:  dx = conv2d(dy, W) (W [C, O, kh, kw] is the weight of that conv from O to C channels),
//                   dW = conv2dFilterGrad(dy, x) (the conv's input is dy, its output gradient x).
// Groups run group by group on the channel slices.

/** The output padding that makes convTranspose2d of a conv's output give back the conv's input length. */
function restoringOutputPadding(x: Value, y: Value, k: readonly Dim[], a: ConvAttrs): Pair2 {
  return [0, 1].map((i) => {
    if (a.stride[i] === 1) return 0;
    const [h, oh] = [x.shape[2 + i], y.shape[2 + i]];
    if (typeof h !== 'number' || typeof oh !== 'number')
      throw new RuleError(`conv2d gradient: a stride of ${a.stride[i]} on symbolic spatial dim ${fmtDim(h)} leaves the input length ambiguous`);
    return h - ((oh - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * ((k[i] as number) - 1) + 1);
  }) as unknown as Pair2;
}

function conv2dVjp(d: GradOps, [x, w, b]: readonly Value[], y: Value, g: Value, needs: readonly boolean[], a: ConvAttrs): VjpResult {
  const kernel: Pair2 = [w.shape[2] as number, w.shape[3] as number];
  const geometry = { stride: a.stride, padding: a.padding, dilation: a.dilation };
  const groups = a.groups;
  const [c, o] = [x.shape[1] as number, w.shape[0] as number];
  const parts = (v: Value, n: number) => d.split(v, 1, new Array<number>(groups).fill(n / groups));
  const [gs, ws, xs] = [parts(g, o), groups === 1 ? [w] : d.split(w, 0, new Array<number>(groups).fill(o / groups)), needs[1] ? parts(x, c) : []];
  const unitStride = a.stride[0] === 1 && a.stride[1] === 1 && [0, 1].every((i) => a.padding[i] <= a.dilation[i] * (kernel[i] - 1));
  const inputGrad = (gi: Value, wi: Value): Value => {
    if (unitStride) {
      const flipped = d.flip(d.transpose(wi, [1, 0, 2, 3]), [2, 3]);
      const padding = [0, 1].map((i) => a.dilation[i] * (kernel[i] - 1) - a.padding[i]) as unknown as Pair2;
      return d.conv2d(gi, flipped, { stride: a.stride, padding, dilation: a.dilation, groups: 1 });
    }
    return d.convTranspose2d(gi, wi, { ...geometry, outputPadding: restoringOutputPadding(x, y, kernel, a) });
  };
  const dx = needs[0]
    ? d.concat(
        gs.map((gi, i) => inputGrad(gi, ws[i])),
        1,
      )
    : undefined;
  const dw = needs[1]
    ? d.concat(
        gs.map((gi, i) => d.conv2dFilterGrad(xs[i], gi, { ...geometry, kernel })),
        0,
      )
    : undefined;
  return [dx, dw, b && needs[2] ? d.reduceSum(g, [0, 2, 3], false) : undefined];
}

function convTranspose2dVjp(d: GradOps, [x, w, b]: readonly Value[], g: Value, needs: readonly boolean[], a: ConvTransposeAttrs): VjpResult {
  const geometry = { stride: a.stride, padding: a.padding, dilation: a.dilation };
  return [
    needs[0] ? d.conv2d(g, w, { ...geometry, groups: 1 }) : undefined,
    needs[1] ? d.conv2dFilterGrad(g, x, { ...geometry, kernel: [w.shape[2] as number, w.shape[3] as number] }) : undefined,
    b && needs[2] ? d.reduceSum(g, [0, 2, 3], false) : undefined,
  ];
}

// ---------------- ops ----------------

const onnxWindowAttrs = (kernel: readonly Dim[], a: { stride: Pair2; padding: Pair2; dilation: Pair2 }) => ({
  kernel_shape: kernel.map(Number),
  strides: [...a.stride],
  pads: [a.padding[0], a.padding[1], a.padding[0], a.padding[1]],
  dilations: [...a.dilation],
});

export const conv2dOp: OpDef<ConvAttrs> = {
  type: 'Conv',
  infer: conv2dRule,
  onnx: (w, ins, outs, a, node) => w.node('Conv', ins, outs, { ...onnxWindowAttrs(node.inputs[1].shape.slice(2), a), group: a.groups }),
  tfjs: conv2dTf,
  vjp: (d, { inputs, outputs: [y], dys: [g], needs, attrs }) => (g ? conv2dVjp(d, inputs, y, g, needs, attrs) : []),
};

export const convTranspose2dOp: OpDef<ConvTransposeAttrs> = {
  type: 'ConvTranspose',
  infer: convTranspose2dRule,
  onnx: (w, ins, outs, a, node) =>
    w.node('ConvTranspose', ins, outs, { ...onnxWindowAttrs(node.inputs[1].shape.slice(2), a), output_padding: [...a.outputPadding], group: 1 }),
  tfjs: convTranspose2dTf,
  vjp: (d, { inputs, dys: [g], needs, attrs }) => (g ? convTranspose2dVjp(d, inputs, g, needs, attrs) : []),
};

/**
 * 2-D convolution, NCHW. `weight` is [O, C/groups, kh, kw]; `bias` (optional) is [O].
 * stride, padding (both sides) and dilation take a number or [h, w]; defaults 1, 0, 1, groups 1.
 */
export function conv2d<XS extends Shape, WS extends Shape, D extends FloatType, BS extends Shape = [Dim], const O extends Conv2dOptions = {}>(
  x: Tensor<XS, D>,
  weight: Tensor<WS, D> & Check<Conv2dShape<XS, WS, O>>,
  bias?: Tensor<BS, D> & Check<BiasRule<BS, WS, 0, 'conv2d'>>,
  opts?: O,
): Tensor<OrWide<Conv2dShape<XS, WS, O>>, D> {
  const o: Conv2dOptions = opts ?? {};
  const attrs: ConvAttrs = { stride: toPair(o.stride, 1), padding: toPair(o.padding, 0), dilation: toPair(o.dilation, 1), groups: o.groups ?? 1 };
  const inputs = bias ? [x.value, weight.value, bias.value] : [x.value, weight.value];
  return wrap(apply(conv2dOp, inputs, attrs)[0]);
}

/**
 * 2-D transposed convolution (the gradient of conv2d with respect to its input), NCHW.
 * `weight` is [C, O, kh, kw]; output length (H−1)·s − 2p + d(k−1) + outputPadding + 1.
 */
export function convTranspose2d<XS extends Shape, WS extends Shape, D extends FloatType, BS extends Shape = [Dim], const O extends ConvTranspose2dOptions = {}>(
  x: Tensor<XS, D>,
  weight: Tensor<WS, D> & Check<ConvTranspose2dShape<XS, WS, O>>,
  bias?: Tensor<BS, D> & Check<BiasRule<BS, WS, 1, 'convTranspose2d'>>,
  opts?: O,
): Tensor<OrWide<ConvTranspose2dShape<XS, WS, O>>, D> {
  const o: ConvTranspose2dOptions = opts ?? {};
  const attrs: ConvTransposeAttrs = {
    stride: toPair(o.stride, 1),
    padding: toPair(o.padding, 0),
    dilation: toPair(o.dilation, 1),
    outputPadding: toPair(o.outputPadding, 0),
  };
  const inputs = bias ? [x.value, weight.value, bias.value] : [x.value, weight.value];
  return wrap(apply(convTranspose2dOp, inputs, attrs)[0]);
}
