// Spatial resize of NCHW tensors (ONNX Resize, opset 13+ semantics).
//
// 'linear': bilinear with coordinate_transformation_mode = half_pixel (source = (dst + ½)/scale − ½,
//   clamped to the image), as PyTorch's interpolate(align_corners=False) and tf's halfPixelCenters.
// 'nearest': coordinate_transformation_mode = asymmetric with nearest_mode = floor
//   (source = ⌊dst/scale⌋), as PyTorch's 'nearest' and tf's default. Exact for whole up/down
//   factors; for other ratios ONNX Runtime divides in float32 and may pick one pixel lower
//   than ⌊dst·in/out⌋ (100 → 30: dst 9 reads 29, not 30); the tfjs kernel does as ONNX Runtime.
import type { Check, Dim, DimMul, IsLiteral, IsTuple, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef, type Value } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { dimMul, RuleError } from '../dim.js';
import { checkFloat, checkRank4, type RankError } from './spatial.js';

/** Either an output size [h, w] or a whole scale factor for both spatial axes. */
export type ResizeTarget = { readonly size: readonly [number, number] } | { readonly scale: number };
export type ResizeMode = 'linear' | 'nearest';

// ---------------- type-level rule ----------------

type WholeFactor<S extends number> = `${S}` extends `${string}.${string}` | `-${string}` | '0' ? false : true;

/** [N, C, h, w] for a size, [N, C, H·s, W·s] for a scale (symbolic dims become `H*s`), or a ShapeError. */
export type ResizeShape<XS extends Shape, R> =
  IsTuple<XS> extends false
    ? Shape
    : XS extends readonly [infer N extends Dim, infer C extends Dim, infer H extends Dim, infer W extends Dim]
      ? R extends { readonly size: readonly [infer OH extends number, infer OW extends number] }
        ? OH extends 0
          ? ShapeError<`resize: size [${OH}, ${OW}] must be positive`>
          : OW extends 0
            ? ShapeError<`resize: size [${OH}, ${OW}] must be positive`>
            : [N, C, OH, OW]
        : R extends { readonly scale: infer S extends number }
          ? IsLiteral<S> extends false
            ? [N, C, H extends number ? number : string, W extends number ? number : string]
            : WholeFactor<S> extends false
              ? ShapeError<`resize: scale ${S} must be a whole number ≥ 1 (give a size for other factors)`>
              : [N, C, DimMul<H, S>, DimMul<W, S>]
          : ShapeError<'resize: give either a size [h, w] or a scale'>
      : RankError<'resize', 'input', XS>;

// ---------------- run time ----------------

interface ResizeAttrs {
  readonly size?: readonly [number, number];
  readonly scale?: number;
  readonly mode: ResizeMode;
}

function resizeRule([x]: readonly Value[], a: ResizeAttrs) {
  checkRank4('resize', 'input', x);
  checkFloat('resize', x);
  if (a.mode !== 'linear' && a.mode !== 'nearest') throw new RuleError(`resize: mode must be 'linear' or 'nearest', got '${a.mode}'`);
  const [n, c, h, w] = x.shape;
  if (a.size) {
    if (!a.size.every((d) => Number.isInteger(d) && d > 0)) throw new RuleError(`resize: size [${a.size.join(', ')}] must be positive`);
    return [{ shape: [n, c, a.size[0], a.size[1]], dtype: x.dtype }];
  }
  const s = a.scale;
  if (s === undefined) throw new RuleError('resize: give either a size [h, w] or a scale');
  if (!Number.isInteger(s) || s < 1) throw new RuleError(`resize: scale ${s} must be a whole number ≥ 1 (give a size for other factors)`);
  return [{ shape: [n, c, dimMul(h, s), dimMul(w, s)], dtype: x.dtype }];
}

const onnxModeAttrs = (mode: ResizeMode) =>
  mode === 'linear'
    ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
    : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };

export const resizeOp: OpDef<ResizeAttrs> = {
  type: 'Resize',
  infer: resizeRule,
  onnx(w, [x], outs, a, node) {
    const attrs = onnxModeAttrs(a.mode);
    // Inputs: X, roi, scales, sizes; the unused ones are '' (roi only matters for tf_crop_and_resize).
    if (a.scale !== undefined) return w.node('Resize', [x, '', w.float32([1, 1, a.scale, a.scale])], outs, attrs);
    const size = a.size as readonly [number, number];
    const [n, c] = node.inputs[0].shape;
    let sizes: string;
    if (typeof n === 'number' && typeof c === 'number') sizes = w.int64([n, c, size[0], size[1]]);
    else {
      // Opset 17's sizes cover every axis; a symbolic batch is read from the input at run time.
      const nc = w.tmp('nc');
      sizes = w.tmp('sizes');
      w.node('Shape', [x], [nc], { start: 0, end: 2 });
      w.node('Concat', [nc, w.int64([size[0], size[1]])], [sizes], { axis: 0 });
    }
    w.node('Resize', [x, '', '', sizes], outs, attrs);
  },
  tfjs(tf, [x], a, _node, kernels) {
    const [n, c, h, w] = x.shape as number[];
    const [oh, ow] = a.size ? a.size : [h * (a.scale as number), w * (a.scale as number)];
    return [
      tf.tidy(() => {
        // Not tf.image.resize*: tfjs's ResizeBilinearGrad ignores halfPixelCenters (training would get
        // another resize's gradient) and the cpu backend's ResizeNearestNeighborGrad gives NaN when
        // downsampling. Both modes are separable and linear: y = A_h · x · A_wᵀ with constant
        // interpolation matrices, two 2-D matMuls (made [in, out]: no transposed products on wasm).
        const awT = tf.tensor2d(interpolationT(a.mode, w, ow), [w, ow]);
        const ahT = tf.tensor2d(interpolationT(a.mode, h, oh), [h, oh]);
        const rows = kernels.matMul2d(tf.reshape(x, [n * c * h, w]), awT); // [NCH, OW]
        const cols = tf.reshape(tf.transpose(tf.reshape(rows, [n * c, h, ow]), [0, 2, 1]), [n * c * ow, h]);
        const y = kernels.matMul2d(cols, ahT); // [NC·OW, OH]
        return tf.reshape(tf.transpose(tf.reshape(y, [n * c, ow, oh]), [0, 2, 1]), [n, c, oh, ow]);
      }),
    ];
  },
  // y = A_h · x · A_wᵀ with constant interpolation matrices, so dx = A_hᵀ · dy · A_w: two MatMuls.
  vjp(d, { inputs: [x], outputs: [y], dys: [g], attrs }) {
    if (!g) return [];
    const [h, w] = x.shape.slice(2).map((n) => staticLen(n, 'input'));
    const [oh, ow] = y.shape.slice(2).map((n) => staticLen(n, 'output'));
    const awT = interpolationT(attrs.mode, w, ow);
    const aw = new Float32Array(ow * w);
    for (let i = 0; i < w; i++) for (let o = 0; o < ow; o++) aw[o * w + i] = awT[i * ow + o];
    const rows = d.matmul(g, d.constant(aw, [ow, w])); // [N, C, OH, W]
    return [d.matmul(d.constant(interpolationT(attrs.mode, h, oh), [h, oh]), rows)];
  },
};

function staticLen(n: Dim, what: string): number {
  if (typeof n !== 'number') throw new RuleError(`resize gradient: the interpolation matrices need static spatial dims; the ${what} has symbolic '${n}'`);
  return n;
}

/**
 * [in, out] interpolation weights along one axis, as ONNX Runtime computes them: linear with
 * half-pixel centres clamped to the image; nearest ⌊dst / scale⌋ with scale = out/in in float32
 * (so that tfjs picks the same pixel as ONNX Runtime where float32 rounding moves it).
 */
function interpolationT(mode: ResizeMode, inLen: number, outLen: number): Float32Array {
  const m = new Float32Array(inLen * outLen);
  const scale32 = Math.fround(outLen / inLen);
  for (let o = 0; o < outLen; o++) {
    if (mode === 'nearest') {
      m[Math.min(Math.floor(Math.fround(o / scale32)), inLen - 1) * outLen + o] = 1;
      continue;
    }
    const src = Math.min(Math.max((o + 0.5) * (inLen / outLen) - 0.5, 0), inLen - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, inLen - 1);
    m[lo * outLen + o] += 1 - (src - lo);
    m[hi * outLen + o] += src - lo;
  }
  return m;
}

/**
 * Resize the spatial axes of an NCHW tensor to `{ size: [h, w] }` or by a whole `{ scale: n }`.
 * mode 'linear' (default): bilinear, half-pixel centres; 'nearest': ⌊dst/scale⌋.
 */
export function resize<XS extends Shape, D extends FloatType, const R extends ResizeTarget>(
  x: Tensor<XS, D>,
  target: R & Check<ResizeShape<XS, R>>,
  mode: ResizeMode = 'linear',
): Tensor<OrWide<ResizeShape<XS, R>>, D> {
  const t = target as ResizeTarget;
  const attrs: ResizeAttrs = 'size' in t ? { size: [t.size[0], t.size[1]], mode } : { scale: t.scale, mode };
  return wrap(apply(resizeOp, [x.value], attrs)[0]);
}
