// The sample image sets the page's "Load sample" button offers: every folder under the samples root that holds
// at least two images, in images/ (the dataset layout, src/app/data/dataset.ts) or in the folder itself. The template
// is the one templates.json or prompt.json gives a prompt for, else a file called template.*, else the first image
// by name; the other images are the queries. Read on each request (cheap: names and two small JSON files).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { decodePromptSpec, promptToJson } from '../data/prompt.js';
import { parseJson } from '../../util/json.js';
import { MAX_JSON_BYTES, readRegularText } from '../../util/safe-read.js';

export interface SampleSet {
  readonly name: string;
  /** URL of the template image. */
  readonly template: string;
  /** URLs of the query images. */
  readonly queries: readonly string[];
  /** The template's prompt JSON, if the set has one (a SegLab mask path is relative to the template's folder). */
  readonly prompt?: unknown;
}

const IMAGE = /\.(png|jpe?g|nii|nii\.gz|dcm)$/i;
/** Enough queries for a screen; a large folder must not turn one click into hundreds of downloads. */
export const MAX_QUERIES = 8;

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
/** Regular files only: a pipe or device named like an image is not offered (nor served: static-server.ts). */
const images = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => IMAGE.test(f) && !f.startsWith('.') && isFile(join(dir, f)))
    .sort();
/**
 * A small JSON file of the set; never blocks: a FIFO named templates.json would otherwise freeze the server's one
 * thread (every later request, and its SIGTERM handler). Throws on anything wrong; the caller ignores the file then.
 */
const readJson = (path: string): unknown => {
  const parsed = parseJson(readRegularText(path, MAX_JSON_BYTES, "a sample set's prompt file"));
  if (E.isLeft(parsed)) throw new Error(parsed.left.message);
  return parsed.right;
};
const url = (prefix: string, ...parts: string[]): string => prefix + parts.map(encodeURIComponent).join('/');

interface GivenTemplate {
  readonly image: string;
  readonly prompt: unknown;
}

const readPrompt = (json: unknown, source: string): unknown => {
  const spec = decodePromptSpec(json, source);
  return E.isRight(spec) ? spec.right : undefined;
};

/**
 * The set's prompted template: the first entry of templates.json (the dataset layout), or else prompt.json, which
 * belongs to the middle image by name (as scripts/make-sample-mri.ts writes samples/mri).
 */
function givenTemplate(dir: string, files: readonly string[]): GivenTemplate | undefined {
  try {
    const list = join(dir, 'templates.json');
    if (existsSync(list)) {
      const entries = readJson(list);
      const first = Array.isArray(entries) ? (entries[0] as Partial<GivenTemplate> | undefined) : undefined;
      const prompt = first && typeof first.image === 'string' ? readPrompt(first.prompt, list) : undefined;
      return prompt ? { image: first!.image!, prompt } : undefined;
    }
    const single = join(dir, 'prompt.json');
    if (existsSync(single) && files.length > 0) {
      const prompt = readPrompt(readJson(single), single);
      return prompt ? { image: files[Math.floor(files.length / 2)], prompt } : undefined;
    }
  } catch {
    // An unreadable or malformed prompt file leaves the set without a prompt; the user draws one.
  }
  return undefined;
}

function sampleSet(root: string, name: string, prefix: string): SampleSet | undefined {
  const dir = join(root, name);
  const sub = isDir(join(dir, 'images')) ? ['images'] : [];
  const files = images(join(dir, ...sub));
  if (files.length < 2) return undefined;
  const given = givenTemplate(dir, files);
  const template = given && files.includes(given.image) ? given.image : (files.find((f) => /^template\./i.test(f)) ?? files[0]);
  const queries = files.filter((f) => f !== template).slice(0, MAX_QUERIES);
  let prompt = given && given.image === template ? given.prompt : undefined;
  // A SegLab mask is named relative to the set folder; the page resolves it against the template's URL.
  const seglab = prompt as { type?: string; mask?: string } | undefined;
  if (seglab?.type === 'seglab' && sub.length) prompt = promptToJson({ type: 'seglab', mask: `../${seglab.mask}` });
  const at = (f: string): string => url(prefix, name, ...sub, f);
  return { name, template: at(template), queries: queries.map(at), ...(prompt ? { prompt } : {}) };
}

/** Sample sets under `root` (sorted by folder name), served at `prefix` (e.g. '/samples/'). */
export function findSampleSets(root: string | undefined, prefix = '/samples/'): SampleSet[] {
  if (!root || !isDir(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.') && isDir(join(root, n)))
    .sort()
    .flatMap((n) => sampleSet(root, n, prefix) ?? []);
}
