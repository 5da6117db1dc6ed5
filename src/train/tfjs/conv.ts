// Convolution and its adjoint (transposed convolution) for tfjs, differentiable on every backend.
//
// Why not tf.conv2d with tfjs's own gradient: tfjs-backend-wasm, the training backend, has no
// Conv2DBackpropFilter kernel, its Conv2DBackpropInput is ~10× slower than its (XNNPACK) Conv2D,
// and tf.conv2d refuses a stride and a dilation together. So both directions are written with
// the three pieces below and tf.customGrad:
//   forward(x, K)          y = x ⋆ K                  (XNNPACK conv2d)
//   adjoint(y, K)          x = the transposed conv     (XNNPACK conv2d of the stride-dilated y, flipped K)
//   filterGrad(x, dy)      ∂K = Σ_taps tapᵀ · dy       (plain 2-D matMuls, fast on wasm)
// When the windows tile the image (stride = kernel, the patch embeddings and 2×2/2 resamplers),
// the adjoint and filterGrad are single matMuls on the tiles instead.
// conv:            value forward,  gradients [adjoint(dy), filterGrad(x, dy)]
// transposed conv: value adjoint,  gradients [forward(dy), filterGrad(dy, x)]
// All tensors are NHWC; K is [kh, kw, Cin, Cout] (Cin on the conv's input side).
import type * as tfjs from '@tensorflow/tfjs';
import type { TF, TFTensor, WindowGeometry } from '../../dsl/graph.js';
import { padHW, stridedWindow, type Pair2 } from '../../dsl/ops/spatial.js';

/** Stride, padding and dilation per spatial axis (the ops' WindowGeometry). */
export type ConvGeometry = WindowGeometry;

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
const pad4 = (top: number, bottom: number, left: number, right: number): Pad4 => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];
const as4 = (t: TFTensor) => t as tfjs.Tensor4D;

/** The conv's output length along axis i (ONNX/PyTorch, floor). */
export const convOutLen = (x: number, k: number, g: ConvGeometry, i: 0 | 1): number =>
  Math.floor((x + 2 * g.padding[i] - g.dilation[i] * (k - 1) - 1) / g.stride[i]) + 1;

/** y = x ⋆ K: [N, H, W, Cin] → [N, OH, OW, Cout]. */
function forward(tf: TF, x: TFTensor, k: TFTensor, g: ConvGeometry): TFTensor {
  const [kh, kw] = k.shape as number[];
  const [, h, w] = x.shape as number[];
  const pads = pad4(g.padding[0], g.padding[0], g.padding[1], g.padding[1]);
  const unitStride = g.stride[0] === 1 && g.stride[1] === 1;
  if (unitStride || (g.dilation[0] === 1 && g.dilation[1] === 1)) return tf.conv2d(as4(x), as4(k), [...g.stride], pads, 'NHWC', [...g.dilation]);
  // tf.conv2d takes a stride or a dilation, not both: convolve at stride 1, keep every s-th output.
  const full = tf.conv2d(as4(x), as4(k), 1, pads, 'NHWC', [...g.dilation]);
  const out: Pair2 = [convOutLen(h, kh, g, 0), convOutLen(w, kw, g, 1)];
  const [, fh, fw] = full.shape as number[];
  const grown = padHW(tf, full, [0, Math.max(0, out[0] * g.stride[0] - fh)], [0, Math.max(0, out[1] * g.stride[1] - fw)]);
  return stridedWindow(tf, grown, [0, 0], out, g.stride);
}

/** s − 1 zeros between neighbours along the spatial axes: [N, H, W, C] → [N, (H−1)s+1, (W−1)s+1, C]. */
function spread(tf: TF, y: TFTensor, s: Pair2): TFTensor {
  const [n, h, w, c] = y.shape as number[];
  let t = y;
  if (s[0] > 1) {
    t = tf.reshape(
      tf.pad(tf.reshape(t, [n * h, 1, w * c]), [
        [0, 0],
        [0, s[0] - 1],
        [0, 0],
      ]),
      [n, h * s[0], w, c],
    );
    t = tf.slice(t, [0, 0, 0, 0], [n, (h - 1) * s[0] + 1, w, c]);
  }
  const hs = t.shape[1] as number;
  if (s[1] > 1) {
    t = tf.reshape(
      tf.pad(tf.reshape(t, [n * hs * w, 1, c]), [
        [0, 0],
        [0, s[1] - 1],
        [0, 0],
      ]),
      [n, hs, w * s[1], c],
    );
    t = tf.slice(t, [0, 0, 0, 0], [n, hs, (w - 1) * s[1] + 1, c]);
  }
  return t;
}

/** Stride = kernel, no dilation, no padding: the windows tile the image (patch embeddings, 2×2/2 up- and downsampling). */
const tiles = (k: Pair2, g: ConvGeometry): boolean =>
  g.stride[0] === k[0] && g.stride[1] === k[1] && g.dilation[0] === 1 && g.dilation[1] === 1 && g.padding[0] === 0 && g.padding[1] === 0;

/** [N, OH·kh, OW·kw, C] → [N·OH·OW, kh·kw·C], each row one tile in (i, j, c) order (4-D ops only). */
function tilesToRows(tf: TF, x: TFTensor, k: Pair2, out: Pair2): TFTensor {
  const [n, , , c] = x.shape as number[];
  const t = tf.transpose(tf.reshape(x, [n * out[0], k[0], out[1], k[1] * c]), [0, 2, 1, 3]);
  return tf.reshape(t, [n * out[0] * out[1], k[0] * k[1] * c]);
}

/** The inverse of tilesToRows, then zero rows/columns up to `size` (input rows no tile covers). */
function rowsToTiles(tf: TF, rows: TFTensor, n: number, k: Pair2, out: Pair2, size: Pair2): TFTensor {
  const c = (rows.shape[1] as number) / (k[0] * k[1]);
  const t = tf.transpose(tf.reshape(rows, [n * out[0], out[1], k[0], k[1] * c]), [0, 2, 1, 3]);
  return padHW(tf, tf.reshape(t, [n, out[0] * k[0], out[1] * k[1], c]), [0, size[0] - out[0] * k[0]], [0, size[1] - out[1] * k[1]]);
}

/** Tiled (stride = kernel) adjoint: one plain matMul [P, Cout] · [Cout, kh·kw·Cin], then the tiles put back. */
function adjointTiles(tf: TF, y: TFTensor, k: TFTensor, size: Pair2): TFTensor {
  const [kh, kw, cin, cout] = k.shape as number[];
  const [n, oh, ow] = y.shape as number[];
  const kt = tf.transpose(tf.reshape(k, [kh * kw * cin, cout])); // [Cout, kh·kw·Cin]
  const rows = tf.matMul(tf.reshape(y, [n * oh * ow, cout]) as never, kt as never);
  return rowsToTiles(tf, rows, n, [kh, kw], [oh, ow], size);
}

/**
 * The adjoint of `forward` (a transposed conv): [N, OH, OW, Cout] → [N, H, W, Cin], `size` = [H, W].
 * x[h] = Σ_{y, i : y·s − p + i·d = h} dy[y]·K[i] is a stride-1 conv of the spread dy with the flipped
 * kernel, padded by (k−1)d − p before and whatever reaches H after (a negative pad crops).
 */
function adjoint(tf: TF, y: TFTensor, k: TFTensor, g: ConvGeometry, size: Pair2): TFTensor {
  const [kh, kw] = k.shape as number[];
  // Spreading by the stride wastes s² of the conv's work: 256× for a 16×16 patch embedding. Tiles need none.
  if (tiles([kh, kw], g)) return adjointTiles(tf, y, k, size);
  const flipped = tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
  let d = spread(tf, y, g.stride);
  const [n, dh, dw, c] = d.shape as number[];
  const before: Pair2 = [(kh - 1) * g.dilation[0] - g.padding[0], (kw - 1) * g.dilation[1] - g.padding[1]];
  const after: Pair2 = [size[0] - dh - before[0] + (kh - 1) * g.dilation[0], size[1] - dw - before[1] + (kw - 1) * g.dilation[1]];
  const crop = (v: number) => Math.max(0, -v);
  const kept: Pair2 = [dh - crop(before[0]) - crop(after[0]), dw - crop(before[1]) - crop(after[1])];
  // Everything cropped (the padding swallows every input row): zeros. XNNPACK would return garbage for an empty input.
  if (kept[0] <= 0 || kept[1] <= 0) return tf.zeros([n, size[0], size[1], k.shape[2] as number]);
  if (before.some((v) => v < 0) || after.some((v) => v < 0)) d = tf.slice(d, [0, crop(before[0]), crop(before[1]), 0], [n, kept[0], kept[1], c]);
  const grow = (v: number) => Math.max(0, v);
  return tf.conv2d(as4(d), as4(flipped), 1, pad4(grow(before[0]), grow(after[0]), grow(before[1]), grow(after[1])), 'NHWC', [...g.dilation]);
}

/** ∂K [kh, kw, Cin, Cout] of Σ forward(x, K)·dy: per tap, (x's window)ᵀ · dy as plain 2-D matMuls. */
function filterGrad(tf: TF, x: TFTensor, dy: TFTensor, kernel: Pair2, g: ConvGeometry): TFTensor {
  const [n, h, w, cin] = x.shape as number[];
  const [, oh, ow, cout] = dy.shape as number[];
  const rows = n * oh * ow;
  if (tiles(kernel, g)) {
    // One matMul: (tiles as rows)ᵀ · dy, the input cropped to what the tiles cover.
    const covered = tf.slice(x, [0, 0, 0, 0], [n, oh * kernel[0], ow * kernel[1], cin]);
    const patchesT = tf.transpose(tilesToRows(tf, covered, kernel, [oh, ow]));
    return tf.reshape(tf.matMul(patchesT as never, tf.reshape(dy, [rows, cout]) as never), [kernel[0], kernel[1], cin, cout]);
  }
  // Bottom/right: a tap's reshape-strided window reaches (k−1)·d + out·s.
  const bottom = Math.max(0, (kernel[0] - 1) * g.dilation[0] + oh * g.stride[0] - h - g.padding[0]);
  const right = Math.max(0, (kernel[1] - 1) * g.dilation[1] + ow * g.stride[1] - w - g.padding[1]);
  const xp = padHW(tf, x, [g.padding[0], bottom], [g.padding[1], right]);
  const dy2 = tf.reshape(dy, [rows, cout]);
  const taps: TFTensor[] = [];
  for (let i = 0; i < kernel[0]; i++)
    for (let j = 0; j < kernel[1]; j++)
      taps.push(
        tf.tidy(() =>
          tf.matMul(
            tf.transpose(tf.reshape(stridedWindow(tf, xp, [i * g.dilation[0], j * g.dilation[1]], [oh, ow], g.stride), [rows, cin])) as never,
            dy2 as never,
          ),
        ),
      );
  return tf.reshape(tf.stack(taps), [kernel[0], kernel[1], cin, cout]);
}

/** Differentiable conv: x [N, H, W, Cin], K [kh, kw, Cin, Cout] → [N, OH, OW, Cout]. */
export function convNHWC(tf: TF, x: TFTensor, k: TFTensor, g: ConvGeometry): TFTensor {
  const op = tf.customGrad((xi: TFTensor | tfjs.GradSaveFunc, ki: TFTensor | tfjs.GradSaveFunc, save: TFTensor | tfjs.GradSaveFunc) => {
    const [xt, kt] = [xi as TFTensor, ki as TFTensor];
    (save as tfjs.GradSaveFunc)([xt, kt]);
    return {
      value: forward(tf, xt, kt, g),
      gradFunc: (dy: TFTensor | TFTensor[], [sx, sk]: TFTensor[]) => {
        const d = dy as TFTensor;
        const [kh, kw] = sk.shape as number[];
        return [adjoint(tf, d, sk, g, [sx.shape[1] as number, sx.shape[2] as number]), filterGrad(tf, sx, d, [kh, kw], g)];
      },
    };
  });
  return op(x, k);
}

/** Differentiable transposed conv (the adjoint of convNHWC with the same K): y [N, OH, OW, Cout] → [N, size…, Cin]. */
export function convTransposeNHWC(tf: TF, y: TFTensor, k: TFTensor, g: ConvGeometry, size: Pair2): TFTensor {
  const op = tf.customGrad((yi: TFTensor | tfjs.GradSaveFunc, ki: TFTensor | tfjs.GradSaveFunc, save: TFTensor | tfjs.GradSaveFunc) => {
    const [yt, kt] = [yi as TFTensor, ki as TFTensor];
    (save as tfjs.GradSaveFunc)([yt, kt]);
    const value = adjoint(tf, yt, kt, g, size);
    return {
      value,
      gradFunc: (dx: TFTensor | TFTensor[], [sy, sk]: TFTensor[]) => {
        const d = dx as TFTensor;
        const [kh, kw] = sk.shape as number[];
        return [forward(tf, d, sk, g), filterGrad(tf, d, sy, [kh, kw], g)];
      },
    };
  });
  return op(y, k);
}
