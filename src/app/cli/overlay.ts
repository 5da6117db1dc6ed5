// Overlay images: the image in grey with each mask's outline drawn on it in colour, as an RGB PNG. The outline is
// the mask's own border pixels (foreground with a background 4-neighbour, or on the image edge), so it never
// covers the structure's surroundings and a one-pixel structure still shows.
import type { GreyImage, Mask } from '../data/image.js';
import { normalise, type Normalisation } from '../data/intensity.js';
import { encodeRgbPng } from '../data/png.js';

export type Rgb = readonly [number, number, number];

/** Outline colour of a single mask (segment). */
export const OUTLINE: Rgb = [255, 48, 48];

/** Distinct colours for many masks (everything): hues a golden angle apart, bright and saturated. */
export function palette(n: number): Rgb[] {
  return Array.from({ length: n }, (_, i) => hsvToRgb((i * 137.508) % 360, 0.85, 1));
}

function hsvToRgb(h: number, s: number, v: number): Rgb {
  const f = (k: number) => {
    const c = (k + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(c, 4 - c, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** Border pixels of a mask (0/1). */
export function outline(mask: Mask): Uint8Array {
  const { width: w, height: h, data } = mask;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || !data[i - 1] || !data[i + 1] || !data[i - w] || !data[i + w];
      if (edge) out[i] = 1;
    }
  return out;
}

/** RGB bytes: the image (normalised for display) with each mask's outline in its colour, later masks on top. */
export function overlayRgb(image: GreyImage, masks: readonly { readonly mask: Mask; readonly colour: Rgb }[], how?: Normalisation): Uint8Array {
  const { width: w, height: h } = image;
  const grey = normalise(image, how).data;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.fill(Math.round(grey[i] * 255), 3 * i, 3 * i + 3);
  for (const { mask, colour } of masks) {
    if (mask.width !== w || mask.height !== h) throw new RangeError(`overlay: mask is ${mask.width}×${mask.height}, image is ${w}×${h}`);
    const line = outline(mask);
    for (let i = 0; i < w * h; i++) if (line[i]) rgb.set(colour, 3 * i);
  }
  return rgb;
}

export const overlayPng = (image: GreyImage, masks: readonly { readonly mask: Mask; readonly colour: Rgb }[], how?: Normalisation): Uint8Array =>
  encodeRgbPng(image.width, image.height, overlayRgb(image, masks, how));
