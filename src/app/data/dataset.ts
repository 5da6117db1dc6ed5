// A folder of segmentation tasks:
//   DIR/<task>/images/*          images (PNG, JPEG, NIfTI, DICOM files)
//   DIR/<task>/masks/*           masks with the same file names (or the same stem: a.jpg ↔ a.png)
//                                A NIfTI volume gives one sample per axial slice where its mask has foreground,
//                                named "scan.nii.gz#axial=42" (its mask volume is read once while listing).
//   DIR/<task>/templates.json    optional prompted templates: [{"image": "a.png", "prompt": {...}}, ...]
//                                (image: a file in images/; a SegLab prompt's mask is relative to the task folder)
//   DIR/split.json               optional {"train": [task...], "heldout": [task...]}
// Listing and validation only; images are read later (batches.ts, eval), except mask volumes. Node-only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as A from 'fp-ts/lib/Array.js';
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { clipName, dataError, type DataError } from './errors.js';
import { asFileReadError, notRegularReason } from '../../util/safe-read.js';
import { readJsonFile } from './json-file.js';
import { readImages } from './load.js';
import { decodePromptSpec, type PromptSpec } from './prompt.js';
import { formatSliceRef } from './slice-ref.js';

export interface Pair {
  /** File name in images/ (the sample's id within its task), with "#axial=K" for a slice of a volume. */
  readonly name: string;
  readonly image: string;
  readonly mask: string;
  /** The axial slice, when the files are volumes. */
  readonly slice?: number;
}

/** How to read a sample's image and mask: the whole file, or its axial slice. */
export const pairReadOptions = (pair: Pair): { plane?: 'axial'; slice?: number } => (pair.slice === undefined ? {} : { plane: 'axial', slice: pair.slice });

const isNiftiName = (name: string): boolean => /\.nii(\.gz)?$/i.test(name);

/** A volume pair as one pair per axial slice whose mask has foreground (none when the mask is empty). */
function sliceVolumePair(pair: Pair): E.Either<DataError, Pair[]> {
  return pipe(
    readImages(pair.mask, { plane: 'axial' }),
    E.map((slices) =>
      slices.flatMap((m, k) =>
        m.data.some((v) => v !== 0) ? [{ name: formatSliceRef(pair.name, 'axial', k), image: pair.image, mask: pair.mask, slice: k }] : [],
      ),
    ),
  );
}

export interface TemplateEntry {
  /** Index into the task's pairs. */
  readonly pair: number;
  readonly prompt: PromptSpec;
}

export interface Task {
  readonly name: string;
  readonly dir: string;
  readonly pairs: readonly Pair[];
  /** Prompted templates from templates.json, if the task has one. */
  readonly templates?: readonly TemplateEntry[];
}

export interface Split {
  readonly train: readonly string[];
  readonly heldout: readonly string[];
  /** Optional: held-out slices of training structures, as their own tasks (`dataset from-labels` writes them). */
  readonly heldoutSlices?: readonly string[];
  /** Optional: structures kept out of training for model selection (`dataset from-labels --validation`). */
  readonly validation?: readonly string[];
}

export interface Dataset {
  readonly root: string;
  readonly tasks: readonly Task[];
  readonly split?: Split;
}

const stem = (name: string): string => name.replace(/(\.nii)?\.gz$/i, '').replace(/\.[^.]*$/, '');
/** The regular files of a folder, sorted; a dangling link, pipe or device there is an error naming it. */
function listFiles(dir: string): E.Either<DataError, string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    return E.left(dataError(dir, `cannot list the folder: ${asFileReadError(e, dir).reason}`));
  }
  const out: string[] = [];
  for (const n of names.filter((x) => !x.startsWith('.')).sort()) {
    const path = join(dir, n);
    try {
      const st = statSync(path);
      if (st.isDirectory()) continue; // sub-folders are not samples
      const why = notRegularReason(st);
      if (why) return E.left(dataError(path, why));
    } catch (e) {
      return E.left(dataError(path, asFileReadError(e, path).reason));
    }
    out.push(n);
  }
  return E.right(out);
}

function pairFiles(taskDir: string, task: string): E.Either<DataError, Pair[]> {
  const imagesDir = join(taskDir, 'images');
  const masksDir = join(taskDir, 'masks');
  if (!existsSync(imagesDir)) return E.left(dataError(taskDir, `task ${task} has no images/ folder`));
  if (!existsSync(masksDir)) return E.left(dataError(taskDir, `task ${task} has no masks/ folder`));
  const imageList = listFiles(imagesDir);
  if (E.isLeft(imageList)) return imageList;
  const maskList = listFiles(masksDir);
  if (E.isLeft(maskList)) return maskList;
  const images = imageList.right;
  const masks = maskList.right;
  if (images.length === 0) return E.left(dataError(imagesDir, `task ${task} has no images`));
  const byName = new Set(masks);
  const byStem = new Map<string, string[]>();
  for (const m of masks) byStem.set(stem(m), [...(byStem.get(stem(m)) ?? []), m]);
  const used = new Set<string>();
  const pairs: Pair[] = [];
  for (const name of images) {
    let mask: string | undefined;
    if (byName.has(name)) mask = name;
    else {
      const candidates = byStem.get(stem(name)) ?? [];
      if (candidates.length > 1) return E.left(dataError(masksDir, `image ${name} matches several masks: ${candidates.join(', ')}`));
      mask = candidates[0];
    }
    if (!mask) return E.left(dataError(imagesDir, `image ${name} has no mask in masks/ (expected masks/${name})`));
    used.add(mask);
    const pair = { name, image: join(imagesDir, name), mask: join(masksDir, mask) };
    if (!isNiftiName(name)) pairs.push(pair);
    else {
      const slices = sliceVolumePair(pair);
      if (E.isLeft(slices)) return slices;
      pairs.push(...slices.right);
    }
  }
  const orphan = masks.find((m) => !used.has(m));
  if (orphan) return E.left(dataError(masksDir, `mask ${orphan} has no image in images/`));
  if (pairs.length === 0) return E.left(dataError(masksDir, `task ${task}: its mask volumes have no foreground in any axial slice`));
  return E.right(pairs);
}

function readTemplates(taskDir: string, pairs: readonly Pair[]): E.Either<DataError, TemplateEntry[] | undefined> {
  const path = join(taskDir, 'templates.json');
  if (!existsSync(path)) return E.right(undefined);
  return pipe(
    readJsonFile(path, 'a JSON listing'),
    E.chain((json) => (Array.isArray(json) ? E.right(json) : E.left(dataError(path, 'templates.json must be a list of {"image", "prompt"} entries')))),
    E.chain((entries) =>
      pipe(
        entries,
        A.mapWithIndex((i, entry): E.Either<DataError, TemplateEntry> => {
          const where = `[${i}]`;
          if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
            return E.left(dataError(path, 'each entry must be {"image", "prompt"}', where));
          const { image, prompt } = entry as Record<string, unknown>;
          const pair = pairs.findIndex((p) => p.name === image);
          if (typeof image !== 'string' || pair < 0)
            return E.left(
              dataError(
                path,
                `image ${typeof image === 'string' ? JSON.stringify(clipName(image)) : JSON.stringify(image)?.slice(0, 80)} is not a file in images/`,
                `${where}.image`,
              ),
            );
          return pipe(
            decodePromptSpec(prompt, path),
            E.mapLeft((e) => ({ ...e, where: `${where}.prompt${e.where ? `.${e.where}` : ''}` })),
            E.map((spec) => ({ pair, prompt: spec })),
          );
        }),
        A.sequence(E.Applicative),
      ),
    ),
    E.chain((list) => (list.length ? E.right(list) : E.left(dataError(path, 'templates.json lists no templates')))),
  );
}

function readSplit(root: string, tasks: readonly Task[]): E.Either<DataError, Split | undefined> {
  const path = join(root, 'split.json');
  if (!existsSync(path)) return E.right(undefined);
  return pipe(
    readJsonFile(path, 'a JSON listing'),
    E.chain((json): E.Either<DataError, Split> => {
      const o = json as Record<string, unknown>;
      const names = new Set(tasks.map((t) => t.name));
      for (const key of ['train', 'heldout'] as const) {
        const list = o?.[key];
        if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) return E.left(dataError(path, `"${key}" must be a list of task names`, key));
        const unknown = list.find((n) => !names.has(n as string));
        if (unknown !== undefined) return E.left(dataError(path, `task ${JSON.stringify(unknown)} is not a folder of the dataset`, key));
      }
      const optional: { heldoutSlices?: string[]; validation?: string[] } = {};
      for (const [key, field] of [
        ['heldout_slices', 'heldoutSlices'],
        ['validation', 'validation'],
      ] as const) {
        const list = o[key];
        if (list === undefined) continue;
        if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) return E.left(dataError(path, `"${key}" must be a list of task names`, key));
        const unknown = list.find((n) => !names.has(n as string));
        if (unknown !== undefined) return E.left(dataError(path, `task ${JSON.stringify(unknown)} is not a folder of the dataset`, key));
        optional[field] = list as string[];
      }
      return E.right({ train: o.train as string[], heldout: o.heldout as string[], ...optional });
    }),
  );
}

/** List and check a dataset folder: every task folder with images/ and masks/, paired by name. */
export function readDataset(root: string): E.Either<DataError, Dataset> {
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch (e) {
    return E.left(dataError(root, `cannot list the dataset folder: ${(e as Error).message}`));
  }
  const taskNames: string[] = [];
  for (const n of entries.filter((x) => !x.startsWith('.'))) {
    try {
      if (statSync(join(root, n)).isDirectory()) taskNames.push(n);
    } catch (e) {
      return E.left(dataError(join(root, n), asFileReadError(e, join(root, n)).reason));
    }
  }
  if (taskNames.length === 0) return E.left(dataError(root, 'no task folders (expected DIR/<task>/images and DIR/<task>/masks)'));
  return pipe(
    taskNames,
    A.map((name) => {
      const dir = join(root, name);
      return pipe(
        pairFiles(dir, name),
        E.chain((pairs) =>
          pipe(
            readTemplates(dir, pairs),
            E.map((templates): Task => (templates ? { name, dir, pairs, templates } : { name, dir, pairs })),
          ),
        ),
      );
    }),
    A.sequence(E.Applicative),
    E.chain((tasks) =>
      pipe(
        readSplit(root, tasks),
        E.map((split): Dataset => (split ? { root, tasks, split } : { root, tasks })),
      ),
    ),
  );
}

/**
 * The tasks of one part of the split (all tasks when the dataset has no split.json, or for 'all'); 'heldout-slices':
 * the held-out slices of training structures; 'validation': the structures kept out of training for model selection
 * (none when split.json does not list them).
 */
export function tasksOf(ds: Dataset, part: 'train' | 'heldout' | 'heldout-slices' | 'validation' | 'all'): Task[] {
  if (part === 'all' || !ds.split) return [...ds.tasks];
  const names = new Set(part === 'heldout-slices' ? (ds.split.heldoutSlices ?? []) : part === 'validation' ? (ds.split.validation ?? []) : ds.split[part]);
  return ds.tasks.filter((t) => names.has(t.name));
}

/** Seeded Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, seed: number, label: string): number[] {
  const rng = mulberry32(hashSeed(seed, label));
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface TemplateSplit {
  /** Indices into task.pairs. */
  readonly templates: readonly number[];
  readonly queries: readonly number[];
}

/**
 * The task's template split (paper §3.3: templates are drawn from it, queries from the rest): the templates.json
 * images when given, else a seeded `fraction` of the images (at least one). Queries are the other images (all of
 * them when that would leave none).
 */
export function templateSplit(task: Task, seed: number, fraction = 0.2): TemplateSplit {
  const n = task.pairs.length;
  const templates = task.templates
    ? [...new Set(task.templates.map((t) => t.pair))]
    : shuffledIndices(n, seed, `split/${task.name}`).slice(0, Math.max(1, Math.round(n * fraction)));
  const chosen = new Set(templates);
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !chosen.has(i));
  return { templates, queries: rest.length ? rest : Array.from({ length: n }, (_, i) => i) };
}

/** K template images for evaluation, drawn (seeded) from the task's images; each is applied to all the others. */
export const drawTemplates = (task: Task, k: number, seed: number): number[] =>
  shuffledIndices(task.pairs.length, seed, `eval/${task.name}`).slice(0, Math.min(k, task.pairs.length));
