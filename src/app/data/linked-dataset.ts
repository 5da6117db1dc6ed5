// A dataset folder made from another without copying it: every entry of the source (task folders, dataset.json) is
// linked, split.json is the caller's, and the caller may add entries of its own (new task folders, a summary) to the
// staging folder. Built in OUT.partial and renamed into place, so a crash leaves no half-made dataset under OUT, and a
// failure removes the staging folder. scripts/subset-dataset.ts (a few training tasks, for the fit test) and
// scripts/add-small-structures.ts (the source plus the structures it left out) make theirs this way. Node-only.
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Json } from '../../util/json.js';
import { dataError, type DataError } from './errors.js';
import { readJsonFile } from './json-file.js';

/** split.json as written: "train" checked, every other key kept as it is (a derived dataset rewrites some of them). */
export type RawSplit = { readonly train: readonly string[] } & { readonly [key: string]: Json | readonly string[] };

export function readRawSplit(dir: string): E.Either<DataError, RawSplit> {
  const path = join(dir, 'split.json');
  const json = readJsonFile(path, 'a JSON listing');
  if (E.isLeft(json)) return json;
  const v = json.right;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return E.left(dataError(path, 'the file must hold an object'));
  const train = v.train;
  if (!Array.isArray(train) || !train.every((t): t is string => typeof t === 'string'))
    return E.left(dataError(path, '"train" must be a list of task names', 'train'));
  return E.right({ ...v, train });
}

export interface LinkedDatasetOptions {
  readonly from: string;
  /** The new folder; must not exist. */
  readonly out: string;
  /** Its split.json. */
  readonly split: RawSplit;
  /** Adds entries of the new dataset's own to the staging folder (names the source has are refused). */
  readonly fill?: (staging: string) => void;
}

export function writeLinkedDataset(o: LinkedDatasetOptions): void {
  if (existsSync(o.out)) throw new Error(`${o.out} exists; give a new folder`);
  const staging = `${o.out}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    o.fill?.(staging);
    const own = new Set(readdirSync(staging));
    for (const entry of readdirSync(o.from)) {
      if (entry === 'split.json') continue;
      if (own.has(entry)) throw new Error(`${o.out}: ${entry} is both the source's and new; the source's would be hidden`);
      symlinkSync(resolve(o.from, entry), join(staging, entry));
    }
    writeFileSync(join(staging, 'split.json'), `${JSON.stringify(o.split, null, 1)}\n`);
    renameSync(staging, o.out);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
