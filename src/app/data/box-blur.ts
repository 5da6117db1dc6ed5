// Separable box blur: each pixel the mean of its (2r+1)×(2r+1) window, clipped at the borders. One routine softens
// the synthetic images (synth-render.ts, synth-head.ts), simulated SegLab masks (simulate.ts) and region growing's
// input (src/app/eval/region-grow.ts). Browser-safe.

/** The blurred width×height plane (a new array); the radius is rounded, and 0 gives a copy. */
export function boxBlur(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  const rad = Math.max(0, Math.round(radius));
  if (rad === 0) return src.slice();
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let acc = 0;
      let n = 0;
      for (let k = Math.max(0, x - rad); k <= Math.min(width - 1, x + rad); k++, n++) acc += src[y * width + k];
      tmp[y * width + x] = acc / n;
    }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let acc = 0;
      let n = 0;
      for (let k = Math.max(0, y - rad); k <= Math.min(height - 1, y + rad); k++, n++) acc += tmp[k * width + x];
      out[y * width + x] = acc / n;
    }
  return out;
}
