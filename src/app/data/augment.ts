// Training augmentation that makes a template and a query look like two patients: each side gets its own random
// spatial warp (affine + smooth elastic field) and its own intensity change (contrast/gamma, bias field, noise), so
// that copying the template's mask onto the query is no longer the answer the loss rewards.
//
// One warp moves the image and its mask together: both are sampled at the same source coordinates (bilinear; the
// mask's sample is kept where ≥ 1/2), so they stay aligned pixel for pixel. Intensity changes touch the image only.
// Every random number comes from the given rng, in a fixed order: the same rng state gives the same result.
//
// Ranges (defaults, for brain MRI slices at 64²–256²), each drawn uniformly:
//   rotation ±15°, isotropic scale ×0.85–1.15, anisotropy ×0.93–1.07, shear ±0.08, translation ±6 % of the side;
//   elastic: a 5×5 grid of Gaussian displacements (σ = 2.5 % of the side) interpolated smoothly (cosine ramps),
//   i.e. gentle deformations of a few pixels, as between two brains, never tearing;
//   gamma 0.7–1.5, contrast ×0.8–1.2 around the mean, brightness ±0.08;
//   bias field exp(a·(a smooth quadratic in x, y)) with |log gain| ≤ 0.3 at the corners;
//   Gaussian noise σ 0–0.04 (images are min–max normalised to [0, 1] before this).
// Browser-safe.

/** Uniform [0, 1) source (a DataRng's next, mulberry32). */
export type Rng = () => number;

export interface AugmentOptions {
  readonly rotateDeg: number;
  readonly scale: readonly [number, number];
  readonly anisotropy: readonly [number, number];
  readonly shear: number;
  /** Translation as a fraction of the side. */
  readonly translate: number;
  /** Elastic displacement: std of the control-point offsets as a fraction of the side (0: none). */
  readonly elastic: number;
  /** Control points per side of the elastic grid. */
  readonly elasticGrid: number;
  readonly gamma: readonly [number, number];
  readonly contrast: readonly [number, number];
  readonly brightness: number;
  /** Largest |log gain| of the bias field (0: none). */
  readonly bias: number;
  /** Largest noise std. */
  readonly noise: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  rotateDeg: 15,
  scale: [0.85, 1.15],
  anisotropy: [0.93, 1.07],
  shear: 0.08,
  translate: 0.06,
  elastic: 0.025,
  elasticGrid: 5,
  gamma: [0.7, 1.5],
  contrast: [0.8, 1.2],
  brightness: 0.08,
  bias: 0.3,
  noise: 0.04,
};

/**
 * The options with the spatial warp scaled by f (rotation, scale, anisotropy, shear, translation and elastic ranges
 * times f; 0: no warp), the intensity changes as they are. Template and query then differ less (or more) in geometry.
 */
export function scaleWarp(o: AugmentOptions, f: number): AugmentOptions {
  if (!(f >= 0)) throw new RangeError(`scaleWarp: the factor must be ≥ 0, got ${f}`);
  const around1 = ([lo, hi]: readonly [number, number]): [number, number] => [1 - (1 - lo) * f, 1 + (hi - 1) * f];
  return {
    ...o,
    rotateDeg: o.rotateDeg * f,
    scale: around1(o.scale),
    anisotropy: around1(o.anisotropy),
    shear: o.shear * f,
    translate: o.translate * f,
    elastic: o.elastic * f,
  };
}

/** No change at all (for tests and for switching parts off). */
export const NO_AUGMENT: AugmentOptions = {
  rotateDeg: 0,
  scale: [1, 1],
  anisotropy: [1, 1],
  shear: 0,
  translate: 0,
  elastic: 0,
  elasticGrid: 5,
  gamma: [1, 1],
  contrast: [1, 1],
  brightness: 0,
  bias: 0,
  noise: 0,
};

export interface Augmented {
  /** The S×S image plane. */
  readonly plane: Float32Array;
  /** The S×S mask in {0, 1}. */
  readonly mask: Uint8Array;
}

const between = (rng: Rng, [lo, hi]: readonly [number, number]): number => lo + (hi - lo) * rng();
const symmetric = (rng: Rng, r: number): number => (2 * rng() - 1) * r;
const normal = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

/** A smooth field from a g×g grid of values, interpolated with a cosine ramp (C¹) to S×S. */
function smoothField(values: Float32Array, g: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const ramp = (t: number) => (1 - Math.cos(Math.PI * t)) / 2;
  for (let y = 0; y < size; y++) {
    const gy = ((y + 0.5) / size) * (g - 1);
    const y0 = Math.min(g - 2, Math.floor(gy));
    const ty = ramp(gy - y0);
    for (let x = 0; x < size; x++) {
      const gx = ((x + 0.5) / size) * (g - 1);
      const x0 = Math.min(g - 2, Math.floor(gx));
      const tx = ramp(gx - x0);
      const a = values[y0 * g + x0] * (1 - tx) + values[y0 * g + x0 + 1] * tx;
      const b = values[(y0 + 1) * g + x0] * (1 - tx) + values[(y0 + 1) * g + x0 + 1] * tx;
      out[y * size + x] = a * (1 - ty) + b * ty;
    }
  }
  return out;
}

/** Bilinear sample of a plane at (x, y) in pixel-centre coordinates; 0 outside. */
function sample(src: Float32Array | Uint8Array, size: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (u: number, v: number) => (u < 0 || v < 0 || u >= size || v >= size ? 0 : src[v * size + u]);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/**
 * Source coordinates for every output pixel: the inverse of a random affine about the centre, plus a smooth elastic
 * field. (x, y) pairs, interleaved. Null when the options ask for no spatial change.
 */
function randomWarp(size: number, o: AugmentOptions, rng: Rng): Float32Array | null {
  const angle = (symmetric(rng, o.rotateDeg) * Math.PI) / 180;
  const s = between(rng, o.scale);
  const an = between(rng, o.anisotropy);
  const shear = symmetric(rng, o.shear);
  const tx = symmetric(rng, o.translate) * size;
  const ty = symmetric(rng, o.translate) * size;
  const g = Math.max(2, o.elasticGrid);
  const dx = new Float32Array(g * g);
  const dy = new Float32Array(g * g);
  if (o.elastic > 0) for (let i = 0; i < g * g; i++) [dx[i], dy[i]] = [normal(rng) * o.elastic * size, normal(rng) * o.elastic * size];
  const identity = angle === 0 && s === 1 && an === 1 && shear === 0 && tx === 0 && ty === 0 && o.elastic <= 0;
  if (identity) return null;
  // Forward map: p' = R · Shear · diag(s·an, s/an) · (p − c) + c + t; we need its inverse for sampling.
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const [sx, sy] = [s * an, s / an];
  // M = R · [[1, shear], [0, 1]] · diag(sx, sy)
  const m00 = cos * sx;
  const m01 = (cos * shear - sin) * sy;
  const m10 = sin * sx;
  const m11 = (sin * shear + cos) * sy;
  const det = m00 * m11 - m01 * m10;
  const [i00, i01, i10, i11] = [m11 / det, -m01 / det, -m10 / det, m00 / det];
  const c = (size - 1) / 2;
  const ex = o.elastic > 0 ? smoothField(dx, g, size) : null;
  const ey = o.elastic > 0 ? smoothField(dy, g, size) : null;
  const out = new Float32Array(2 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const px = x - c - tx + (ex ? ex[i] : 0);
      const py = y - c - ty + (ey ? ey[i] : 0);
      out[2 * i] = i00 * px + i01 * py + c;
      out[2 * i + 1] = i10 * px + i11 * py + c;
    }
  return out;
}

/** Warp a plane and its mask with one random warp (the same source coordinates for both). */
export function warpPair(plane: Float32Array, mask: Uint8Array, size: number, o: AugmentOptions, rng: Rng): Augmented {
  const warp = randomWarp(size, o, rng);
  if (!warp) return { plane: plane.slice(), mask: mask.slice() };
  const p = new Float32Array(size * size);
  const m = new Uint8Array(size * size);
  for (let i = 0; i < size * size; i++) {
    const [x, y] = [warp[2 * i], warp[2 * i + 1]];
    p[i] = sample(plane, size, x, y);
    m[i] = sample(mask, size, x, y) >= 0.5 ? 1 : 0;
  }
  return { plane: p, mask: m };
}

/** Contrast/gamma, bias field and noise on an image plane in [0, 1] (in place on a copy). */
export function changeIntensity(plane: Float32Array, size: number, o: AugmentOptions, rng: Rng): Float32Array {
  const gamma = between(rng, o.gamma);
  const contrast = between(rng, o.contrast);
  const brightness = symmetric(rng, o.brightness);
  // Bias: log gain = a quadratic a·x + b·y + c·x² + d·y² + e·xy over [−1, 1]², scaled so its corner values stay within ±bias.
  const coef = Array.from({ length: 5 }, () => symmetric(rng, 1));
  const noiseStd = rng() * o.noise;
  const out = Float32Array.from(plane, (v) => Math.pow(Math.min(1, Math.max(0, v)), gamma));
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length || 1;
  const norm = coef.reduce((a, c) => a + Math.abs(c), 0) || 1;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const u = (2 * (x + 0.5)) / size - 1;
      const v = (2 * (y + 0.5)) / size - 1;
      const logGain = o.bias > 0 ? (o.bias * (coef[0] * u + coef[1] * v + coef[2] * u * u + coef[3] * v * v + coef[4] * u * v)) / norm : 0;
      out[i] = ((out[i] - mean) * contrast + mean + brightness) * Math.exp(logGain);
    }
  if (noiseStd > 0) for (let i = 0; i < out.length; i++) out[i] += normal(rng) * noiseStd;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return out;
}

/** One side (template or query) of a training pair: its own warp, then its own intensity change. */
export function augmentPair(plane: Float32Array, mask: Uint8Array, size: number, rng: Rng, o: AugmentOptions = DEFAULT_AUGMENT): Augmented {
  if (plane.length !== size * size || mask.length !== size * size)
    throw new RangeError(`augmentPair: plane and mask must be ${size}×${size}, got ${plane.length} and ${mask.length} values`);
  const warped = warpPair(plane, mask, size, o, rng);
  return { plane: changeIntensity(warped.plane, size, o, rng), mask: warped.mask };
}
