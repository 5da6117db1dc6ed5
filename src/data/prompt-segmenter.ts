// The One-Prompt model as two steps, so that callers encode each image once however many prompts, templates or
// clicks use it: `encode` turns normalised S×S planes into encodings, `decode` turns (query, template, prompt)
// triples of encodings into mask logits. The paper's model is such a pair (the image encoder runs on query and
// template alike; the prompt parser, the Former and the head need the prompt). Today's compiled model is one ONNX
// file, so its "encoding" is the normalised plane itself and `decode` runs the whole forward (oneFileSegmenter);
// an encoder/decoder pair of ONNX files implements the same interface with feature maps, and `segment`, `everything`
// and the page reuse encodings with no change of their own. Browser-safe.
import { stackBatch, type ModelInputs } from './model-inputs.js';
import type { ModelGeometry, PromptTensors } from './prompt-tensors.js';

export interface DecodeItem<Encoding> {
  readonly query: Encoding;
  readonly template: Encoding;
  readonly prompt: PromptTensors;
}

export interface PromptSegmenter<Encoding = unknown> {
  readonly geometry: ModelGeometry;
  /** One encoding per (1, S, S) plane from imageToInput; the implementation batches as it likes. */
  encode(planes: readonly Float32Array[]): Promise<Encoding[]>;
  /** mask_logits (B, 1, S, S) for B triples, in order. */
  decode(items: readonly DecodeItem<Encoding>[]): Promise<Float32Array>;
}

/** Runs the one-file model on a batch of full inputs; returns mask_logits (B, 1, S, S). */
export type BatchPredictor = (inputs: ModelInputs) => Promise<Float32Array>;

/** The one-file model: encoding = the normalised plane, decode = the whole forward. */
export function oneFileSegmenter(geometry: ModelGeometry, predict: BatchPredictor): PromptSegmenter<Float32Array> {
  return {
    geometry,
    encode: async (planes) => [...planes],
    decode: (items) => predict(stackBatch(items, geometry)),
  };
}
