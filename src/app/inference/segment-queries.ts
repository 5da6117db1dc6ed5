// The one inference pipeline, "template + prompt + query → batch → logits → mask": `decodePairs` runs any list of
// (query, prompted template) pairs through a model used as encode + decode (prompt-segmenter.ts), batched, each image
// encoded once while pairs need it (or kept across calls in the caller's cache: the page). `segment`, `everything`,
// ensembles and label maps (segmentQueriesByGroup below), `eval` (src/app/eval) and the page (web/app.ts) run on it.
//
// One or more prompted templates applied to any number of queries, batched: the core of `oneprompt segment`.
// With K > 1 templates the K predictions for a query are averaged as probabilities (the paper's ensemble, §3.3:
// "we run the model 50 times and ensemble the predictions"); the mean probability is turned back into a logit so
// that the way back to the query's size (bilinear on logits, threshold at 0) is the same as for one template.
// The model is used as encode + decode (prompt-segmenter.ts): each template is encoded once for all queries and each
// query once for all its K templates, which costs nothing extra with the one-file model and is where an
// encoder/decoder pair saves its time.
import * as E from 'fp-ts/lib/Either.js';
import type { DataError } from '../data/errors.js';
import type { GreyImage, Mask } from '../data/image.js';
import type { Normalisation } from '../data/intensity.js';
import { imageToInput, itemPlane, logitsToMask } from './model-inputs.js';
import { encodePrompt, type PromptTensors } from '../data/prompt-tensors.js';
import type { Prompt } from '../data/prompt.js';
import type { BatchPredictor as Predictor } from './prompt-segmenter.js';
import { oneFileSegmenter, type PromptSegmenter } from './prompt-segmenter.js';
import { type ModelGeometry } from '../../../graphs/oneprompt/contract.js';

export interface PromptedTemplate {
  readonly image: GreyImage;
  readonly prompt: Prompt;
  /** Where the prompt came from (for error messages). */
  readonly source: string;
}

export interface SegmentQueriesOptions {
  readonly templates: readonly PromptedTemplate[];
  readonly queries: readonly GreyImage[];
  readonly geometry: ModelGeometry;
  /** The one-file model's batched forward; or give `segmenter`. */
  readonly predict?: Predictor;
  /** The model as encode + decode (an encoder/decoder pair); default: the one-file model around `predict`. */
  readonly segmenter?: PromptSegmenter;
  /** Model inputs per run (B). */
  readonly batchSize: number;
  readonly normalisation?: Normalisation;
  /** After each run: pairs (query × template) done of total. */
  readonly onBatch?: (done: number, total: number) => void;
}

export interface QueryMask {
  /** At the query's own size. */
  readonly mask: Mask;
  /** Mean (ensemble) probability over the pixels the model calls foreground, at S×S; 0 when there are none. */
  readonly confidence: number;
  /** The (ensemble) logits at S×S, what `mask` was made from: several prompts' masks are merged by the larger one. */
  readonly logits: Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** Keeps logits finite where the mean probability is 0 or 1 in float arithmetic. */
const EPS = 1e-7;

/** Confidence of one S×S logit plane: mean sigmoid over its positive pixels. */
export function maskConfidence(logits: Float32Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > 0) {
      sum += sigmoid(logits[i]);
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** One (query, prompted template) pair. Images are named by keys: a key is encoded once while pairs need it. */
export interface PairJob {
  readonly query: string;
  readonly template: string;
  readonly prompt: PromptTensors;
}

/** Where encodings may be kept across calls (the page keeps each slice's while prompts change: EncodingCache). */
export interface EncodingStore {
  get(key: string): unknown;
  set(key: string, encoding: unknown): unknown;
}

export interface DecodePairsOptions {
  readonly model: PromptSegmenter;
  /** An image's (1, S, S) plane (imageToInput), asked for only when it has to be encoded. */
  readonly plane: (key: string) => Float32Array;
  /** The pairs, in the order to decode them. */
  readonly jobs: readonly PairJob[];
  /** Pairs per decoder run (B), and query images per encoder run. */
  readonly batchSize: number;
  /** Each pair's mask logits (S×S), as its batch comes back. */
  readonly onLogits: (job: number, logits: Float32Array) => void;
  /** After each run: pairs done of total. */
  readonly onBatch?: (done: number, total: number) => void;
  /** Encodings kept across calls, by `${key}:${role}`. */
  readonly cache?: EncodingStore;
  /** Asked before each batch: true stops the run there (a newer prompt in the page). */
  readonly stop?: () => boolean;
}

/**
 * Decode `jobs` in batches. Every template is encoded first (once per key); a query not encoded yet is encoded with
 * the ones after it in first-use order, a batch at a time (one encoder run per batchSize queries however many
 * templates each has), and dropped after its last pair unless the cache keeps it, so at most about 2 × batchSize query
 * encodings are held at once when pairs come query by query. Returns 'stopped' when `stop` said so.
 */
export async function decodePairs(o: DecodePairsOptions): Promise<'done' | 'stopped'> {
  const { model, jobs, batchSize, cache } = o;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`decodePairs: batch size must be a positive integer, got ${batchSize}`);
  const S = model.geometry.size;
  const encodeKeys = async (keys: readonly string[], role: 'query' | 'template', into: Map<string, unknown>): Promise<void> => {
    const missing: string[] = [];
    for (const k of keys) {
      const hit = cache?.get(`${k}:${role}`);
      if (hit !== undefined) into.set(k, hit);
      else if (!missing.includes(k)) missing.push(k);
    }
    if (missing.length === 0) return;
    const codes = await model.encode(missing.map(o.plane), role);
    missing.forEach((k, i) => {
      into.set(k, codes[i]);
      cache?.set(`${k}:${role}`, codes[i]);
    });
  };
  const templates = new Map<string, unknown>();
  await encodeKeys([...new Set(jobs.map((j) => j.template))], 'template', templates);
  // Queries in first-use order, and the last pair that needs each.
  const order: string[] = [];
  const position = new Map<string, number>();
  const lastUse = new Map<string, number>();
  jobs.forEach((j, i) => {
    if (!position.has(j.query)) position.set(j.query, order.length), order.push(j.query);
    lastUse.set(j.query, i);
  });
  const queries = new Map<string, unknown>();
  for (let start = 0; start < jobs.length; start += batchSize) {
    if (o.stop?.()) return 'stopped';
    const batch = jobs.slice(start, start + batchSize);
    const needed = batch.map((j) => position.get(j.query)!).filter((p) => !queries.has(order[p]));
    if (needed.length) {
      const from = Math.min(...needed);
      const to = Math.max(Math.max(...needed) + 1, Math.min(order.length, from + batchSize));
      await encodeKeys(
        order.slice(from, to).filter((k) => !queries.has(k)),
        'query',
        queries,
      );
    }
    const logits = await model.decode(batch.map((j) => ({ query: queries.get(j.query), template: templates.get(j.template), prompt: j.prompt })));
    batch.forEach((j, b) => {
      o.onLogits(start + b, itemPlane(logits, b, S));
      if (lastUse.get(j.query) === start + b) queries.delete(j.query);
    });
    o.onBatch?.(start + batch.length, jobs.length);
  }
  return 'done';
}

export async function segmentQueries(opts: SegmentQueriesOptions): Promise<E.Either<DataError, QueryMask[]>> {
  return E.map((byGroup: QueryMask[][]) => byGroup[0])(await segmentQueriesByGroup({ ...opts, groups: [opts.templates] }));
}

/**
 * Several groups of prompted templates (a label map's prompts, each maybe an ensemble) on the same queries in one
 * pass: each query is encoded once for all groups' templates. Masks per group, then per query.
 */
export async function segmentQueriesByGroup(
  opts: Omit<SegmentQueriesOptions, 'templates'> & { readonly groups: readonly (readonly PromptedTemplate[])[] },
): Promise<E.Either<DataError, QueryMask[][]>> {
  const { groups, queries, geometry, batchSize, normalisation } = opts;
  const S = geometry.size;
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new RangeError('segmentQueries: no templates');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`segmentQueries: batch size must be a positive integer, got ${batchSize}`);
  const model = opts.segmenter ?? (opts.predict ? oneFileSegmenter(geometry, opts.predict) : undefined);
  if (!model) throw new RangeError('segmentQueries: give predict or segmenter');
  const templates = groups.flat();
  const groupOf = groups.flatMap((g, i) => g.map(() => i));
  // Every prompt is encoded (and so checked against the model's point budget) before the first run.
  const prompts: PromptTensors[] = [];
  for (const t of templates) {
    const p = encodePrompt(t.prompt, t.image, geometry, t.source);
    if (E.isLeft(p)) return p;
    prompts.push(p.right);
  }
  // Images are keyed by identity: a template image several prompts share is encoded once.
  const keyOf = new Map<GreyImage, string>();
  const images: GreyImage[] = [];
  const key = (img: GreyImage, role: 'q' | 't'): string => {
    let k = keyOf.get(img);
    if (k === undefined) keyOf.set(img, (k = String(images.length))), images.push(img);
    return `${role}${k}`;
  };
  const K = templates.length;
  const templateKeys = templates.map((t) => key(t.image, 't'));
  const queryKeys = queries.map((q) => key(q, 'q'));
  const jobs: PairJob[] = [];
  for (let q = 0; q < queries.length; q++) for (let k = 0; k < K; k++) jobs.push({ query: queryKeys[q], template: templateKeys[k], prompt: prompts[k] });
  const results: QueryMask[][] = groups.map(() => new Array(queries.length));
  // Per query and group, the running sum of probabilities (an ensemble) or the logits (one template), dropped once
  // the query is done.
  const acc = new Map<number, Float32Array[]>();
  const finish = (q: number): void => {
    const sums = acc.get(q)!;
    acc.delete(q);
    sums.forEach((sum, g) => {
      const n = groups[g].length;
      const logits =
        n === 1
          ? sum
          : sum.map((s) => {
              const p = Math.min(1 - EPS, Math.max(EPS, s / n));
              return Math.log(p / (1 - p));
            });
      // The mask at the query's size is made when first asked for: a label map (segment) merges the logits instead,
      // and a volume's slices would otherwise hold one more byte per voxel until the end.
      const { width, height } = queries[q];
      let mask: Mask | undefined;
      results[g][q] = {
        get mask() {
          return (mask ??= logitsToMask(logits, S, width, height));
        },
        confidence: maskConfidence(logits),
        logits,
      };
    });
  };
  await decodePairs({
    model,
    plane: (k) => imageToInput(images[Number(k.slice(1))], S, normalisation),
    jobs,
    batchSize,
    onLogits: (i, plane) => {
      const q = Math.floor(i / K);
      const k = i % K;
      const g = groupOf[k];
      const sums = acc.get(q) ?? groups.map(() => new Float32Array(S * S));
      acc.set(q, sums);
      if (groups[g].length === 1) sums[g].set(plane);
      else for (let j = 0; j < plane.length; j++) sums[g][j] += sigmoid(plane[j]);
      if (k === K - 1) finish(q);
    },
    onBatch: opts.onBatch,
  });
  return E.right(results);
}
