// The One-Prompt model's I/O contract, in one place (docs/model-io.md): the one-file model's six inputs and its
// output, the encoder/decoder pair's names and how its two files fit together, and how a tool handed any compiled
// model reads its geometry (S, K) and checks it from the declared inputs, without a side file. The model code
// (model.ts, split.ts), the CLI, eval, training and the page all take the names from here. Browser-safe.
import * as E from 'fp-ts/lib/Either.js';

/** The model's input geometry: S (square input size) and K (point budget). */
export interface ModelGeometry {
  readonly size: number;
  readonly points: number;
}

// ---- the one-file model ----

/** The one-file model's inputs, in order: query (B, 1, S, S), template (B, 1, S, S), then the prompt's four. */
export const INPUT_NAMES = ['query', 'template', 'prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'] as const;
export type InputName = (typeof INPUT_NAMES)[number];
/** The prompt's inputs: (B, K, 2) points in [0, 1], (B, K) roles, (B, 1, S, S) mask, (B, 4) type one-hot. */
export const PROMPT_INPUTS = ['prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'] as const;
/** The output of the model and of the prompt decoder: mask logits (B, 1, S, S). */
export const OUTPUT_NAME = 'mask_logits';

/** Each input's dims for a batch of B. */
export function inputDims(batch: number, g: ModelGeometry): Record<InputName, number[]> {
  const { size: S, points: K } = g;
  return {
    query: [batch, 1, S, S],
    template: [batch, 1, S, S],
    prompt_points: [batch, K, 2],
    prompt_labels: [batch, K],
    prompt_mask: [batch, 1, S, S],
    prompt_type: [batch, 4],
  };
}

/** The output's dims for a batch of B. */
export const outputDims = (batch: number, g: ModelGeometry): number[] => [batch, 1, g.size, g.size];

// ---- the encoder/decoder pair (compile --split, split.ts) ----

/** The encoder's input: one image batch (B, 1, S, S). */
export const IMAGE_NAME = 'image';
/** The encoder's output for level j's feature map f_j. */
export const featuresName = (j: number): string => `features_${j}`;
/** The encoder's output for the tokens of level l. */
export const tokensName = (level: number): string => `tokens_${level}`;
/** The decoder's input for encoder output `name` of the query or of the template. */
export const partName = (role: 'query' | 'template', name: string): string => `${role}_${name}`;
/** ONNX metadata key of the encoder and decoder files: the sha256 of the one-file model they were compiled with. */
export const PAIR_OF_KEY = 'oneprompt.pair_of';

/** NAME.onnx → NAME.encoder.onnx and NAME.decoder.onnx beside it. */
export function pairFiles(oneFile: string): { readonly encoder: string; readonly decoder: string } {
  const stem = oneFile.replace(/\.onnx$/, '');
  return { encoder: `${stem}.encoder.onnx`, decoder: `${stem}.decoder.onnx` };
}

// ---- reading a compiled model's declared inputs and outputs ----

/** A declared tensor: name and shape (numbers, or names / undefined for symbolic dims). */
export interface DeclaredInput {
  readonly name: string;
  readonly shape: readonly (number | string | undefined | null)[];
}
export type Declared = DeclaredInput;

const fixed = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;
const fmt = (s: readonly unknown[]): string => `[${s.map((d) => d ?? '?').join(', ')}]`;

/** S from query (B, 1, S, S) and K from prompt_points (B, K, 2); every input of the one-file model must be declared. */
export function geometryFromInputs(inputs: readonly DeclaredInput[]): E.Either<string, ModelGeometry> {
  const byName = new Map(inputs.map((i) => [i.name, i.shape]));
  const missing = INPUT_NAMES.filter((n) => !byName.has(n));
  if (missing.length) return E.left(`not a One-Prompt model: input(s) ${missing.join(', ')} missing (it takes ${inputs.map((i) => i.name).join(', ') || 'nothing'})`);
  const q = byName.get('query')!;
  const p = byName.get('prompt_points')!;
  if (q.length !== 4 || !fixed(q[2]) || q[2] !== q[3]) return E.left(`input query must be (B, 1, S, S) with a fixed S, got [${q.join(', ')}]`);
  if (p.length !== 3 || !fixed(p[1]) || p[2] !== 2) return E.left(`input prompt_points must be (B, K, 2) with a fixed K, got [${p.join(', ')}]`);
  return E.right({ size: q[2], points: p[1] });
}

/**
 * How an image encoder and a prompt decoder fit together, read from the two files' declared inputs and outputs, so
 * that any such pair plugs in: the encoder takes one image (B, 1, S, S); each decoder input `query_X` / `template_X`
 * is the encoder's output X for the query / the template; the decoder's other inputs are the prompt's and it gives
 * mask_logits.
 */
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
  if (!decoder.outputs.some((o) => o.name === OUTPUT_NAME)) return E.left(`decoder: no output ${OUTPUT_NAME} (it gives ${decoder.outputs.map((o) => o.name).join(', ')})`);

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
