// The evaluation protocol of `oneprompt eval` (issue 5): for each task, K templates drawn (seeded) from the task's
// images are prompted by the simulator (or, with 'given', the first K prompted templates of the task's templates.json
// are taken as they are) and applied to every other image of the task; Dice (%) of the model and of
// the two baselines on the same pairs, per task as mean ± std over the K templates (each template's score is the
// mean over its queries), and the mean over tasks. The model is a callback over batches (B > 1), so this file does
// not depend on a runtime. Node-only (reads the dataset).
import * as E from 'fp-ts/lib/Either.js';
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { type Dataset, pairReadOptions, shuffledIndices, type Task } from '../data/dataset.js';
import { dataError, type DataError } from '../data/errors.js';
import { join } from 'node:path';
import { maskArea, type LoadedImage, type Mask } from '../data/image.js';
import type { Normalisation } from '../data/intensity.js';
import { readImage, readMask } from '../data/load.js';
import { resolvePrompt } from '../data/prompt-file.js';
import { imageToInput, logitsToMask } from '../inference/model-inputs.js';
import { oneFileSegmenter, type BatchPredictor, type PromptSegmenter } from '../inference/prompt-segmenter.js';
import { decodePairs } from '../inference/segment-queries.js';
import { encodePrompt, type PromptTensors } from '../data/prompt-tensors.js';
import type { Prompt, PromptType } from '../data/prompt.js';
import { simulatePrompt, type Quality } from '../data/simulate.js';
import { copyTemplateMask } from './copy-template.js';
import { dice, meanStd } from './dice.js';
import { regionGrow } from './region-grow.js';
import { scoredQueries } from './second-patient.js';
import { type ModelGeometry } from '../../../graphs/oneprompt/contract.js';

/** Runs the one-file model on a batch; returns mask_logits, (B, 1, S, S). */
export type Predictor = BatchPredictor;

/** The model to score: a batched forward, or the model as encode + decode (a Segmenter's `prompts`). */
export type EvalModel = Predictor | PromptSegmenter;

/** The model as encode + decode: a bare forward is the one-file model. */
export const asPromptSegmenter = (m: EvalModel, geometry: ModelGeometry): PromptSegmenter => (typeof m === 'function' ? oneFileSegmenter(geometry, m) : m);

export interface EvalOptions {
  readonly dataset: Dataset;
  /** Task names (default: the split's held-out tasks, or all tasks without a split). */
  readonly tasks?: readonly string[];
  /** A simulated prompt type, or 'given': the prompts people drew, from each task's templates.json. */
  readonly promptType: PromptType | 'given';
  /** Simulated prompt quality (unused with 'given'). */
  readonly quality: Quality;
  /** Templates per task (K). */
  readonly templates: number;
  readonly seed: number;
  readonly geometry: ModelGeometry;
  readonly batchSize: number;
  readonly normalisation?: Normalisation;
  /** Score each query as a second patient (second-patient.ts), its warp ranges scaled by this factor; default: as read. */
  readonly secondPatient?: number;
  /** Called after each batch of pairs and at the end of each task. */
  readonly onProgress?: (p: { task: string; done: number; total: number }) => void;
}

export interface Score {
  readonly dice: number;
  readonly std: number;
}

export interface TaskResult {
  readonly task: string;
  readonly pairs: number;
  readonly model?: Score;
  readonly copy_template: Score;
  readonly region_grow: Score;
}

export interface EvalReport {
  readonly tasks: TaskResult[];
  readonly mean: { readonly model?: number; readonly copy_template: number; readonly region_grow: number };
}

export interface EvalSample {
  readonly image: LoadedImage;
  readonly mask: Mask;
  /** The image at the model's S×S input. */
  readonly plane: Float32Array;
}
type Sample = EvalSample;

/** A task's image i with its mask (checked to be the same size) and its model input plane. */
export function readEvalSample(task: Task, i: number, size: number, normalisation?: Normalisation): E.Either<DataError, EvalSample> {
  const pair = task.pairs[i];
  const image = readImage(pair.image, pairReadOptions(pair));
  if (E.isLeft(image)) return image;
  const mask = readMask(pair.mask, pairReadOptions(pair));
  if (E.isLeft(mask)) return mask;
  if (mask.right.width !== image.right.width || mask.right.height !== image.right.height) {
    return E.left(dataError(pair.mask, `mask is ${mask.right.width}×${mask.right.height}, but its image is ${image.right.width}×${image.right.height}`));
  }
  return E.right({ image: image.right, mask: mask.right, plane: imageToInput(image.right, size, normalisation) });
}

/** The simulated prompt of task's image i as a template: seeded by (seed, task, image, type, quality). */
export const templatePrompt = (task: Task, i: number, mask: Mask, type: PromptType, quality: Quality, seed: number): E.Either<DataError, Prompt> =>
  simulatePrompt(mask, type, quality, mulberry32(hashSeed(seed, `eval/${task.name}/${i}/${type}/${quality}`)), task.pairs[i].mask);

const score = (perTemplate: number[]): Score => {
  const m = meanStd(perTemplate);
  return { dice: m.mean, std: m.std };
};

async function evaluateTask(task: Task, opts: EvalOptions, model: PromptSegmenter | undefined): Promise<E.Either<DataError, TaskResult>> {
  const S = opts.geometry.size;
  const cache = new Map<number, Sample>();
  const load = (i: number): E.Either<DataError, Sample> => {
    const hit = cache.get(i);
    if (hit) return E.right(hit);
    const s = readEvalSample(task, i, S, opts.normalisation);
    if (E.isRight(s)) cache.set(i, s.right);
    return s;
  };
  if (task.pairs.length < 2) return E.left(dataError(task.dir, `task ${task.name} needs at least two images (a template and a query)`));

  const templates: { index: number; prompt: Prompt }[] = [];
  if (opts.promptType === 'given') {
    // The first K prompted templates of templates.json, as drawn.
    const source = join(task.dir, 'templates.json');
    if (!task.templates)
      return E.left(dataError(task.dir, `task ${task.name} has no templates.json; --prompt given evaluates the prompts listed there (docs/workflow.md)`));
    for (const entry of task.templates.slice(0, opts.templates)) {
      const s = load(entry.pair);
      if (E.isLeft(s)) return s;
      const p = resolvePrompt(entry.prompt, s.right.image, source, task.dir);
      if (E.isLeft(p)) return p;
      templates.push({ index: entry.pair, prompt: p.right });
    }
  } else {
    // K templates: the first K images of a seeded permutation whose mask is not empty, prompted by the simulator.
    for (const i of shuffledIndices(task.pairs.length, opts.seed, `eval/${task.name}`)) {
      if (templates.length >= opts.templates) break;
      const s = load(i);
      if (E.isLeft(s)) return s;
      if (maskArea(s.right.mask) === 0) continue;
      const p = templatePrompt(task, i, s.right.mask, opts.promptType, opts.quality, opts.seed);
      if (E.isLeft(p)) return p;
      templates.push({ index: i, prompt: p.right });
    }
  }
  if (templates.length === 0) return E.left(dataError(task.dir, `task ${task.name}: no image has a non-empty mask to serve as a template`));

  const jobs = templates.flatMap((t, k) => task.pairs.map((_, q) => ({ k, t, q })).filter((j) => j.q !== j.t.index));
  const scores = { model: templates.map(() => [] as number[]), copy: templates.map(() => [] as number[]), grow: templates.map(() => [] as number[]) };
  // Every image the pairs read, loaded (and checked) first; the baselines on each pair.
  for (const i of new Set(jobs.flatMap((j) => [j.t.index, j.q]))) {
    const s = load(i);
    if (E.isLeft(s)) return s;
  }
  const sample = (i: number): Sample => cache.get(i)!;
  // The queries as they are scored: as read, or each as a second patient (made once per image).
  const querySample = scoredQueries(sample, { warp: opts.secondPatient, size: S, seed: opts.seed, task: task.name });
  const queryKey = (i: number): string => (opts.secondPatient === undefined ? String(i) : `q${i}`);
  for (const j of jobs) {
    const { image: qi, mask: qm } = querySample(j.q);
    const tpl = sample(j.t.index);
    scores.copy[j.k].push(dice(copyTemplateMask(tpl.mask, qi), qm));
    scores.grow[j.k].push(dice(regionGrow({ query: qi, prompt: j.t.prompt, template: tpl.image }), qm));
  }
  if (model) {
    // The model through the one inference pipeline (decodePairs): each template's prompt encoded once, pairs batched.
    const prompts: PromptTensors[] = [];
    for (const t of templates) {
      const encoded = encodePrompt(t.prompt, sample(t.index).image, opts.geometry, task.pairs[t.index].name);
      if (E.isLeft(encoded)) return encoded;
      prompts.push(encoded.right);
    }
    await decodePairs({
      model,
      plane: (key) => (key.startsWith('q') ? querySample(Number(key.slice(1))) : sample(Number(key))).plane,
      jobs: jobs.map((j) => ({ query: queryKey(j.q), template: String(j.t.index), prompt: prompts[j.k] })),
      batchSize: opts.batchSize,
      onLogits: (i, logits) => {
        const j = jobs[i];
        const q = querySample(j.q);
        scores.model[j.k].push(dice(logitsToMask(logits, S, q.image.width, q.image.height), q.mask));
      },
      onBatch: (done, total) => opts.onProgress?.({ task: task.name, done, total }),
    });
  } else
    for (let done = Math.min(jobs.length, opts.batchSize); ; done = Math.min(jobs.length, done + opts.batchSize)) {
      opts.onProgress?.({ task: task.name, done, total: jobs.length });
      if (done >= jobs.length) break;
    }
  const perTemplate = (xs: number[][]) => xs.map((v) => meanStd(v).mean);
  return E.right({
    task: task.name,
    pairs: jobs.length,
    ...(model ? { model: score(perTemplate(scores.model)) } : {}),
    copy_template: score(perTemplate(scores.copy)),
    region_grow: score(perTemplate(scores.grow)),
  });
}

/** Run the protocol; without a model, only the baselines are scored. */
export async function evaluate(opts: EvalOptions, predict?: EvalModel): Promise<E.Either<DataError, EvalReport>> {
  const model = predict && asPromptSegmenter(predict, opts.geometry);
  if (!Number.isInteger(opts.templates) || opts.templates < 1)
    return E.left(dataError(opts.dataset.root, `templates must be a positive integer, got ${opts.templates}`));
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    return E.left(dataError(opts.dataset.root, `batch size must be a positive integer, got ${opts.batchSize}`));
  const names = opts.tasks ?? (opts.dataset.split ? opts.dataset.split.heldout : opts.dataset.tasks.map((t) => t.name));
  const results: TaskResult[] = [];
  for (const name of names) {
    const task = opts.dataset.tasks.find((t) => t.name === name);
    if (!task) return E.left(dataError(opts.dataset.root, `task ${JSON.stringify(name)} is not in the dataset`));
    const r = await evaluateTask(task, opts, model);
    if (E.isLeft(r)) return r;
    results.push(r.right);
  }
  if (results.length === 0) return E.left(dataError(opts.dataset.root, 'no tasks to evaluate'));
  const avg = (f: (t: TaskResult) => number) => meanStd(results.map(f)).mean;
  return E.right({
    tasks: results,
    mean: {
      ...(model ? { model: avg((t) => t.model!.dice) } : {}),
      copy_template: avg((t) => t.copy_template.dice),
      region_grow: avg((t) => t.region_grow.dice),
    },
  });
}
