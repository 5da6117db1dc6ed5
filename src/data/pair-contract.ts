// How an image encoder and a prompt decoder (`compile --split`, docs/model-io.md) fit together, read from the two
// files' declared inputs and outputs, so that any such pair plugs in without a side file: the encoder takes one image
// (B, 1, S, S); each decoder input `query_X` / `template_X` is the encoder's output X for the query / the template;
// the decoder's other inputs are the prompt's (prompt_points, prompt_labels, prompt_mask, prompt_type) and it gives
// mask_logits. Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import type { DeclaredInput } from './model-geometry.js';
import type { ModelGeometry } from './prompt-tensors.js';

export const PROMPT_INPUTS = ['prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'] as const;

/** A declared tensor: name and shape (numbers, or names / undefined for symbolic dims). */
export type Declared = DeclaredInput;

export interface PairContract {
  readonly geometry: ModelGeometry;
  /** The encoder's input (one image, (B, 1, S, S)). */
  readonly image: string;
  /** The encoder outputs the decoder reads of a query (its inputs query_X) and of a template (template_X). */
  readonly queryParts: readonly string[];
  readonly templateParts: readonly string[];
  /** Each part's shape for one image (the declared shape without B). */
  readonly partDims: Readonly<Record<string, readonly number[]>>;
}

const fixed = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;
const fmt = (s: readonly unknown[]): string => `[${s.map((d) => d ?? '?').join(', ')}]`;

/** The contract of an encoder (its inputs and outputs) and a decoder (its inputs and outputs); errors say which file and tensor. */
export function pairContract(encoder: { inputs: readonly Declared[]; outputs: readonly Declared[] }, decoder: { inputs: readonly Declared[]; outputs: readonly Declared[] }): E.Either<string, PairContract> {
  if (encoder.inputs.length !== 1) return E.left(`encoder: takes ${encoder.inputs.length} inputs (${encoder.inputs.map((i) => i.name).join(', ')}); an image encoder takes one image (B, 1, S, S)`);
  const [image] = encoder.inputs;
  if (image.shape.length !== 4 || image.shape[1] !== 1 || !fixed(image.shape[2]) || image.shape[2] !== image.shape[3])
    return E.left(`encoder: input ${image.name} must be (B, 1, S, S) with a fixed S, got ${fmt(image.shape)}`);
  const size = image.shape[2];
  const byName = new Map(decoder.inputs.map((i) => [i.name, i.shape]));
  const missing = PROMPT_INPUTS.filter((n) => !byName.has(n));
  if (missing.length) return E.left(`decoder: input(s) ${missing.join(', ')} missing (it takes ${decoder.inputs.map((i) => i.name).join(', ')})`);
  const points = byName.get('prompt_points')!;
  if (points.length !== 3 || !fixed(points[1]) || points[2] !== 2) return E.left(`decoder: input prompt_points must be (B, K, 2) with a fixed K, got ${fmt(points)}`);
  const mask = byName.get('prompt_mask')!;
  if (mask.length !== 4 || mask[2] !== size || mask[3] !== size) return E.left(`decoder: input prompt_mask is ${fmt(mask)} but the encoder's images are ${size}×${size}`);
  if (!decoder.outputs.some((o) => o.name === 'mask_logits')) return E.left(`decoder: no output mask_logits (it gives ${decoder.outputs.map((o) => o.name).join(', ')})`);

  const encoded = new Map(encoder.outputs.map((o) => [o.name, o.shape]));
  const queryParts: string[] = [];
  const templateParts: string[] = [];
  const partDims: Record<string, readonly number[]> = {};
  for (const input of decoder.inputs) {
    if ((PROMPT_INPUTS as readonly string[]).includes(input.name)) continue;
    const m = /^(query|template)_(.+)$/.exec(input.name);
    if (!m) return E.left(`decoder: input ${input.name} is neither a prompt input nor query_X / template_X (X an encoder output)`);
    const [, role, part] = m;
    const made = encoded.get(part);
    if (!made) return E.left(`decoder: input ${input.name} reads the encoder's output ${part}, which the encoder does not give (it gives ${[...encoded.keys()].join(', ')})`);
    const dims = input.shape.slice(1);
    if (!dims.every(fixed)) return E.left(`decoder: input ${input.name} must have fixed dims after B, got ${fmt(input.shape)}`);
    if (made.length !== input.shape.length || made.slice(1).some((d, i) => d !== dims[i])) return E.left(`decoder: input ${input.name} is ${fmt(input.shape)} but the encoder's ${part} is ${fmt(made)}`);
    partDims[part] = dims;
    (role === 'query' ? queryParts : templateParts).push(part);
  }
  if (queryParts.length === 0) return E.left('decoder: reads nothing of the query (no query_X input)');
  return E.right({ geometry: { size, points: points[1] }, image: image.name, queryParts, templateParts, partDims });
}
