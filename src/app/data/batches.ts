// Training batches: each sample pairs a query with a template (and its prompt) drawn at random from the same task's
// template split (paper §3.3), encoded exactly as docs/model-io.md says, plus the query's target mask (B, 1, S, S).
// A batch is a pure function of (seed, step): resuming at step n gives the batches an uninterrupted run would have.
// A caller that owns (and checkpoints) its own data RNG can pass it instead; then every draw comes from it.
// Images are read once, on first use, and kept at S×S. Node-only.
import * as E from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { dataError, DataLoadError, orThrow, type DataError } from './errors.js';
import { augmentPair, changeIntensity, scaleWarp, type AugmentOptions } from './augment.js';
import { maskArea, type Mask } from './image.js';
import type { Normalisation } from './intensity.js';
import { readImage, readMask } from './load.js';
import { imageToInput, stackBatch, type ModelInputs } from '../inference/model-inputs.js';
import { resolvePrompt } from './prompt-file.js';
import { encodePrompt } from './prompt-tensors.js';
import { PROMPT_TYPES, type Prompt, type PromptType } from './prompt.js';
import { drawFromMix, validatePromptMix, type PromptMix } from './prompt-mix.js';
import { resizeMask } from './resize.js';
import { simulatePrompt, validateQualities, type Quality } from './simulate.js';
import { pairReadOptions, templateSplit, type Dataset, type Task, type TemplateSplit } from './dataset.js';
import { formatSliceRef } from './slice-ref.js';
import { cropAround, enlarge, maskBox, validateZoom, type Crop, type ZoomTraining } from './zoom.js';
import { type ModelGeometry } from '../../../graphs/oneprompt/contract.js';

export interface BatchOptions {
  readonly dataset: Dataset;
  /** Task names to draw from (default: the split's training tasks, or all tasks without a split). */
  readonly tasks?: readonly string[];
  readonly geometry: ModelGeometry;
  readonly batchSize: number;
  readonly seed: number;
  /** Prompt types to simulate, drawn uniformly per sample (default: all four; a batch mixes them). */
  readonly promptTypes?: readonly PromptType[];
  /**
   * Prompt types drawn by weight instead (prompt-mix.ts): `{ click: 3, bbox: 1, doodle: 1, seglab: 1 }` draws clicks
   * half the time. Not with promptTypes.
   */
  readonly promptMix?: PromptMix;
  /**
   * A mix of its own for some tasks (task name → mix), e.g. boxes and masks only for the large targets that contain
   * the atlas structures, where a click or doodle could mean either. Not with promptTypes.
   */
  readonly promptMixByTask?: ReadonlyMap<string, PromptMix>;
  /** Simulated prompt qualities, drawn uniformly per sample (default: oracle, high, medium). */
  readonly qualities?: readonly Quality[];
  /** Fraction of each task's images in its template split when it has no templates.json (default 0.2). */
  readonly templateFraction?: number;
  readonly normalisation?: Normalisation;
  /**
   * Share of samples whose template is the query itself, prompted on its own mask (the paper's interactive special
   * case, x_t = x_q). Default 0. Training with some gives the prompt a direct spatial route to learn through before
   * template matching is learnt (docs/architecture.md).
   */
  readonly selfTemplateFraction?: number;
  /**
   * Template and query as two patients (src/app/data/augment.ts): each side gets its own random warp and intensity
   * change, drawn from the batch's rng; the template's prompt is simulated on its warped mask. A templates.json
   * prompt keeps its template's geometry (intensity only). Default: none.
   */
  readonly augment?: AugmentOptions;
  /**
   * With augment: each pair's spatial warp is the augment's times a factor drawn uniformly from [0, 1] (the same for
   * template and query), so pairs range from aligned (two registered scans) to fully warped. Without it every pair is
   * warped at full range, and the model seldom meets an aligned pair. Default false.
   */
  readonly warpMix?: boolean;
  /**
   * Zooming in on the prompt (src/app/data/zoom.ts): a share of the pairs (`share`, in [0, 1]) has template and query
   * cropped alike around the template's structure (centre jittered by up to 1/8 of the crop) and enlarged by a factor
   * drawn uniformly from [1, `factor`], the prompt simulated on the enlarged template. Templates from templates.json
   * are never zoomed. Default: none.
   */
  readonly zoom?: ZoomTraining;
}

export interface SampleInfo {
  readonly task: string;
  readonly query: string;
  readonly template: string;
  readonly promptType: PromptType;
  /** 'given' for a templates.json prompt. */
  readonly quality: Quality | 'given';
}

export interface TrainingBatch extends ModelInputs {
  /** (B, 1, S, S) query target masks in {0, 1}. */
  readonly target: Float32Array;
  readonly samples: readonly SampleInfo[];
}

export interface BatchProvider {
  readonly tasks: readonly string[];
  /**
   * The batch for a training step: deterministic in (seed, step), or drawn from `rng` when given (uniform [0, 1),
   * e.g. () => dataRng.next()). Throws DataLoadError on an unreadable file.
   */
  batch(step: number, rng?: () => number): TrainingBatch;
  /** Read every image and mask now, reporting the first problem (optional: batch() reads lazily). */
  preload(): E.Either<DataError, void>;
}

interface Cached {
  /** (S×S) normalised image plane. */
  readonly plane: Float32Array;
  /** The mask at S×S (nearest). */
  readonly mask: Mask;
  readonly width: number;
  readonly height: number;
}

const MAX_REDRAWS = 32;

export function createBatchProvider(opts: BatchOptions): E.Either<DataError, BatchProvider> {
  const { dataset, geometry, seed } = opts;
  const S = geometry.size;
  const names = opts.tasks ?? (dataset.split ? dataset.split.train : dataset.tasks.map((t) => t.name));
  const tasks: Task[] = [];
  for (const n of names) {
    const t = dataset.tasks.find((x) => x.name === n);
    if (!t) return E.left(dataError(dataset.root, `task ${JSON.stringify(n)} is not in the dataset`));
    tasks.push(t);
  }
  if (tasks.length === 0) return E.left(dataError(dataset.root, 'no tasks to draw training samples from'));
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    return E.left(dataError(dataset.root, `batch size must be a positive integer, got ${opts.batchSize}`));
  const types = opts.promptTypes ?? PROMPT_TYPES;
  if (opts.promptMix && opts.promptTypes) return E.left(dataError(dataset.root, 'give the prompt types or a prompt mix, not both'));
  const mix = opts.promptMix ? E.mapLeft((m: string) => dataError(dataset.root, `prompt mix: ${m}`))(validatePromptMix(opts.promptMix)) : undefined;
  if (mix && E.isLeft(mix)) return mix;
  const drawType = mix ? drawFromMix(mix.right) : undefined;
  if (opts.promptMixByTask && opts.promptTypes) return E.left(dataError(dataset.root, 'give the prompt types or per-task prompt mixes, not both'));
  const drawByTask = new Map<string, (u: number) => PromptType>();
  for (const [name, m] of opts.promptMixByTask ?? []) {
    const v = validatePromptMix(m);
    if (E.isLeft(v)) return E.left(dataError(dataset.root, `prompt mix of task ${name}: ${v.left}`));
    drawByTask.set(name, drawFromMix(v.right));
  }
  const checked = validateQualities(opts.qualities ?? ['oracle', 'high', 'medium']);
  if (E.isLeft(checked)) return E.left(dataError(dataset.root, checked.left));
  const qualities = checked.right;
  if (types.length === 0) return E.left(dataError(dataset.root, 'at least one prompt type is needed'));
  const zoom = opts.zoom && validateZoom(opts.zoom);
  if (zoom && E.isLeft(zoom)) return E.left(dataError(dataset.root, zoom.left));
  const splits = new Map<string, TemplateSplit>(tasks.map((t) => [t.name, templateSplit(t, seed, opts.templateFraction ?? 0.2)]));
  const cache = new Map<string, Cached>();
  const givenPrompts = new Map<string, Prompt>();

  const load = (task: Task, index: number): Cached => {
    const pair = task.pairs[index];
    // The slices of one volume share its file: the key is the file and the slice.
    const key = pair.slice === undefined ? pair.image : formatSliceRef(pair.image, 'axial', pair.slice);
    const hit = cache.get(key);
    if (hit) return hit;
    const img = orThrow(readImage(pair.image, pairReadOptions(pair)));
    const mask = orThrow(readMask(pair.mask, pairReadOptions(pair)));
    if (mask.width !== img.width || mask.height !== img.height) {
      throw new DataLoadError(dataError(pair.mask, `mask is ${mask.width}×${mask.height}, but its image ${pair.name} is ${img.width}×${img.height}`));
    }
    const entry = { plane: imageToInput(img, S, opts.normalisation), mask: resizeMask(mask, S, S), width: img.width, height: img.height };
    cache.set(key, entry);
    return entry;
  };

  const batch = (step: number, given?: () => number): TrainingBatch => {
    const rng = given ?? mulberry32(hashSeed(seed, `batch/${step}`));
    const pickOf = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))];
    const items = [];
    const target = new Float32Array(opts.batchSize * S * S);
    const samples: SampleInfo[] = [];
    for (let b = 0; b < opts.batchSize; b++) {
      const task = pickOf(tasks);
      const split = splits.get(task.name)!;
      const q = pickOf(split.queries);
      const loaded = load(task, q);
      let prompt: Prompt | undefined;
      let templateIndex = -1;
      let templatePlane: Float32Array | undefined;
      const drawnQuality = pickOf(qualities);
      // The same one uniform either way, so a mix changes no other draw.
      const draw = drawByTask.get(task.name) ?? drawType;
      let promptType: PromptType = draw ? draw(rng()) : pickOf(types);
      let quality: Quality | 'given' = drawnQuality;
      let size = { width: S, height: S };
      let crop: Crop | undefined;
      // Drawn only when asked for, so that runs without it keep their data order.
      const selfTemplate = (opts.selfTemplateFraction ?? 0) > 0 && !task.templates && rng() < opts.selfTemplateFraction! && maskArea(loaded.mask) > 0;
      // Drawn only when asked for, as above.
      const augment = opts.augment && opts.warpMix ? scaleWarp(opts.augment, rng()) : opts.augment;
      const query = augment ? augmentPair(loaded.plane, loaded.mask.data, S, rng, augment) : { plane: loaded.plane, mask: loaded.mask.data };
      for (let attempt = 0; attempt < MAX_REDRAWS && !prompt; attempt++) {
        if (task.templates) {
          const k = Math.min(task.templates.length - 1, Math.floor(rng() * task.templates.length));
          const entry = task.templates[k];
          const tpl = load(task, entry.pair);
          const key = `${task.name}#${k}`;
          let resolved = givenPrompts.get(key);
          if (!resolved) {
            const r = resolvePrompt(entry.prompt, tpl, join(task.dir, 'templates.json'), task.dir);
            if (E.isLeft(r)) throw new DataLoadError(r.left);
            resolved = r.right;
            givenPrompts.set(key, resolved);
          }
          [prompt, templateIndex, promptType, quality, size] = [resolved, entry.pair, entry.prompt.type, 'given', { width: tpl.width, height: tpl.height }];
          templatePlane = augment ? changeIntensity(tpl.plane, S, augment, rng) : tpl.plane;
        } else {
          const t = selfTemplate ? q : pickOf(split.templates);
          const tpl = load(task, t);
          // A template without the structure cannot be prompted; draw another.
          if (maskArea(tpl.mask) === 0) continue;
          let side = { plane: tpl.plane, mask: tpl.mask };
          if (augment) {
            const a = augmentPair(tpl.plane, tpl.mask.data, S, rng, augment);
            side = { plane: a.plane, mask: { width: S, height: S, data: a.mask } };
            // Warped out of view: draw again.
            if (maskArea(side.mask) === 0) continue;
          }
          // Drawn only when asked for, so that runs without it keep their data order.
          crop = undefined;
          if (opts.zoom && opts.zoom.share > 0 && rng() < opts.zoom.share) {
            const z = 1 + rng() * (opts.zoom.factor - 1);
            const jitter = S / z / 8;
            // The mask is not empty (checked above), so it has a box.
            crop = cropAround(maskBox(side.mask.data, S)!, S, z, [(2 * rng() - 1) * jitter, (2 * rng() - 1) * jitter]);
            side = { plane: enlarge(side.plane, S, crop, false), mask: { width: S, height: S, data: enlarge(side.mask.data, S, crop, true) } };
          }
          const sim = simulatePrompt(side.mask, promptType, drawnQuality, rng, task.pairs[t].mask);
          if (E.isRight(sim)) [prompt, templateIndex, templatePlane] = [sim.right, t, side.plane];
        }
      }
      if (!prompt) throw new DataLoadError(dataError(task.dir, `task ${task.name}: no template in its template split has a non-empty mask`));
      const encoded = encodePrompt(prompt, size, geometry, task.pairs[templateIndex].name);
      if (E.isLeft(encoded)) throw new DataLoadError(encoded.left);
      const seen = crop ? { plane: enlarge(query.plane, S, crop, false), mask: enlarge(query.mask, S, crop, true) } : query;
      items.push({ query: seen.plane, template: templatePlane ?? load(task, templateIndex).plane, prompt: encoded.right });
      for (let i = 0; i < S * S; i++) target[b * S * S + i] = seen.mask[i];
      samples.push({ task: task.name, query: task.pairs[q].name, template: task.pairs[templateIndex].name, promptType, quality });
    }
    return { ...stackBatch(items, geometry), target, samples };
  };

  const preload = (): E.Either<DataError, void> => {
    try {
      for (const t of tasks) for (let i = 0; i < t.pairs.length; i++) load(t, i);
      return E.right(undefined);
    } catch (e) {
      if (e instanceof DataLoadError) return E.left(e.detail);
      throw e;
    }
  };

  return E.right({ tasks: tasks.map((t) => t.name), batch, preload });
}
