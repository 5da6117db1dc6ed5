// Resizing between an image's own size and the model's S×S input. Browser-safe.
//
// Bilinear uses pixel centres at (i + 0.5) (ONNX Resize "half_pixel", tfjs halfPixelCenters). When shrinking, the
// triangle filter is widened to the scale factor (as in PIL's bilinear) so a 512² CT slice reduced to 64² averages
// the pixels it covers instead of sampling every eighth one; when enlarging it is the plain bilinear interpolation,
// clamped at the borders.
import { greyImage, type GreyImage, type Mask } from './image.js';

interface Taps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float32Array;
  readonly stride: number;
}

function triangleTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(centre - support));
    const hi = Math.min(inSize - 1, Math.floor(centre + support));
    let total = 0;
    let n = 0;
    for (let j = lo; j <= hi && n < stride; j++, n++) {
      const w = Math.max(0, 1 - Math.abs(j - centre) / support);
      weights[i * stride + n] = w;
      total += w;
    }
    // Renormalising the taps that fall inside the image is the same as clamping the coordinate at the border.
    if (total === 0) {
      // Degenerate (cannot happen with support >= 1, kept for safety): take the nearest pixel.
      weights[i * stride] = 1;
      start[i] = Math.min(inSize - 1, Math.max(0, Math.round(centre)));
      count[i] = 1;
      continue;
    }
    for (let k = 0; k < n; k++) weights[i * stride + k] /= total;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/** Bilinear (antialiased when shrinking) resize of a row-major float plane. */
export function resizePlaneBilinear(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  if (ow === w && oh === h) return src.slice();
  const tx = triangleTaps(w, ow);
  const ty = triangleTaps(h, oh);
  // Horizontal pass: h rows of ow.
  const tmp = new Float32Array(ow * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      const s = tx.start[x];
      const base = x * tx.stride;
      for (let k = 0; k < tx.count[x]; k++) acc += src[row + s + k] * tx.weights[base + k];
      tmp[y * ow + x] = acc;
    }
  }
  // Vertical pass.
  const out = new Float32Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const s = ty.start[y];
    const base = y * ty.stride;
    const o = y * ow;
    for (let k = 0; k < ty.count[y]; k++) {
      const wgt = ty.weights[base + k];
      const r = (s + k) * ow;
      for (let x = 0; x < ow; x++) out[o + x] += tmp[r + x] * wgt;
    }
  }
  return out;
}

/** Nearest-neighbour source index for each output index (pixel centres aligned). */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) idx[i] = Math.min(inSize - 1, Math.floor((i + 0.5) * scale));
  return idx;
}

export function resizePlaneNearest<T extends Float32Array | Uint8Array>(src: T, w: number, h: number, ow: number, oh: number): T {
  const ix = nearestIndex(w, ow);
  const iy = nearestIndex(h, oh);
  const out = (src instanceof Uint8Array ? new Uint8Array(ow * oh) : new Float32Array(ow * oh)) as T;
  for (let y = 0; y < oh; y++) {
    const r = iy[y] * w;
    for (let x = 0; x < ow; x++) out[y * ow + x] = src[r + ix[x]];
  }
  return out;
}

const checkSize = (what: string, w: number, h: number): void => {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new RangeError(`${what}: target size must be positive integers, got ${w}×${h}`);
};

export function resizeBilinear(img: GreyImage, width: number, height: number): GreyImage {
  checkSize('resizeBilinear', width, height);
  return greyImage(width, height, resizePlaneBilinear(img.data, img.width, img.height, width, height));
}

export function resizeNearest(img: GreyImage, width: number, height: number): GreyImage {
  checkSize('resizeNearest', width, height);
  return greyImage(width, height, resizePlaneNearest(img.data, img.width, img.height, width, height));
}

/** Masks are resized with nearest neighbour: labels must stay 0/1. */
export function resizeMask(mask: Mask, width: number, height: number): Mask {
  checkSize('resizeMask', width, height);
  return { width, height, data: resizePlaneNearest(mask.data, mask.width, mask.height, width, height) };
}

/**
 * The size at which pixels of physical size `spacing` (x, y) become square, keeping the finer spacing: e.g. a
 * 128×62 slice of 2 mm × 3 mm pixels → 128×93.
 */
export function squarePixelSize(width: number, height: number, spacing: readonly [number, number]): { width: number; height: number } {
  const [sx, sy] = spacing;
  if (!(sx > 0 && sy > 0)) return { width, height };
  const fine = Math.min(sx, sy);
  return { width: Math.max(1, Math.round((width * sx) / fine)), height: Math.max(1, Math.round((height * sy) / fine)) };
}
