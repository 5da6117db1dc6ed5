// `--templates FILE` of `oneprompt segment --ensemble K`: prompted templates in the templates.json format of the
// dataset layout (docs/prompts.md), a list of {"image", "prompt"}. `image` is relative to the file's folder, or
// to its images/ subfolder (so a task's own DIR/<task>/templates.json works as it is); a SegLab mask is relative to
// the file's folder. Errors point into the list: `templates.json ([1].prompt.mask): ...`. Node-only.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { clipName, dataError, type DataError } from '../data/errors.js';
import { readJsonFile } from '../data/json-file.js';
import { readImage, type ReadOptions } from '../data/load.js';
import { resolvePrompt } from '../data/prompt-file.js';
import { decodePromptSpec } from '../data/prompt.js';
import { parseSliceRef } from '../data/slice-ref.js';
import type { PromptedTemplate } from '../inference/segment-queries.js';

const under = (where: string, inner: string | undefined): string => (inner ? `${where}.${inner}` : where);

function imagePath(image: string, baseDir: string): string | undefined {
  const candidates = isAbsolute(image) ? [image] : [resolve(baseDir, image), resolve(join(baseDir, 'images'), image)];
  return candidates.find((c) => existsSync(c));
}

function readEntry(entry: unknown, i: number, file: string, baseDir: string, read: ReadOptions): E.Either<DataError, PromptedTemplate> {
  const where = `[${i}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return E.left(dataError(file, 'each entry must be {"image", "prompt"}', where));
  const extra = Object.keys(entry).find((k) => k !== 'image' && k !== 'prompt');
  if (extra !== undefined) return E.left(dataError(file, `unexpected key ${JSON.stringify(clipName(extra, 80))} (expected "image", "prompt")`, where));
  const { image, prompt } = entry as Record<string, unknown>;
  if (typeof image !== 'string' || image === '')
    return E.left(dataError(file, `"image" must be a file name, got ${JSON.stringify(image)?.slice(0, 80)}`, `${where}.image`));
  // "scan.nii.gz#axial=40": that slice of the volume (the dataset layout's names for volume samples).
  const ref = parseSliceRef(image, (p) => imagePath(p, baseDir) !== undefined);
  const path = imagePath(ref.path, baseDir);
  if (!path) return E.left(dataError(file, `image ${clipName(ref.path)} not found (looked in ${baseDir} and ${join(baseDir, 'images')})`, `${where}.image`));
  return pipe(
    readImage(path, ref.plane ? { ...read, plane: ref.plane, slice: ref.slice } : read),
    E.mapLeft((e) => dataError(file, `image ${clipName(image)}: ${e.where ? `${e.message} (${e.where})` : e.message}`, `${where}.image`)),
    E.chain((img) =>
      pipe(
        decodePromptSpec(prompt, file),
        E.chain((spec) => resolvePrompt(spec, img, file, baseDir)),
        E.mapLeft((e): DataError => ({ ...e, where: under(`${where}.prompt`, e.where) })),
        E.map((p): PromptedTemplate => ({ image: img, prompt: p, source: `${file} ${where}` })),
      ),
    ),
  );
}

/** The first `limit` entries of a templates file (all of them without a limit), each image read and prompt checked. */
export function readTemplatesFile(file: string, read: ReadOptions = {}, limit?: number): E.Either<DataError, PromptedTemplate[]> {
  const json = readJsonFile(file, 'a templates file');
  if (E.isLeft(json)) return json;
  if (!Array.isArray(json.right)) return E.left(dataError(file, 'must be a list of {"image", "prompt"} entries'));
  if (json.right.length === 0) return E.left(dataError(file, 'lists no templates'));
  const entries = limit === undefined ? json.right : json.right.slice(0, limit);
  const out: PromptedTemplate[] = [];
  const baseDir = dirname(resolve(file));
  for (let i = 0; i < entries.length; i++) {
    const t = readEntry(entries[i], i, file, baseDir, read);
    if (E.isLeft(t)) return t;
    out.push(t.right);
  }
  return E.right(out);
}
