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
import { imageToInput, itemPlane, logitsToMask } from '../data/model-inputs.js';
import { encodePrompt, type PromptTensors } from '../data/prompt-tensors.js';
import type { Prompt } from '../data/prompt.js';
import type { Predictor } from '../eval/protocol.js';
import { oneFileSegmenter, type DecodeItem, type PromptSegmenter } from '../data/prompt-segmenter.js';
import { type ModelGeometry } from '../../graphs/oneprompt/contract.js';

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

export async function segmentQueries(opts: SegmentQueriesOptions): Promise<E.Either<DataError, QueryMask[]>> {
  return E.map((byGroup: QueryMask[][]) => byGroup[0])(await segmentQueriesByGroup({ ...opts, groups: [opts.templates] }));
}

/**
 * Several groups of prompted templates (a label map's prompts, each maybe an ensemble) on the same queries in one
 * pass: each query is encoded once for all groups' templates. Masks per group, then per query.
 */
export async function segmentQueriesByGroup(opts: Omit<SegmentQueriesOptions, 'templates'> & { readonly groups: readonly (readonly PromptedTemplate[])[] }): Promise<E.Either<DataError, QueryMask[][]>> {
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
  const templateCodes = await model.encode(templates.map((t) => imageToInput(t.image, S, normalisation)), 'template');
  const K = templates.length;
  const total = queries.length * K;
  const results: QueryMask[][] = groups.map(() => new Array(queries.length));
  // Per query and group, the running sum of probabilities (an ensemble) or the logits (one template), dropped once
  // the query is done.
  const acc = new Map<number, Float32Array[]>();
  const finish = (q: number): void => {
    const sums = acc.get(q)!;
    acc.delete(q);
    sums.forEach((sum, g) => {
      const n = groups[g].length;
      const logits = n === 1 ? sum : sum.map((s) => {
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
  const queryCodes = new Map<number, unknown>();
  for (let start = 0; start < total; start += batchSize) {
    const jobs = Array.from({ length: Math.min(batchSize, total - start) }, (_, j) => ({ q: Math.floor((start + j) / K), k: (start + j) % K }));
    // Each query encoded once and kept until its K jobs are done. A query not encoded yet is encoded with the ones
    // after it, a batch at a time: one encoder run per batchSize queries however many templates each has (an
    // ensemble's decode batch holds few queries), and at most about 2 × batchSize query encodings held at once.
    const needed = jobs.map((j) => j.q).filter((q) => !queryCodes.has(q));
    if (needed.length) {
      const from = Math.min(...needed);
      const fresh = Array.from({ length: Math.max(Math.max(...needed) + 1, Math.min(queries.length, from + batchSize)) - from }, (_, i) => from + i).filter((q) => !queryCodes.has(q));
      const codes = await model.encode(fresh.map((q) => imageToInput(queries[q], S, normalisation)), 'query');
      fresh.forEach((q, i) => queryCodes.set(q, codes[i]));
    }
    const items: DecodeItem<unknown>[] = jobs.map(({ q, k }) => ({ query: queryCodes.get(q), template: templateCodes[k], prompt: prompts[k] }));
    const logits = await model.decode(items);
    jobs.forEach(({ q, k }, b) => {
      const plane = itemPlane(logits, b, S);
      const g = groupOf[k];
      const sums = acc.get(q) ?? groups.map(() => new Float32Array(S * S));
      acc.set(q, sums);
      if (groups[g].length === 1) sums[g].set(plane);
      else for (let i = 0; i < plane.length; i++) sums[g][i] += sigmoid(plane[i]);
      if (k === K - 1) {
        finish(q);
        queryCodes.delete(q);
      }
    });
    opts.onBatch?.(start + jobs.length, total);
  }
  return E.right(results);
}
