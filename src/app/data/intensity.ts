// Intensity normalisation to [0, 1]: per-image min–max (optionally between percentiles, robust to a few hot
// pixels) or a display window (CT: center/width in Hounsfield units). Browser-safe.
import { greyImage, type GreyImage, type IntensityWindow } from './image.js';

export type Normalisation =
  | { readonly kind: 'minmax'; readonly lowPercentile?: number; readonly highPercentile?: number }
  | { readonly kind: 'window'; readonly center: number; readonly width: number };

/** Common CT windows (center, width in HU). */
export const ctWindows: Readonly<Record<string, IntensityWindow>> = {
  'soft-tissue': { center: 40, width: 400 },
  lung: { center: -600, width: 1500 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  liver: { center: 60, width: 160 },
};

function percentile(values: Float32Array, p: number): number {
  const sorted = Float32Array.from(values).sort();
  const pos = Math.min(sorted.length - 1, Math.max(0, (p / 100) * (sorted.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function rescale(img: GreyImage, lo: number, hi: number): GreyImage {
  const out = new Float32Array(img.data.length);
  const range = hi - lo;
  // A constant image carries no contrast: map it to zeros rather than dividing by zero.
  if (!(range > 0) || !Number.isFinite(range)) return greyImage(img.width, img.height, out);
  for (let i = 0; i < out.length; i++) {
    const v = (img.data[i] - lo) / range;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return greyImage(img.width, img.height, out);
}

export function normaliseMinMax(img: GreyImage, lowPercentile = 0, highPercentile = 100): GreyImage {
  if (!(lowPercentile >= 0 && highPercentile <= 100 && lowPercentile < highPercentile)) {
    throw new RangeError(`normaliseMinMax: percentiles must satisfy 0 <= low < high <= 100, got ${lowPercentile}, ${highPercentile}`);
  }
  let lo = Infinity;
  let hi = -Infinity;
  if (lowPercentile === 0 && highPercentile === 100) {
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    lo = percentile(img.data, lowPercentile);
    hi = percentile(img.data, highPercentile);
  }
  return rescale(img, lo, hi);
}

/** Linear window: center − width/2 → 0, center + width/2 → 1, clamped. */
export function normaliseWindow(img: GreyImage, window: IntensityWindow): GreyImage {
  if (!(window.width > 0)) throw new RangeError(`normaliseWindow: width must be > 0, got ${window.width}`);
  return rescale(img, window.center - window.width / 2, window.center + window.width / 2);
}

export function normalise(img: GreyImage, how: Normalisation = { kind: 'minmax' }): GreyImage {
  return how.kind === 'window' ? normaliseWindow(img, how) : normaliseMinMax(img, how.lowPercentile ?? 0, how.highPercentile ?? 100);
}
