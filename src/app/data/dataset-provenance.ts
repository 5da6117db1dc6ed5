// OUT/dataset.json of `oneprompt dataset from-labels`: where a dataset came from (its inputs' paths and sha256), the
// options it was cut with, and per structure its labels, split and per-plane task. from-labels writes it with this
// type; the training task (which tasks are large targets), scripts/build-brain-dataset.ts (the inputs' hashes for
// a README) and scripts/add-small-structures.ts (the same volumes and options, cut again) read it back with
// readDatasetProvenance, which checks every field it returns instead of trusting a cast. Node-only.
import * as E from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import type { Json } from '../../util/json.js';
import { dataError, type DataError } from './errors.js';
import { readJsonFile } from './json-file.js';
import { PLANES, type Plane } from './nifti.js';

export const DATASET_FILE = 'dataset.json';
export const DATASET_GENERATOR = 'oneprompt dataset from-labels';

/** One structure (or large target) of the dataset, as measured at the output size. */
export interface StructureStats {
  readonly name: string;
  readonly labels: readonly number[];
  readonly voxels: number;
  readonly heldOut: boolean;
  /** Kept out of training for model selection (`validation`). */
  readonly validation?: boolean;
  /** A large target (brain, hemisphere, region), not an atlas structure. */
  readonly coarse?: boolean;
  /** Per plane: slices written (training + slab) and the median structure area and width in output pixels. */
  readonly planes: Readonly<Partial<Record<Plane, PlaneStats>>>;
}

export interface PlaneStats {
  readonly task: string;
  readonly slices: number;
  readonly slabSlices: number;
  readonly medianArea: number;
  readonly medianWidth: number;
}

export interface InputFile {
  readonly path: string;
  readonly sha256: string;
}

/** What readDatasetProvenance checks and returns. */
export interface DatasetRecord {
  readonly generator: typeof DATASET_GENERATOR;
  readonly inputs: { readonly image: InputFile; readonly labels: InputFile; readonly groups?: InputFile };
  readonly options: {
    readonly planes: readonly Plane[];
    readonly size: number;
    readonly minPixels: number;
    readonly minSlices: number;
    readonly maxSlices: number;
    readonly grouping: string;
  };
  readonly structures: readonly StructureStats[];
}

type Triple = readonly [number, number, number];

/** The whole file as from-labels writes it (the record, plus what is there for people to read). */
export interface DatasetProvenance extends DatasetRecord {
  readonly inputs: DatasetRecord['inputs'] & {
    readonly image: InputFile & { readonly dims: Triple; readonly spacing: Triple };
    readonly labels: InputFile & { readonly dims: Triple };
  };
  readonly options: DatasetRecord['options'] & {
    readonly holdout: number | readonly string[];
    readonly exclude?: readonly string[];
    readonly validation?: number;
    readonly sliceHoldout: number;
    readonly seed: number;
    readonly slabGap: number;
    readonly coarse: { readonly hemispheres?: boolean; readonly regions?: number };
  };
  readonly intensity: { readonly zero: number; readonly one: number };
  readonly geometry: readonly {
    readonly plane: Plane;
    readonly slices: number;
    readonly crop: { readonly x: number; readonly y: number; readonly side: number };
    readonly pixelsPerVoxel: number;
  }[];
  readonly counts: Readonly<Record<string, number | Readonly<Record<string, number>>>>;
}

/** A field check: the value at `where`, or the reason it is not what it must be. */
type Check<T> = (v: Json | undefined, where: string) => E.Either<string, T>;
type JsonObject = { readonly [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (where: string, what: string) => E.left(`${where} must be ${what}`);

const str: Check<string> = (v, w) => (typeof v === 'string' ? E.right(v) : fail(w, 'a string'));
const num: Check<number> = (v, w) => (typeof v === 'number' ? E.right(v) : fail(w, 'a number'));
const int: Check<number> = (v, w) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? E.right(v) : fail(w, 'a whole number ≥ 0'));
const optionalTrue = (v: Json | undefined, w: string): E.Either<string, true | undefined> =>
  v === undefined ? E.right(undefined) : v === true ? E.right(true) : fail(w, 'true when present');
const plane: Check<Plane> = (v, w) => (PLANES.includes(v as Plane) ? E.right(v as Plane) : fail(w, `one of ${PLANES.join(', ')}`));
const listOf =
  <T>(item: Check<T>): Check<readonly T[]> =>
  (v, w) => {
    if (!Array.isArray(v)) return fail(w, 'a list');
    const out: T[] = [];
    for (const [i, x] of v.entries()) {
      const r = item(x, `${w}[${i}]`);
      if (E.isLeft(r)) return r;
      out.push(r.right);
    }
    return E.right(out);
  };
const inputFile: Check<InputFile> = (v, w) => {
  if (!isObject(v)) return fail(w, 'an object');
  const path = str(v.path, `${w}.path`);
  if (E.isLeft(path)) return path;
  return typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256)
    ? E.right({ path: path.right, sha256: v.sha256 })
    : fail(`${w}.sha256`, 'a sha256 in hex');
};

const planeStats: Check<PlaneStats> = (v, w) => {
  if (!isObject(v)) return fail(w, 'an object');
  const task = str(v.task, `${w}.task`);
  if (E.isLeft(task)) return task;
  const numbers = { slices: int, slabSlices: int, medianArea: num, medianWidth: num } as const;
  const got: Record<string, number> = {};
  for (const [k, check] of Object.entries(numbers)) {
    const r = check(v[k], `${w}.${k}`);
    if (E.isLeft(r)) return r;
    got[k] = r.right;
  }
  return E.right({ task: task.right, slices: got.slices, slabSlices: got.slabSlices, medianArea: got.medianArea, medianWidth: got.medianWidth });
};

const structure: Check<StructureStats> = (v, w) => {
  if (!isObject(v)) return fail(w, 'an object');
  const name = str(v.name, `${w}.name`);
  if (E.isLeft(name)) return name;
  const labels = listOf(int)(v.labels, `${w}.labels`);
  if (E.isLeft(labels)) return labels;
  const voxels = int(v.voxels, `${w}.voxels`);
  if (E.isLeft(voxels)) return voxels;
  if (typeof v.heldOut !== 'boolean') return fail(`${w}.heldOut`, 'true or false');
  const validation = optionalTrue(v.validation, `${w}.validation`);
  if (E.isLeft(validation)) return validation;
  const coarse = optionalTrue(v.coarse, `${w}.coarse`);
  if (E.isLeft(coarse)) return coarse;
  if (!isObject(v.planes)) return fail(`${w}.planes`, 'an object');
  const planes: Partial<Record<Plane, PlaneStats>> = {};
  for (const [k, p] of Object.entries(v.planes)) {
    const key = plane(k, `${w}.planes key`);
    if (E.isLeft(key)) return key;
    const stats = planeStats(p, `${w}.planes.${k}`);
    if (E.isLeft(stats)) return stats;
    planes[key.right] = stats.right;
  }
  return E.right({
    name: name.right,
    labels: labels.right,
    voxels: voxels.right,
    heldOut: v.heldOut,
    ...(validation.right ? { validation: true } : {}),
    ...(coarse.right ? { coarse: true } : {}),
    planes,
  });
};

function record(json: Json): E.Either<string, DatasetRecord> {
  if (!isObject(json)) return E.left('the file must hold an object');
  if (json.generator !== DATASET_GENERATOR) return fail('generator', `"${DATASET_GENERATOR}" (this reads datasets that command wrote)`);
  const { inputs, options } = json;
  if (!isObject(inputs)) return fail('inputs', 'an object');
  const image = inputFile(inputs.image, 'inputs.image');
  if (E.isLeft(image)) return image;
  const labels = inputFile(inputs.labels, 'inputs.labels');
  if (E.isLeft(labels)) return labels;
  const groups = inputs.groups === undefined ? E.right(undefined) : inputFile(inputs.groups, 'inputs.groups');
  if (E.isLeft(groups)) return groups;
  if (!isObject(options)) return fail('options', 'an object');
  const planes = listOf(plane)(options.planes, 'options.planes');
  if (E.isLeft(planes)) return planes;
  const grouping = str(options.grouping, 'options.grouping');
  if (E.isLeft(grouping)) return grouping;
  const sizes: Record<string, number> = {};
  for (const k of ['size', 'minPixels', 'minSlices', 'maxSlices']) {
    const r = int(options[k], `options.${k}`);
    if (E.isLeft(r)) return r;
    sizes[k] = r.right;
  }
  const structures = listOf(structure)(json.structures, 'structures');
  if (E.isLeft(structures)) return structures;
  return E.right({
    generator: DATASET_GENERATOR,
    inputs: { image: image.right, labels: labels.right, ...(groups.right ? { groups: groups.right } : {}) },
    options: {
      planes: planes.right,
      size: sizes.size,
      minPixels: sizes.minPixels,
      minSlices: sizes.minSlices,
      maxSlices: sizes.maxSlices,
      grouping: grouping.right,
    },
    structures: structures.right,
  });
}

/** DIR/dataset.json, checked: a Left names the file and the first field that is missing or of the wrong kind. */
export function readDatasetProvenance(dir: string): E.Either<DataError, DatasetRecord> {
  const path = join(dir, DATASET_FILE);
  const json = readJsonFile(path, 'a dataset provenance file');
  if (E.isLeft(json)) return json;
  const r = record(json.right);
  return E.isLeft(r) ? E.left(dataError(path, r.left)) : r;
}

/** Task names of the large targets (the structures marked `coarse`), over every plane. */
export const largeTargetTaskNames = (d: DatasetRecord): Set<string> =>
  new Set(d.structures.filter((s) => s.coarse).flatMap((s) => Object.values(s.planes).map((p) => p.task)));
