// Synthetic head scenes: the layered anatomy of an axial head slice (CT/MR), in the spirit of domain-randomised
// training data such as SynthSeg's. Background, then a head outline made of a scalp ring, a skull ring and an inner
// space; inside it a brain with folded texture, a pair of ventricles near the middle and sometimes two eyes in
// front. Each task asks for one structure (brain, ventricles, whole head or scalp) with its own intensity style;
// images of a task vary in size, position, pose and in how much of the inner space the brain fills (the slice
// level). Why: the shape scenes hold only compact structures, and a model trained on them alone segments small
// bright things in an MR slice instead of the brain that fills it (docs/architecture.md). Browser-safe.
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { greyImage } from './image.js';
import { boxBlur } from './box-blur.js';
import { between, choose, gauss, textureField, TEXTURES, type Rng, type Texture } from './synth-fields.js';
import type { SynthSample } from './synth-render.js';

export const HEAD_TARGETS = ['brain', 'ventricles', 'head', 'scalp'] as const;
export type HeadTarget = (typeof HEAD_TARGETS)[number];

/** Intensities (0..1) of the layers, fixed per task. */
export interface HeadLevels {
  readonly background: number;
  readonly scalp: number;
  readonly skull: number;
  /** Tissue between skull and brain (muscle, sinuses, fluid). */
  readonly inner: number;
  readonly brain: number;
  readonly ventricles: number;
  readonly eyes: number;
}

export interface HeadSpec {
  readonly target: HeadTarget;
  /** Head semi-axes (fractions of the image) and per-image relative jitter. */
  readonly a: number;
  readonly b: number;
  readonly sizeJitter: number;
  /** Scalp and skull thickness as fractions of the head radius. */
  readonly scalp: number;
  readonly skull: number;
  /** How much of the inner space the brain fills (per image, uniform in this range): the slice level. */
  readonly brainFill: readonly [number, number];
  /** Brain outline harmonics (2..5): amplitude, phase; jittered per image. */
  readonly wobble: readonly number[];
  /** Mean orientation (radians) and its jitter; `flip` puts the eyes at the bottom. */
  readonly rotation: number;
  readonly rotationJitter: number;
  readonly flip: boolean;
  readonly hasVentricles: boolean;
  readonly hasEyes: boolean;
  readonly levels: HeadLevels;
  readonly brainTexture: Texture;
  readonly textureAmplitude: number;
  readonly noise: number;
  /** Box-blur radius in pixels at 64², scaled with the image. */
  readonly blur: number;
  /** Smooth multiplicative bias field amplitude (MR shading). */
  readonly bias: number;
}

export interface HeadTaskSpec {
  readonly scene: 'head';
  readonly name: string;
  readonly index: number;
  readonly heldOut: boolean;
  readonly head: HeadSpec;
  /** Seeds the rendering: tasks that share a scene share it (and so their images); default the task's name. */
  readonly renderKey?: string;
}

/** A level at least `gap` from every level in `others`, tried a few times (the last draw is kept otherwise). */
function distinctLevel(rng: Rng, lo: number, hi: number, others: readonly number[], gap: number): number {
  let v = between(rng, lo, hi);
  for (let k = 0; k < 16 && others.some((o) => Math.abs(o - v) < gap); k++) v = between(rng, lo, hi);
  return v;
}

function headLevels(rng: Rng): HeadLevels {
  const background = between(rng, 0, 0.15);
  // MR-like (bright scalp, dark skull) or CT-like (bright skull) layering.
  const ctLike = rng() < 0.3;
  const scalp = ctLike ? between(rng, 0.3, 0.55) : between(rng, 0.6, 1);
  const skull = ctLike ? between(rng, 0.85, 1) : between(rng, 0.02, 0.3);
  const brain = distinctLevel(rng, 0.3, 0.7, [skull, background], 0.15);
  const inner = distinctLevel(rng, 0.05, 0.8, [brain], 0.15);
  const ventricles = rng() < 0.7 ? distinctLevel(rng, 0.02, 0.22, [brain], 0.15) : distinctLevel(rng, 0.75, 1, [brain], 0.15);
  const eyes = between(rng, 0, 1);
  return { background, scalp, skull, inner, brain, ventricles, eyes };
}

function headSpec(rng: Rng, target: HeadTarget): HeadSpec {
  const fillLo = between(rng, 0.45, 0.8);
  return {
    target,
    // Wide ranges: a slice resized to the model's square input is stretched one way or the other.
    a: between(rng, 0.33, 0.47),
    b: between(rng, 0.3, 0.49),
    sizeJitter: between(rng, 0.03, 0.1),
    scalp: between(rng, 0.04, 0.12),
    skull: between(rng, 0.03, 0.1),
    brainFill: [fillLo, Math.min(0.97, fillLo + between(rng, 0.1, 0.35))],
    wobble: [2, 3, 4, 5].flatMap((k) => [between(rng, 0, 0.12 / (k - 1)), between(rng, 0, 2 * Math.PI)]),
    rotation: between(rng, -0.3, 0.3),
    rotationJitter: between(rng, 0.02, 0.15),
    flip: rng() < 0.3,
    hasVentricles: target === 'ventricles' || rng() < 0.7,
    hasEyes: rng() < 0.5,
    levels: headLevels(rng),
    brainTexture: choose(rng, TEXTURES),
    textureAmplitude: between(rng, 0.02, 0.12),
    noise: between(rng, 0.01, 0.06),
    blur: choose(rng, [0, 0.5, 1, 1.5]),
    bias: between(rng, 0, 0.25),
  };
}

const TARGET_CYCLE: readonly HeadTarget[] = ['brain', 'ventricles', 'brain', 'head', 'brain', 'scalp'];

export interface HeadTaskOptions {
  readonly tasks: number;
  readonly seed: number;
  /** Index (and name number) of the first task. */
  readonly firstIndex?: number;
  /** Share of held-out scenes, the last ones (default 0.25; at least one scene of two or more). */
  readonly heldOutFraction?: number;
  /**
   * Structures asked for per scene (1–4, default 1). With N > 1, N consecutive tasks share one scene — the same
   * images, pixel for pixel — and ask for brain, ventricles, head, scalp in that order: the template image then
   * cannot tell which structure is wanted, only the prompt can, so training on them makes the model use it.
   */
  readonly targetsPerScene?: number;
}

/** Head-scene tasks numbered from `firstIndex`; the last scenes (all their tasks) are held out. */
export function headTaskSpecs(opts: HeadTaskOptions): HeadTaskSpec[] {
  const n = opts.tasks;
  const first = opts.firstIndex ?? 0;
  const perScene = opts.targetsPerScene ?? 1;
  if (!Number.isInteger(perScene) || perScene < 1 || perScene > HEAD_TARGETS.length)
    throw new RangeError(`headTaskSpecs: targetsPerScene must be 1..${HEAD_TARGETS.length}, got ${perScene}`);
  const scenes = Math.ceil(n / perScene);
  const heldOut = scenes >= 2 ? Math.max(1, Math.round(scenes * (opts.heldOutFraction ?? 0.25))) : 0;
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    const scene = Math.floor(k / perScene);
    const heldOutTask = scene >= scenes - heldOut;
    if (perScene === 1) {
      const rng = mulberry32(hashSeed(opts.seed, `head/${i}`));
      // Every other task asks for the brain (what is most often wanted); the rest take turns with the other structures.
      const target: HeadTarget = TARGET_CYCLE[k % TARGET_CYCLE.length];
      return { scene: 'head' as const, name: `task-${String(i).padStart(3, '0')}-head-${target}`, index: i, heldOut: heldOutTask, head: headSpec(rng, target) };
    }
    // Siblings draw the scene from one seed; asking for the ventricles (second) makes every scene have them.
    const sceneFirst = first + scene * perScene;
    const target = HEAD_TARGETS[k % perScene];
    const head = { ...headSpec(mulberry32(hashSeed(opts.seed, `head/${sceneFirst}`)), 'ventricles'), target };
    return {
      scene: 'head' as const,
      name: `task-${String(i).padStart(3, '0')}-head-${target}`,
      index: i,
      heldOut: heldOutTask,
      head,
      renderKey: `head-scene-${sceneFirst}`,
    };
  });
}

/** Image `index` of a head task at size×size. Values in [0, 1]. */
export function renderHeadSample(task: HeadTaskSpec, index: number, size: number, seed: number): SynthSample {
  const h = task.head;
  const L = h.levels;
  const rng = mulberry32(hashSeed(seed, `${task.renderKey ?? task.name}/${index}`));
  const scale = 1 + h.sizeJitter * gauss(rng) * 0.5;
  const a = h.a * scale * size;
  const b = h.b * scale * size;
  const cx = (0.5 + between(rng, -0.04, 0.04)) * size;
  const cy = (0.5 + between(rng, -0.04, 0.04)) * size;
  const theta = h.rotation + h.rotationJitter * gauss(rng);
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const front = h.flip ? 1 : -1; // the eyes' side along v (image up when not flipped)
  // Head-normalised coordinates: the head outline is u² + v² = 1.
  const local = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [(dx * cos + dy * sin) / a, (-dx * sin + dy * cos) / b];
  };
  const innerR = 1 - h.scalp - h.skull;
  const fill = between(rng, h.brainFill[0], h.brainFill[1]);
  const brainR = innerR * fill;
  // A smaller brain (a lower slice) sits towards the back of the inner space.
  const brainV = -front * (innerR - brainR) * between(rng, 0.3, 0.8);
  const wob = h.wobble.map((v) => v * (1 + 0.15 * gauss(rng)));
  const inBrain = (u: number, v: number): boolean => {
    const du = u / brainR;
    const dv = (v - brainV) / brainR;
    const phi = Math.atan2(dv, du);
    let edge = 1;
    for (let k = 0; k < 4; k++) edge += wob[2 * k] * Math.cos((k + 2) * phi + wob[2 * k + 1]);
    return du * du + dv * dv <= edge * edge;
  };
  // Two ventricles: ellipses mirrored about the midline, tilted towards it at the front.
  const vr = brainR * between(rng, 0.2, 0.32);
  const vOff = vr * 0.4 + brainR * between(rng, 0.04, 0.12);
  const [tc, ts] = [Math.cos(between(rng, 0.1, 0.5)), Math.sin(between(rng, 0.1, 0.5))];
  const inVentricle = (u: number, v: number): boolean => {
    if (!h.hasVentricles) return false;
    const du = Math.abs(u) - vOff;
    const dv = (v - brainV) * front;
    const p = du * tc + dv * ts;
    const q = -du * ts + dv * tc;
    return (p / (vr * 0.4)) ** 2 + (q / vr) ** 2 <= 1;
  };
  const eyeR = between(rng, 0.1, 0.16);
  const eyeU = between(rng, 0.3, 0.45);
  const eyeV = front * innerR * between(rng, 0.7, 0.85);
  const inEye = (u: number, v: number): boolean => h.hasEyes && (Math.hypot(u - eyeU, v - eyeV) <= eyeR || Math.hypot(u + eyeU, v - eyeV) <= eyeR);

  const n = size * size;
  const img = new Float32Array(n);
  const mask = new Uint8Array(n);
  const brainTex = textureField(h.brainTexture, size, h.textureAmplitude, rng);
  const innerTex = textureField('smooth', size, h.textureAmplitude, rng);
  const biasField = textureField('smooth', size, h.bias, rng);
  const jitter = () => between(rng, -0.04, 0.04);
  const lv = {
    scalp: L.scalp + jitter(),
    skull: L.skull + jitter(),
    inner: L.inner + jitter(),
    brain: L.brain + jitter(),
    ventricles: L.ventricles + jitter(),
    eyes: L.eyes + jitter(),
  };
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const [u, v] = local(x + 0.5, y + 0.5);
      const rho = Math.hypot(u, v);
      let value = L.background;
      let part: HeadTarget | 'skull' | 'inner' | 'eye' | 'outside' = 'outside';
      if (rho <= 1) {
        if (rho > 1 - h.scalp) [value, part] = [lv.scalp, 'scalp'];
        else if (rho > innerR) [value, part] = [lv.skull, 'skull'];
        else if (inEye(u, v)) [value, part] = [lv.eyes, 'eye'];
        else if (inVentricle(u, v) && inBrain(u, v)) [value, part] = [lv.ventricles, 'ventricles'];
        else if (inBrain(u, v)) [value, part] = [lv.brain + brainTex[i], 'brain'];
        else [value, part] = [lv.inner + innerTex[i], 'inner'];
      }
      img[i] = value * (1 + biasField[i]);
      const hit = h.target === 'head' ? rho <= 1 : h.target === 'brain' ? part === 'brain' || part === 'ventricles' : part === h.target;
      mask[i] = hit ? 1 : 0;
    }
  const blurred = boxBlur(img, size, size, (h.blur * size) / 64);
  for (let i = 0; i < n; i++) blurred[i] = Math.min(1, Math.max(0, blurred[i] + h.noise * gauss(rng)));
  return { image: greyImage(size, size, blurred), mask: { width: size, height: size, data: mask } };
}
