// Images and masks → RGBA pixels for canvases: the grey image for display, a translucent mask overlay, and a
// black/white mask for PNG download. Pure (typed arrays in and out), so it is tested outside the browser.
import type { GreyImage, Mask } from '../src/app/data/image.js';

export type Rgb = readonly [number, number, number];

/** Grey image → opaque RGBA, min–max stretched to 0..255 for display. */
export function greyToRgba(img: GreyImage): Uint8ClampedArray {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of img.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return greyToRgbaWindow(img, lo, hi);
}

/** Grey image → opaque RGBA with a display window: `lo` and below black, `hi` and above white. */
export function greyToRgbaWindow(img: GreyImage, lo: number, hi: number): Uint8ClampedArray {
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8ClampedArray(img.data.length * 4);
  for (let i = 0; i < img.data.length; i++) {
    const g = (img.data[i] - lo) * scale;
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = g;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Mask → RGBA overlay: `colour` at `opacity` (0..1) on foreground pixels, transparent elsewhere. */
export function maskOverlayRgba(mask: Mask, colour: Rgb, opacity: number): Uint8ClampedArray {
  const a = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  const out = new Uint8ClampedArray(mask.data.length * 4);
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    out[4 * i] = colour[0];
    out[4 * i + 1] = colour[1];
    out[4 * i + 2] = colour[2];
    out[4 * i + 3] = a;
  }
  return out;
}

/** Mask → opaque black (0) / white (255) RGBA, what a downloaded mask PNG holds (readMask: non-zero = foreground). */
export function maskPngRgba(mask: Mask): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.data.length * 4);
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i] ? 255 : 0;
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = v;
    out[4 * i + 3] = 255;
  }
  return out;
}
