// Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher's lower envelope of parabolas, one pass per
// axis), and the morphology built on them. Browser-safe.
import type { Mask } from './image.js';

const INF = 1e20;

/** 1-D squared distance transform of f, in place into d (v, z are scratch). */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/** Distance from every pixel to the nearest pixel where `isSource` holds (0 on sources). */
function distanceTo(width: number, height: number, isSource: (i: number) => boolean): Float32Array {
  const n = Math.max(width, height);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const grid = new Float64Array(width * height);
  for (let i = 0; i < grid.length; i++) grid[i] = isSource(i) ? 0 : INF;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = grid[y * width + x];
    edt1d(f, height, d, v, z);
    for (let y = 0; y < height; y++) grid[y * width + x] = d[y];
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f[x] = grid[y * width + x];
    edt1d(f, width, d, v, z);
    for (let x = 0; x < width; x++) out[y * width + x] = Math.sqrt(d[x]);
  }
  return out;
}

/**
 * For foreground pixels: distance to the nearest background pixel, counting the space beyond the image border as
 * background (so the deepest point of a mask cut by the border is not on the border). 0 on background.
 */
export function insideDistance(mask: Mask): Float32Array {
  const { width: w, height: h } = mask;
  const pw = w + 2;
  const padded = distanceTo(pw, h + 2, (i) => {
    const x = (i % pw) - 1;
    const y = Math.floor(i / pw) - 1;
    return x < 0 || y < 0 || x >= w || y >= h || mask.data[y * w + x] === 0;
  });
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = padded[(y + 1) * pw + x + 1];
  return out;
}

/** For background pixels: distance to the nearest foreground pixel (0 on foreground; huge if there is none). */
export const outsideDistance = (mask: Mask): Float32Array => distanceTo(mask.width, mask.height, (i) => mask.data[i] !== 0);

/** Grow by `r` pixels (Euclidean). */
export function dilate(mask: Mask, r: number): Mask {
  const d = outsideDistance(mask);
  return { width: mask.width, height: mask.height, data: Uint8Array.from(d, (v) => (v <= r ? 1 : 0)) };
}

/** Shrink by `r` pixels (Euclidean); pixels within r of the background (or the image border) go. */
export function erode(mask: Mask, r: number): Mask {
  const d = insideDistance(mask);
  return { width: mask.width, height: mask.height, data: Uint8Array.from(d, (v) => (v > r ? 1 : 0)) };
}
