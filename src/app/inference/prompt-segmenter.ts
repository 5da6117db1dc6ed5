// The One-Prompt model as two steps, so that callers encode each image once however many prompts, templates or
// clicks use it: `encode` turns normalised S×S planes into encodings, `decode` turns (query, template, prompt)
// triples of encodings into mask logits. The paper's model is such a pair (the image encoder runs on query and
// template alike; the prompt parser, the Former and the head need the prompt). Two implementations:
// - `pairSegmenter`, an image encoder and a prompt decoder compiled as two ONNX files (`compile --split`): an encoding
//   is the encoder's outputs for one image, and a prompt costs only the decoder;
// - `oneFileSegmenter`, the one-file model: the "encoding" is the normalised plane itself and `decode` runs the whole
//   forward.
// `segment`, `everything`, ensembles, volumes and the page use either as they are. Browser-safe.
import { stackBatch, type ModelInputs } from './model-inputs.js';
import { stackPrompts, type PromptTensors } from '../data/prompt-tensors.js';
import { inputDims, OUTPUT_NAME, PROMPT_INPUTS, type ModelGeometry, type PairContract } from '../../../graphs/oneprompt/contract.js';

export interface DecodeItem<Encoding> {
  readonly query: Encoding;
  readonly template: Encoding;
  readonly prompt: PromptTensors;
}

/**
 * What an encoding will be used as. An image used only as a template needs only what the decoder reads of a
 * template (a pair keeps its tokens, not its feature maps: for `small` 0.4 MiB instead of 8.1 MiB), and one used
 * only as a query only the query's part; 'both' (the default) serves either.
 */
export type EncodeRole = 'query' | 'template' | 'both';

export interface PromptSegmenter<Encoding = unknown> {
  readonly geometry: ModelGeometry;
  /** One encoding per (1, S, S) plane from imageToInput; the implementation batches as it likes. */
  encode(planes: readonly Float32Array[], role?: EncodeRole): Promise<Encoding[]>;
  /** mask_logits (B, 1, S, S) for B triples, in order. */
  decode(items: readonly DecodeItem<Encoding>[]): Promise<Float32Array>;
  /** Bytes an encoding holds (for caches that keep many). */
  bytes(encoding: Encoding): number;
}

/** Runs the one-file model on a batch of full inputs; returns mask_logits (B, 1, S, S). */
export type BatchPredictor = (inputs: ModelInputs) => Promise<Float32Array>;

/** The one-file model: encoding = the normalised plane, decode = the whole forward. */
export function oneFileSegmenter(geometry: ModelGeometry, predict: BatchPredictor): PromptSegmenter<Float32Array> {
  return {
    geometry,
    encode: async (planes) => [...planes],
    decode: (items) => predict(stackBatch(items, geometry)),
    bytes: (plane) => plane.byteLength,
  };
}

/** A float32 tensor as a runtime hands it over. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs one ONNX model: named inputs → the outputs asked for (all of them when `outputs` is absent). */
export type SessionRunner = (feeds: Record<string, FloatTensor>, outputs?: readonly string[]) => Promise<Record<string, FloatTensor>>;

/** One image's encoding from an encoder/decoder pair: the encoder's outputs for it that its role needs. */
export interface PairEncoding {
  readonly role: EncodeRole;
  readonly parts: Readonly<Record<string, Float32Array>>;
}

export interface PairSegmenterOptions {
  /** Images per encoder run (default 8). */
  readonly batch?: number;
  /** Told after each run: which model, and how many images or prompts it took. */
  readonly onRun?: (model: 'encoder' | 'decoder', items: number) => void;
}

/** An image encoder and a prompt decoder (contract: pair-contract.ts) as encode + decode. */
export function pairSegmenter(
  contract: PairContract,
  encoder: SessionRunner,
  decoder: SessionRunner,
  o: PairSegmenterOptions = {},
): PromptSegmenter<PairEncoding> {
  const { geometry, queryParts, templateParts, partDims } = contract;
  const S = geometry.size;
  const batch = o.batch ?? 8;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`pairSegmenter: batch must be a positive integer, got ${batch}`);
  const itemSize = (part: string): number => partDims[part].reduce((a, b) => a * b, 1);
  const wanted = (role: EncodeRole): string[] => [
    ...new Set(role === 'query' ? queryParts : role === 'template' ? templateParts : [...queryParts, ...templateParts]),
  ];

  const encode = async (planes: readonly Float32Array[], role: EncodeRole = 'both'): Promise<PairEncoding[]> => {
    const parts = wanted(role);
    const out: PairEncoding[] = [];
    for (let start = 0; start < planes.length; start += batch) {
      const chunk = planes.slice(start, start + batch);
      const images = new Float32Array(chunk.length * S * S);
      chunk.forEach((p, b) => {
        if (p.length !== S * S) throw new RangeError(`encode: image ${start + b} is not ${S}×${S}`);
        images.set(p, b * S * S);
      });
      const res = await encoder({ [contract.image]: { data: images, dims: [chunk.length, 1, S, S] } }, parts);
      o.onRun?.('encoder', chunk.length);
      chunk.forEach((_, b) => {
        // A copy per image: an encoding kept for long (a template, a page's slice) does not hold its batch's buffer.
        const own = Object.fromEntries(parts.map((p) => [p, res[p].data.slice(b * itemSize(p), (b + 1) * itemSize(p))]));
        out.push({ role, parts: own });
      });
    }
    return out;
  };

  const stackParts = (
    items: readonly DecodeItem<PairEncoding>[],
    role: 'query' | 'template',
    parts: readonly string[],
    feeds: Record<string, FloatTensor>,
  ): void => {
    for (const part of parts) {
      const n = itemSize(part);
      const data = new Float32Array(items.length * n);
      items.forEach((it, b) => {
        const v = it[role].parts[part];
        if (!v)
          throw new RangeError(`decode: item ${b}'s ${role} was encoded as a ${it[role].role} and has no ${part}; encode it with role '${role}' or 'both'`);
        data.set(v, b * n);
      });
      feeds[`${role}_${part}`] = { data, dims: [items.length, ...partDims[part]] };
    }
  };

  const decode = async (items: readonly DecodeItem<PairEncoding>[]): Promise<Float32Array> => {
    if (items.length === 0) throw new RangeError('decode: empty batch');
    const feeds: Record<string, FloatTensor> = {};
    stackParts(items, 'query', queryParts, feeds);
    stackParts(items, 'template', templateParts, feeds);
    const p = stackPrompts(
      items.map((i) => i.prompt),
      geometry,
    );
    const B = items.length;
    const dims = inputDims(B, geometry);
    for (const name of PROMPT_INPUTS) feeds[name] = { data: p[name], dims: dims[name] };
    const res = await decoder(feeds, [OUTPUT_NAME]);
    o.onRun?.('decoder', B);
    return res[OUTPUT_NAME].data;
  };

  return { geometry, encode, decode, bytes: (e) => Object.values(e.parts).reduce((a, v) => a + v.byteLength, 0) };
}
