// The random draws and textures shared by the synthetic scenes (synth-render.ts, synth-head.ts). Browser-safe.
import { resizePlaneBilinear } from './resize.js';

export type Rng = () => number;
export const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
export const choose = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))];
/** A standard normal draw (Box–Muller). */
export const gauss = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

export type Texture = 'flat' | 'smooth' | 'stripes' | 'speckle';
export const TEXTURES: readonly Texture[] = ['flat', 'smooth', 'stripes', 'speckle'];

/** A size×size additive texture of the given kind and amplitude. */
export function textureField(kind: Texture, size: number, amplitude: number, rng: Rng): Float32Array {
  const out = new Float32Array(size * size);
  if (kind === 'flat') return out;
  if (kind === 'smooth') {
    const g = 6;
    const coarse = Float32Array.from({ length: g * g }, () => between(rng, -1, 1) * amplitude);
    return resizePlaneBilinear(coarse, g, g, size, size);
  }
  if (kind === 'stripes') {
    const freq = between(rng, 3, 9) / size;
    const angle = between(rng, 0, Math.PI);
    const phase = between(rng, 0, 2 * Math.PI);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) out[y * size + x] = amplitude * Math.sin(2 * Math.PI * freq * (x * Math.cos(angle) + y * Math.sin(angle)) + phase);
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = amplitude * gauss(rng);
  return out;
}
