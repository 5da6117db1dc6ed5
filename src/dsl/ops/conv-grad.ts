// The filter gradient of a 2-D convolution as an op of its own (conv2d's input gradient is convTranspose2d):
//   ∂W[o, c, i, j] = Σ_{n, a, b} dy[n, o, a, b] · x[n, c, a·s − p + i·d, b·s − p + j·d]
// Lowered per kernel tap (i, j): the tap's strided window of the padded x, [N, C, OH·OW], times dy as
// [N, O, OH·OW] transposed — one MatMul of inner length OH·OW (ONNX Runtime fuses the transpose into it),
// summed over the batch; the kh·kw [O, C] results stacked. A tap at a time keeps one copy of x alive.
// With symbolic spatial dims (window ends unknown) it is a convolution instead, with the batch as channels:
// x as [C, N, H, W] convolved with dy as a [O, N, OH, OW] kernel, the stride and dilation trading places,
// cropped to kh × kw — correct, but ONNX Runtime runs such huge, thin kernels slowly.
// The same op gives convTranspose2d's filter gradient (dy and x trade places).
import type { Shape } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type TF, type TFTensor, type Value } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { convOutDim, fmtDim, RuleError, sameDim } from '../dim.js';
import { checkFloat, checkPair, checkRank4, staticDim, toNHWC, type Pair2 } from './spatial.js';
import type { OnnxNodeWriter } from '../../onnx/node-writer.js';

export interface ConvFilterGradAttrs {
  readonly kernel: Pair2;
  readonly stride: Pair2;
  readonly padding: Pair2;
  readonly dilation: Pair2;
}

function filterGradRule([x, dy]: readonly Value[], a: ConvFilterGradAttrs) {
  const op = 'conv2dFilterGrad';
  checkRank4(op, 'input', x);
  checkRank4(op, 'output gradient', dy);
  checkFloat(op, x);
  if (dy.dtype !== x.dtype) throw new RuleError(`${op}: dtypes differ (${x.dtype} vs ${dy.dtype})`);
  checkPair(op, 'kernel', a.kernel, 1);
  checkPair(op, 'stride', a.stride, 1);
  checkPair(op, 'padding', a.padding, 0);
  checkPair(op, 'dilation', a.dilation, 1);
  const c = staticDim(op, 'input channels', x.shape[1]);
  const o = staticDim(op, 'output-gradient channels', dy.shape[1]);
  if (!sameDim(x.shape[0], dy.shape[0])) throw new RuleError(`${op}: batch dims differ (${fmtDim(x.shape[0])} vs ${fmtDim(dy.shape[0])})`);
  for (const i of [0, 1]) {
    const out = convOutDim(x.shape[2 + i], a.kernel[i], a.stride[i], a.padding[i], a.dilation[i], op);
    if (!sameDim(out, dy.shape[2 + i]))
      throw new RuleError(`${op}: the output gradient's spatial dim ${i} is ${fmtDim(dy.shape[2 + i])}, the conv gives ${fmtDim(out)}`);
  }
  return [{ shape: [o, c, a.kernel[0], a.kernel[1]], dtype: x.dtype }];
}

/** The per-tap MatMul lowering (static spatial dims): see the file's head. */
function lowerByTaps(w: OnnxNodeWriter, x: string, dy: string, dw: string, a: ConvFilterGradAttrs, o: number, c: number, [h, wd, oh, ow]: number[]): void {
  const [kh, kw] = a.kernel;
  const [ph, pw] = a.padding;
  let xp = x;
  if (ph || pw) {
    // The conv's own padding is enough: (OH−1)·s + (k−1)·d ≤ H + 2p − 1 for every tap.
    xp = w.tmp('x_padded');
    w.node('Pad', [x, w.int64([0, 0, ph, pw, 0, 0, ph, pw])], [xp], { mode: 'constant' });
  }
  const dyRows = w.tmp('dy_rows');
  w.node('Reshape', [dy, w.int64([0, o, oh * ow])], [dyRows]);
  const taps: string[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const [window, rows, rowsT, perBatch, tap] = ['window', 'rows', 'rows_t', 'per_batch', 'tap'].map((h) => w.tmp(h));
      const start = [i * a.dilation[0], j * a.dilation[1]];
      const end = [start[0] + (oh - 1) * a.stride[0] + 1, start[1] + (ow - 1) * a.stride[1] + 1];
      const whole = xp === x && start[0] === 0 && start[1] === 0 && end[0] === h && end[1] === wd && a.stride[0] === 1 && a.stride[1] === 1;
      // A 1×1 kernel at stride 1 without padding: the tap is x itself. Unit steps are left out (Slice's plain copy).
      if (!whole)
        w.node(
          'Slice',
          [xp, w.int64(start), w.int64(end), w.int64([2, 3]), ...(a.stride[0] === 1 && a.stride[1] === 1 ? [] : [w.int64([...a.stride])])],
          [window],
        );
      w.node('Reshape', [whole ? x : window, w.int64([0, c, oh * ow])], [rows]);
      w.node('Transpose', [rows], [rowsT], { perm: [0, 2, 1] });
      w.node('MatMul', [dyRows, rowsT], [perBatch]); // [N, O, C]
      w.node('ReduceSum', [perBatch, w.int64([0])], [tap], { keepdims: 0 }); // [O, C]
      taps.push(tap);
    }
  const stacked = w.tmp('stacked');
  if (taps.length === 1) w.node('Reshape', [taps[0], w.int64([o, c, kh, kw])], [dw]);
  else {
    // [O, C] each → [O, C, kh·kw] → [O, C, kh, kw].
    const lifted = taps.map((t) => {
      const u = w.tmp('tap_lifted');
      w.node('Unsqueeze', [t, w.int64([2])], [u]);
      return u;
    });
    w.node('Concat', lifted, [stacked], { axis: 2 });
    w.node('Reshape', [stacked, w.int64([o, c, kh, kw])], [dw]);
  }
}

export const conv2dFilterGradOp: OpDef<ConvFilterGradAttrs> = {
  type: 'ConvFilterGrad',
  infer: filterGradRule,
  onnx(w, [x, dy], [dw], a, node) {
    const spatial = [...node.inputs[0].shape.slice(2), ...node.inputs[1].shape.slice(2)];
    if (spatial.every((n) => typeof n === 'number'))
      return lowerByTaps(w, x, dy, dw, a, node.inputs[1].shape[1] as number, node.inputs[0].shape[1] as number, spatial as number[]);
    const [kh, kw] = a.kernel;
    const xt = w.tmp('x_t');
    const dyt = w.tmp('dy_t');
    const full = w.tmp('filter_grad');
    w.node('Transpose', [x], [xt], { perm: [1, 0, 2, 3] });
    w.node('Transpose', [dy], [dyt], { perm: [1, 0, 2, 3] });
    // kernel_shape is left for ONNX to take from the weight: dy's spatial dims may be symbolic.
    w.node('Conv', [xt, dyt], [full], { strides: [...a.dilation], dilations: [...a.stride], pads: [a.padding[0], a.padding[1], a.padding[0], a.padding[1]] });
    // The conv reaches past kh × kw where the input has rows no output window used; those taps are not weights.
    const [x0] = node.inputs;
    const reach = (i: 0 | 1) => {
      const h = x0.shape[2 + i];
      const oh = node.inputs[1].shape[2 + i];
      return typeof h === 'number' && typeof oh === 'number' ? Math.floor((h + 2 * a.padding[i] - a.stride[i] * (oh - 1) - 1) / a.dilation[i]) + 1 : undefined;
    };
    let cropped = full;
    if (reach(0) !== kh || reach(1) !== kw) {
      cropped = w.tmp('cropped');
      w.node('Slice', [full, w.int64([0, 0]), w.int64([kh, kw]), w.int64([2, 3])], [cropped]);
    }
    w.node('Transpose', [cropped], [dw], { perm: [1, 0, 2, 3] });
  },
  tfjs(tf: TF, [x, dy]: readonly TFTensor[], a, _node, kernels) {
    // conv2d's filter gradient is what the backend's conv (src/train/tfjs/conv.ts) gives its kernel (plain 2-D matMuls on wasm).
    const [c, o] = [x.shape[1] as number, dy.shape[1] as number];
    return [
      tf.tidy(() => {
        const k0 = tf.zeros([a.kernel[0], a.kernel[1], c, o]);
        const dyh = toNHWC(tf, dy);
        const g = tf.grad((k: TFTensor) => tf.sum(tf.mul(kernels.conv(toNHWC(tf, x), k, a), dyh)))(k0);
        return tf.transpose(g, [3, 2, 0, 1]);
      }),
    ];
  },
  // Bilinear: ⟨G, F(x, dy)⟩ = ⟨dy, conv2d(x, G)⟩, so d/ddy = conv2d(x, G) and d/dx = convTranspose2d(dy, G).
  vjp(d, { inputs: [x, dy], dys: [g], needs, attrs: a }) {
    if (!g) return [];
    const geometry = { stride: a.stride, padding: a.padding, dilation: a.dilation };
    const outputPadding = [0, 1].map((i) => {
      const [h, oh] = [x.shape[2 + i], dy.shape[2 + i]];
      if (a.stride[i] === 1) return 0;
      if (typeof h !== 'number' || typeof oh !== 'number')
        throw new RuleError(`conv2dFilterGrad gradient: a stride of ${a.stride[i]} on symbolic spatial dim ${fmtDim(h)} leaves the input length ambiguous`);
      return h - ((oh - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (a.kernel[i] - 1) + 1);
    }) as unknown as Pair2;
    return [needs[0] ? d.convTranspose2d(dy, g, { ...geometry, outputPadding }) : undefined, needs[1] ? d.conv2d(x, g, { ...geometry, groups: 1 }) : undefined];
  },
};

/** ∂L/∂W of conv2d(x, W) (groups 1) given dy = ∂L/∂y: [O, C, kh, kw]. */
export function conv2dFilterGrad<D extends FloatType>(x: Tensor<Shape, D>, dy: Tensor<Shape, D>, attrs: ConvFilterGradAttrs): Tensor<Shape, D> {
  return wrap(apply(conv2dFilterGradOp, [x.value, dy.value], attrs)[0]);
}
