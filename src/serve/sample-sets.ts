// The sample image sets the page's "Load sample" button offers: every folder under the samples root that holds
// images. A folder in the dataset layout (images/ with an optional templates.json, src/data/dataset.ts) gives its
// first template and that template's prompt; a plain folder of images gives its file called template.* (or else
// its first image, by name) as the template and the other images as queries. Read on each request (cheap: names only).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { decodePromptSpec, promptToJson } from '../data/prompt.js';

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
const images = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => IMAGE.test(f) && !f.startsWith('.') && !isDir(join(dir, f)))
    .sort();
const url = (prefix: string, ...parts: string[]): string => prefix + parts.map(encodeURIComponent).join('/');

interface TemplatesEntry {
  readonly image: string;
  readonly prompt: unknown;
}

function firstTemplate(dir: string): TemplatesEntry | undefined {
  const file = join(dir, 'templates.json');
  if (!existsSync(file)) return undefined;
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const first = Array.isArray(list) ? (list[0] as Partial<TemplatesEntry> | undefined) : undefined;
    if (!first || typeof first.image !== 'string') return undefined;
    const spec = decodePromptSpec(first.prompt, file);
    return E.isRight(spec) ? { image: first.image, prompt: spec.right } : undefined;
  } catch {
    return undefined;
  }
}

function sampleSet(root: string, name: string, prefix: string): SampleSet | undefined {
  const dir = join(root, name);
  if (isDir(join(dir, 'images'))) {
    const files = images(join(dir, 'images'));
    if (files.length < 2) return undefined;
    const given = firstTemplate(dir);
    const template = given && files.includes(given.image) ? given.image : files[0];
    const queries = files.filter((f) => f !== template).slice(0, MAX_QUERIES);
    const prompt = given && given.image === template ? given.prompt : undefined;
    // templates.json names a SegLab mask relative to the task folder; the page resolves it against images/.
    const fixed = prompt && (prompt as { type?: string }).type === 'seglab' ? promptToJson({ type: 'seglab', mask: `../${(prompt as { mask: string }).mask}` }) : prompt;
    return { name, template: url(prefix, name, 'images', template), queries: queries.map((q) => url(prefix, name, 'images', q)), ...(fixed ? { prompt: fixed } : {}) };
  }
  const files = images(dir);
  if (files.length < 2) return undefined;
  const template = files.find((f) => /^template\./i.test(f)) ?? files[0];
  const queries = files.filter((f) => f !== template).slice(0, MAX_QUERIES);
  return { name, template: url(prefix, name, template), queries: queries.map((q) => url(prefix, name, q)) };
}

/** Sample sets under `root` (sorted by folder name), served at `prefix` (e.g. '/samples/'). */
export function findSampleSets(root: string | undefined, prefix = '/samples/'): SampleSet[] {
  if (!root || !isDir(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.') && isDir(join(root, n)))
    .sort()
    .flatMap((n) => sampleSet(root, n, prefix) ?? []);
}
