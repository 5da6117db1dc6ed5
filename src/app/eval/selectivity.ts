// Prompt selectivity (issue 14): does the model segment what the prompt asks for, or the same thing whatever it is
// asked? On images with several labelled structures (tasks whose images are the same files, as `dataset
// from-labels` writes them), each structure S's template is prompted, in turn, on S and on every other structure S'
// labelled on the same template image; all outputs are scored against S on the query:
//
//   selectivity(S) = Dice(output for S's prompt, S) − mean over S' of Dice(output for S''s prompt, S)
//
// 0 means the prompt is ignored (every prompt gives the same mask); 100 means the model segments exactly the
// prompted structure and nothing of it when asked for another. Same pairs, templates and prompts as the protocol
// (protocol.ts): the on-target term equals the protocol's model Dice on the pairs that have other structures; S''s
// prompt is the one S' gets as its own template. Per task: mean over templates of the mean over its queries; then
// the mean over tasks that have other structures. The baselines get the same treatment: copy template copies the
// prompted structure's template mask, region grow grows from the prompted structure's prompt. Node-only.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { shuffledIndices, type Task } from '../data/dataset.js';
import { dataError, type DataError } from '../data/errors.js';
import { maskArea } from '../data/image.js';
import { logitsToMask } from '../inference/model-inputs.js';
import { encodePrompt, type PromptTensors } from '../data/prompt-tensors.js';
import type { Prompt, PromptType } from '../data/prompt.js';
import { copyTemplateMask } from './copy-template.js';
import { scoredQueries } from './second-patient.js';
import { dice, meanStd } from './dice.js';
import { asPromptSegmenter, readEvalSample, templatePrompt, type EvalModel, type EvalOptions, type EvalSample } from './protocol.js';
import { decodePairs } from '../inference/segment-queries.js';
import { regionGrow } from './region-grow.js';

/** The protocol's options (its K templates per task, drawn the same way; other structures drawn from `tasks`), with a simulated prompt type. */
export interface SelectivityOptions extends Omit<EvalOptions, 'promptType'> {
  readonly promptType: PromptType;
  /** At most this many other structures per template (seeded choice among those labelled on it; default 4). */
  readonly maxOthers?: number;
}

/** Selectivity in Dice points, per method. */
export interface SelectivityScores {
  readonly model?: number;
  readonly copy_template: number;
  readonly region_grow: number;
}

export interface TaskSelectivity {
  readonly task: string;
  /** Template→query pairs that had other structures on the template. */
  readonly pairs: number;
  /** Mean number of other structures prompted per pair. */
  readonly others: number;
  /** Mean Dice (%) of the on-target prompt on those pairs (the first term). */
  readonly onTarget: SelectivityScores;
  readonly selectivity: SelectivityScores;
}

export interface SelectivityReport {
  /** Tasks that share template images with at least one other evaluated task. */
  readonly tasks: TaskSelectivity[];
  /** Mean over those tasks; undefined when no task has other structures (selectivity cannot be measured). */
  readonly mean?: SelectivityScores;
}

export const DEFAULT_MAX_OTHERS = 4;

export async function evaluateSelectivity(o: SelectivityOptions, predict?: EvalModel): Promise<E.Either<DataError, SelectivityReport>> {
  const model = predict && asPromptSegmenter(predict, o.geometry);
  if (!Number.isInteger(o.templates) || o.templates < 1) return E.left(dataError(o.dataset.root, `templates must be a positive integer, got ${o.templates}`));
  const names = o.tasks ?? (o.dataset.split ? o.dataset.split.heldout : o.dataset.tasks.map((t) => t.name));
  const tasks: Task[] = [];
  for (const n of names) {
    const t = o.dataset.tasks.find((x) => x.name === n);
    if (!t) return E.left(dataError(o.dataset.root, `task ${JSON.stringify(n)} is not in the dataset`));
    tasks.push(t);
  }
  const S = o.geometry.size;
  const maxOthers = o.maxOthers ?? DEFAULT_MAX_OTHERS;

  // Which images are the same: by the bytes of the file (and the slice, for volumes).
  const fileHash = new Map<string, string>();
  const keyOf = (task: Task, i: number): string => {
    const p = task.pairs[i];
    let h = fileHash.get(p.image);
    if (h === undefined) fileHash.set(p.image, (h = createHash('sha256').update(readFileSync(p.image)).digest('hex')));
    return p.slice === undefined ? h : `${h}#${p.slice}`;
  };
  const byImage = new Map<string, { task: Task; index: number }[]>();
  try {
    for (const t of tasks) for (let i = 0; i < t.pairs.length; i++) byImage.set(keyOf(t, i), [...(byImage.get(keyOf(t, i)) ?? []), { task: t, index: i }]);
  } catch (e) {
    return E.left(dataError(o.dataset.root, `cannot read an image to compare: ${(e as Error).message}`));
  }

  const cache = new Map<string, EvalSample>();
  const load = (task: Task, i: number): E.Either<DataError, EvalSample> => {
    const key = `${task.name}\0${i}`;
    const hit = cache.get(key);
    if (hit) return E.right(hit);
    const s = readEvalSample(task, i, S, o.normalisation);
    if (E.isRight(s)) cache.set(key, s.right);
    return s;
  };
  const prompts = new Map<string, Prompt>();
  const promptOf = (task: Task, i: number): E.Either<DataError, Prompt> => {
    const key = `${task.name}\0${i}`;
    const hit = prompts.get(key);
    if (hit) return E.right(hit);
    const s = load(task, i);
    if (E.isLeft(s)) return s;
    const p = templatePrompt(task, i, s.right.mask, o.promptType, o.quality, o.seed);
    if (E.isRight(p)) prompts.set(key, p.right);
    return p;
  };

  const results: TaskSelectivity[] = [];
  for (const task of tasks) {
    cache.clear();
    // The protocol's K templates: the first K images of the seeded permutation whose mask is not empty.
    const templates: number[] = [];
    for (const i of shuffledIndices(task.pairs.length, o.seed, `eval/${task.name}`)) {
      if (templates.length >= o.templates) break;
      const s = load(task, i);
      if (E.isLeft(s)) return s;
      if (maskArea(s.right.mask) > 0) templates.push(i);
    }
    interface Job {
      readonly k: number;
      readonly query: number;
      /** The prompted structures: first S itself, then the others. */
      readonly prompted: { task: Task; index: number }[];
    }
    const jobs: Job[] = [];
    templates.forEach((t, k) => {
      const labelled = (byImage.get(keyOf(task, t)) ?? []).filter((x) => x.task !== task);
      const others: { task: Task; index: number }[] = [];
      for (const j of shuffledIndices(labelled.length, o.seed, `selectivity/${task.name}/${t}`)) {
        if (others.length >= maxOthers) break;
        const s = load(labelled[j].task, labelled[j].index);
        if (E.isRight(s) && maskArea(s.right.mask) > 0) others.push(labelled[j]);
      }
      if (others.length === 0) return;
      for (let q = 0; q < task.pairs.length; q++) if (q !== t) jobs.push({ k, query: q, prompted: [{ task, index: t }, ...others] });
    });
    if (jobs.length === 0) continue;

    // Per template: the per-pair differences, for each method.
    const diffs = { model: templates.map(() => [] as number[]), copy: templates.map(() => [] as number[]), grow: templates.map(() => [] as number[]) };
    const onT = { model: templates.map(() => [] as number[]), copy: templates.map(() => [] as number[]), grow: templates.map(() => [] as number[]) };
    const runs = jobs.flatMap((job) => job.prompted.map((p, n) => ({ job, p, n })));
    const modelDice = new Map<Job, number[]>();
    // Every image and prompt the runs read, loaded (and checked) first.
    for (const { job, p } of runs) {
      for (const [t, i] of [
        [p.task, p.index],
        [task, job.query],
      ] as const) {
        const s = load(t, i);
        if (E.isLeft(s)) return s;
      }
      const prompt = promptOf(p.task, p.index);
      if (E.isLeft(prompt)) return prompt;
    }
    const sample = (t: Task, i: number): EvalSample => cache.get(`${t.name}\0${i}`)!;
    // The query as it is scored: as read, or as a second patient (the protocol's own warp of the same image).
    const querySample = scoredQueries((i) => sample(task, i), { warp: o.secondPatient, size: S, seed: o.seed, task: task.name });
    const queryKey = (i: number): string => (o.secondPatient === undefined ? `${task.name}\0${i}` : `q\0${i}`);
    if (model) {
      // The model through the one inference pipeline (decodePairs), each prompted template's prompt encoded once.
      const encoded = new Map<string, PromptTensors>();
      for (const { p } of runs) {
        const key = `${p.task.name}\0${p.index}`;
        if (encoded.has(key)) continue;
        const enc = encodePrompt(prompts.get(key)!, sample(p.task, p.index).image, o.geometry, p.task.pairs[p.index].name);
        if (E.isLeft(enc)) return enc;
        encoded.set(key, enc.right);
      }
      await decodePairs({
        model,
        plane: (key) => (key.startsWith('q\0') ? querySample(Number(key.slice(2))) : cache.get(key)!).plane,
        jobs: runs.map(({ job, p }) => ({
          query: queryKey(job.query),
          template: `${p.task.name}\0${p.index}`,
          prompt: encoded.get(`${p.task.name}\0${p.index}`)!,
        })),
        batchSize: o.batchSize,
        onLogits: (i, logits) => {
          const { job } = runs[i];
          const q = querySample(job.query);
          const d = dice(logitsToMask(logits, S, q.image.width, q.image.height), q.mask);
          modelDice.set(job, [...(modelDice.get(job) ?? []), d]);
        },
        onBatch: (done, total) => o.onProgress?.({ task: task.name, done, total }),
      });
    } else
      for (let done = Math.min(runs.length, o.batchSize); ; done = Math.min(runs.length, done + o.batchSize)) {
        o.onProgress?.({ task: task.name, done, total: runs.length });
        if (done >= runs.length) break;
      }
    const split = (xs: number[]) => ({ on: xs[0], off: meanStd(xs.slice(1)).mean });
    for (const job of jobs) {
      const loaded = load(task, job.query);
      if (E.isLeft(loaded)) return loaded;
      const q = querySample(job.query);
      const copy: number[] = [];
      const grow: number[] = [];
      for (const p of job.prompted) {
        const tpl = load(p.task, p.index);
        const prompt = promptOf(p.task, p.index);
        if (E.isLeft(tpl)) return tpl;
        if (E.isLeft(prompt)) return prompt;
        copy.push(dice(copyTemplateMask(tpl.right.mask, q.image), q.mask));
        grow.push(dice(regionGrow({ query: q.image, prompt: prompt.right, template: tpl.right.image }), q.mask));
      }
      for (const [key, xs] of [['copy', copy], ['grow', grow], ...(model ? [['model', modelDice.get(job)!]] : [])] as const) {
        const { on, off } = split(xs as number[]);
        diffs[key as 'copy'][job.k].push(on - off);
        onT[key as 'copy'][job.k].push(on);
      }
    }
    const perTask = (xs: number[][]) => meanStd(xs.filter((v) => v.length).map((v) => meanStd(v).mean)).mean;
    results.push({
      task: task.name,
      pairs: jobs.length,
      others: jobs.reduce((a, j) => a + j.prompted.length - 1, 0) / jobs.length,
      onTarget: { ...(model ? { model: perTask(onT.model) } : {}), copy_template: perTask(onT.copy), region_grow: perTask(onT.grow) },
      selectivity: { ...(model ? { model: perTask(diffs.model) } : {}), copy_template: perTask(diffs.copy), region_grow: perTask(diffs.grow) },
    });
  }
  if (results.length === 0) return E.right({ tasks: [] });
  const avg = (f: (t: TaskSelectivity) => number) => meanStd(results.map(f)).mean;
  return E.right({
    tasks: results,
    mean: {
      ...(model ? { model: avg((t) => t.selectivity.model!) } : {}),
      copy_template: avg((t) => t.selectivity.copy_template),
      region_grow: avg((t) => t.selectivity.region_grow),
    },
  });
}
