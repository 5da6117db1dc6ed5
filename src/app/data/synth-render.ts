// Synthetic multi-task segmentation data: each task is one "anatomy" (a target structure class with its own shape
// parameters, placement, intensity style, texture, noise and distractor structures); images of a task differ by
// per-image variation. Tasks split into training and held-out ones. Deterministic in the seed: the same
// (seed, task, image) always gives the same pixels. Rendering only (browser-safe); synth.ts writes datasets.
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { greyImage, type GreyImage, type Mask } from './image.js';
import { boxBlur } from './box-blur.js';
import { between, choose, gauss, textureField, type Rng, type Texture } from './synth-fields.js';
import { renderHeadSample, type HeadTaskSpec } from './synth-head.js';

export type { Texture } from './synth-fields.js';
export * from './synth-head.js';

/** One task's recipe: a shape scene or a head scene. */
export type TaskSpec = ShapesTaskSpec | HeadTaskSpec;

export const SHAPE_KINDS = ['ellipse', 'blob', 'lobed', 'ring', 'crescent', 'superellipse', 'bean', 'vessel', 'spots'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** A structure class with the parameters that make it one task's "anatomy". Sizes are fractions of the image. */
export interface ShapeSpec {
  readonly kind: ShapeKind;
  /** Mean radius (fraction of the image size) and its per-image relative jitter. */
  readonly radius: number;
  readonly radiusJitter: number;
  /** Minor/major axis ratio. */
  readonly aspect: number;
  /** Fixed orientation (radians) ± jitter, or any orientation. */
  readonly rotation: number | 'any';
  readonly rotationJitter: number;
  /** Mean centre (fractions) and per-image jitter (fraction of the image). */
  readonly cx: number;
  readonly cy: number;
  readonly positionJitter: number;
  /** Class-specific shape numbers (harmonics, lobes, thickness...), fixed per task, jittered per image. */
  readonly params: readonly number[];
}

export interface Style {
  readonly background: number;
  readonly backgroundTexture: Texture;
  readonly textureAmplitude: number;
  /** Linear intensity ramp across the image (amplitude, angle). */
  readonly gradient: readonly [number, number];
  /** A large body outline (as in CT/MR) with its own intensity, or none. */
  readonly body: number | null;
  readonly target: number;
  readonly targetTexture: Texture;
  /** Distractor intensities: near the target's (hard) or anywhere. */
  readonly distractor: number;
  readonly noise: number;
  /** Edge softness (box blur radius in pixels at 64², scaled with the image). */
  readonly blur: number;
}

/** A task of the shape scenes: one target class among distractors (the head scenes are in synth-head.ts). */
export interface ShapesTaskSpec {
  readonly scene: 'shapes';
  readonly name: string;
  readonly index: number;
  readonly heldOut: boolean;
  readonly target: ShapeSpec;
  readonly distractors: readonly ShapeSpec[];
  /** Distractors per image: min..max. */
  readonly distractorCount: readonly [number, number];
  readonly style: Style;
}

function shapeParams(kind: ShapeKind, rng: Rng): number[] {
  switch (kind) {
    case 'blob':
      // Harmonics 2..5: amplitude, phase.
      return [2, 3, 4, 5].flatMap((k) => [between(rng, 0, 0.25 / (k - 1)), between(rng, 0, 2 * Math.PI)]);
    case 'lobed':
      return [Math.floor(between(rng, 3, 7)), between(rng, 0.2, 0.4), between(rng, 0, 2 * Math.PI)];
    case 'ring':
      return [between(rng, 0.45, 0.75)]; // inner radius ratio
    case 'crescent':
      return [between(rng, 0.35, 0.6), between(rng, 0.7, 0.95)]; // offset, bite radius
    case 'superellipse':
      return [between(rng, 3, 8)]; // exponent
    case 'bean':
      return [between(rng, 0.35, 0.6), between(rng, 0.8, 1.1)]; // notch radius, notch distance
    case 'vessel':
      return [between(rng, 0.1, 0.5), between(rng, 1, 4), between(rng, 0, 2 * Math.PI), between(rng, 0.07, 0.16)]; // amplitude, frequency, phase, half-width
    case 'spots':
      return [Math.floor(between(rng, 3, 7)), between(rng, 0.18, 0.3)]; // count, spot radius
    default:
      return [];
  }
}

function shapeSpec(kind: ShapeKind, rng: Rng, asTarget: boolean): ShapeSpec {
  const big = kind === 'vessel' || kind === 'spots' || kind === 'ring';
  return {
    kind,
    radius: asTarget ? between(rng, big ? 0.2 : 0.1, big ? 0.32 : 0.24) : between(rng, 0.06, 0.16),
    radiusJitter: between(rng, 0.05, 0.2),
    aspect: kind === 'vessel' ? 1 : between(rng, 0.45, 1),
    rotation: rng() < 0.5 ? 'any' : between(rng, 0, Math.PI),
    rotationJitter: between(rng, 0.05, 0.4),
    cx: asTarget ? between(rng, 0.3, 0.7) : between(rng, 0.15, 0.85),
    cy: asTarget ? between(rng, 0.3, 0.7) : between(rng, 0.15, 0.85),
    positionJitter: asTarget ? between(rng, 0.08, 0.2) : 0.3,
    params: shapeParams(kind, rng),
  };
}

/** `v` moved at least `gap` away from `ref`, staying in [0, 1] (switching sides when one side has no room). */
function awayFrom(wanted: number, ref: number, gap: number): number {
  const v = Math.min(1, Math.max(0, wanted));
  if (Math.abs(v - ref) >= gap) return v;
  const up = ref + gap;
  const down = ref - gap;
  if (v >= ref) return up <= 1 ? up : down;
  return down >= 0 ? down : up;
}

function styleSpec(rng: Rng): Style {
  const background = between(rng, 0.05, 0.6);
  const bright = rng() < 0.6;
  const contrast = between(rng, 0.2, 0.5);
  // Visible against the background whichever way it goes.
  const target = awayFrom(background + (bright ? contrast : -contrast), background, 0.2);
  const textures: Texture[] = ['flat', 'smooth', 'stripes', 'speckle'];
  const body = rng() < 0.5 ? awayFrom(background + between(rng, -0.2, 0.3), target, 0.15) : null;
  return {
    background,
    backgroundTexture: choose(rng, textures),
    textureAmplitude: between(rng, 0.02, 0.1),
    gradient: [between(rng, 0, 0.25), between(rng, 0, 2 * Math.PI)],
    body,
    target,
    targetTexture: choose(rng, textures),
    // Half of the tasks have distractors about as bright as the target: intensity alone cannot tell them apart.
    distractor: rng() < 0.5 ? Math.min(1, Math.max(0, target + between(rng, -0.08, 0.08))) : between(rng, 0, 1),
    noise: between(rng, 0.01, 0.08),
    blur: choose(rng, [0, 0.5, 1, 1.5]),
  };
}

export interface SynthOptions {
  readonly tasks: number;
  readonly seed: number;
  /** Fraction of tasks held out (default 0.25, at least one when there are two or more tasks). */
  readonly heldOutFraction?: number;
}

/** The task recipes. The last tasks are the held-out ones; every shape class appears among the training tasks first. */
export function taskSpecs(opts: SynthOptions): ShapesTaskSpec[] {
  const n = opts.tasks;
  const heldOut = n >= 2 ? Math.max(1, Math.round(n * (opts.heldOutFraction ?? 0.25))) : 0;
  return Array.from({ length: n }, (_, i) => {
    const rng = mulberry32(hashSeed(opts.seed, `task/${i}`));
    // Cycle through the classes so small task counts still cover many of them.
    const kind = SHAPE_KINDS[(i + Math.floor(rng() * SHAPE_KINDS.length)) % SHAPE_KINDS.length];
    const others = SHAPE_KINDS.filter((k) => k !== kind);
    const distractorKinds = Array.from({ length: 1 + Math.floor(rng() * 2) }, () => choose(rng, others));
    const maxD = Math.floor(between(rng, 0, 4));
    return {
      scene: 'shapes' as const,
      name: `task-${String(i).padStart(3, '0')}-${kind}`,
      index: i,
      heldOut: i >= n - heldOut,
      target: shapeSpec(kind, rng, true),
      distractors: distractorKinds.map((k) => shapeSpec(k, rng, false)),
      distractorCount: [Math.min(1, maxD), maxD] as const,
      style: styleSpec(rng),
    };
  });
}

// ---------- rendering ----------

type Inside = (x: number, y: number) => boolean;

/** One instance of a shape in an image: per-image jitter of its task's spec, as an inside-test in pixels. */
function instance(spec: ShapeSpec, size: number, rng: Rng): Inside {
  const r = spec.radius * size * (1 + spec.radiusJitter * gauss(rng) * 0.5);
  const cx = (spec.cx + spec.positionJitter * between(rng, -1, 1)) * size;
  const cy = (spec.cy + spec.positionJitter * between(rng, -1, 1)) * size;
  const theta = spec.rotation === 'any' ? between(rng, 0, 2 * Math.PI) : spec.rotation + spec.rotationJitter * gauss(rng);
  const aspect = spec.aspect * (1 + 0.05 * gauss(rng));
  const p = spec.params.map((v) => v * (1 + 0.08 * gauss(rng)));
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const local = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [(dx * cos + dy * sin) / r, (-dx * sin + dy * cos) / (r * aspect)];
  };
  const polar = (u: number, v: number) => [Math.hypot(u, v), Math.atan2(v, u)] as const;
  switch (spec.kind) {
    case 'ellipse':
      return (x, y) => {
        const [u, v] = local(x, y);
        return u * u + v * v <= 1;
      };
    case 'blob':
      return (x, y) => {
        const [rho, phi] = polar(...local(x, y));
        let edge = 1;
        for (let k = 0; k < 4; k++) edge += p[2 * k] * Math.cos((k + 2) * phi + p[2 * k + 1]);
        return rho <= edge;
      };
    case 'lobed':
      return (x, y) => {
        const [rho, phi] = polar(...local(x, y));
        return rho <= 0.75 + p[1] * Math.cos(Math.round(spec.params[0]) * phi + p[2]);
      };
    case 'ring':
      return (x, y) => {
        const [rho] = polar(...local(x, y));
        return rho <= 1 && rho >= Math.min(0.85, p[0]);
      };
    case 'crescent':
      return (x, y) => {
        const [u, v] = local(x, y);
        return u * u + v * v <= 1 && Math.hypot(u - p[0], v) > p[1];
      };
    case 'superellipse':
      return (x, y) => {
        const [u, v] = local(x, y);
        return Math.abs(u) ** p[0] + Math.abs(v) ** p[0] <= 1;
      };
    case 'bean':
      return (x, y) => {
        const [u, v] = local(x, y);
        return u * u + v * v <= 1 && Math.hypot(u, v - p[1]) > p[0];
      };
    case 'vessel': {
      // A wavy tube across the unit square: v = A sin(ω u + φ), u in [−1, 1], half-width w.
      const pts: [number, number][] = [];
      for (let k = 0; k <= 48; k++) {
        const u = -1 + (2 * k) / 48;
        pts.push([u, p[0] * Math.sin(p[1] * u * Math.PI + p[2])]);
      }
      const w = Math.max(p[3], 0.6 / r); // at least ~1.2 px wide
      return (x, y) => {
        const [u, v] = local(x, y);
        if (u < -1 - w || u > 1 + w) return false;
        for (let k = 1; k < pts.length; k++) {
          const [ax, ay] = pts[k - 1];
          const [bx, by] = pts[k];
          const ex = bx - ax;
          const ey = by - ay;
          const t = Math.max(0, Math.min(1, ((u - ax) * ex + (v - ay) * ey) / (ex * ex + ey * ey)));
          if (Math.hypot(u - ax - t * ex, v - ay - t * ey) <= w) return true;
        }
        return false;
      };
    }
    case 'spots': {
      const count = Math.max(2, Math.round(spec.params[0]));
      const spots = Array.from({ length: count }, () => {
        const a = between(rng, 0, 2 * Math.PI);
        const d = between(rng, 0, 0.75);
        return [d * Math.cos(a), d * Math.sin(a), Math.max(p[1] * between(rng, 0.7, 1.2), 0.8 / r)] as const;
      });
      return (x, y) => {
        const [u, v] = local(x, y);
        return spots.some(([sx, sy, sr]) => (u - sx) ** 2 + (v - sy) ** 2 <= sr * sr);
      };
    }
  }
}

export interface SynthSample {
  readonly image: GreyImage;
  readonly mask: Mask;
}

/** Image `index` of a task at size×size. Values in [0, 1]. */
export function renderSample(task: TaskSpec, index: number, size: number, seed: number): SynthSample {
  return task.scene === 'head' ? renderHeadSample(task, index, size, seed) : renderShapesSample(task, index, size, seed);
}

function renderShapesSample(task: ShapesTaskSpec, index: number, size: number, seed: number): SynthSample {
  const rng = mulberry32(hashSeed(seed, `${task.name}/${index}`));
  const st = task.style;
  const n = size * size;
  const img = new Float32Array(n);
  const tex = textureField(st.backgroundTexture, size, st.textureAmplitude, rng);
  const [ga, gt] = st.gradient;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const ramp = ga * (((x / size - 0.5) * Math.cos(gt) + (y / size - 0.5) * Math.sin(gt)) * 2);
      img[y * size + x] = st.background + ramp + tex[y * size + x];
    }
  const paint = (inside: Inside, level: number, texture: Texture): Uint8Array => {
    const t = textureField(texture, size, st.textureAmplitude, rng);
    const covered = new Uint8Array(n);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        if (inside(x + 0.5, y + 0.5)) {
          img[y * size + x] = level + t[y * size + x];
          covered[y * size + x] = 1;
        }
    return covered;
  };
  if (st.body !== null) {
    const c = size / 2 + between(rng, -0.03, 0.03) * size;
    const a = between(rng, 0.42, 0.48) * size;
    const b = between(rng, 0.34, 0.46) * size;
    paint((x, y) => ((x - c) / a) ** 2 + ((y - c) / b) ** 2 <= 1, st.body, 'smooth');
  }
  const [dMin, dMax] = task.distractorCount;
  const count = dMin + Math.floor(rng() * (dMax - dMin + 1));
  for (let k = 0; k < count && task.distractors.length > 0; k++) {
    const spec = task.distractors[k % task.distractors.length];
    paint(instance(spec, size, rng), Math.min(1, Math.max(0, st.distractor + between(rng, -0.05, 0.05))), 'flat');
  }
  // The target goes on top, so its mask is its whole shape.
  const mask = paint(instance(task.target, size, rng), st.target + between(rng, -0.04, 0.04), st.targetTexture);
  const blurred = boxBlur(img, size, size, (st.blur * size) / 64);
  for (let i = 0; i < n; i++) blurred[i] = Math.min(1, Math.max(0, blurred[i] + st.noise * gauss(rng)));
  return { image: greyImage(size, size, blurred), mask: { width: size, height: size, data: mask } };
}
