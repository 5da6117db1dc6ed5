// A compiled One-Prompt model as the CLI uses it: its geometry (S, K) read from the file's declared inputs, and a
// batched predictor (ModelInputs → mask_logits) over ONNX Runtime. Shared by segment, everything, eval and the
// main script.
import * as E from 'fp-ts/lib/Either.js';
import { geometryFromInputs } from '../data/model-geometry.js';
import { INPUT_NAMES, inputDims, type ModelInputs } from '../data/model-inputs.js';
import type { ModelGeometry } from '../data/prompt-tensors.js';
import { oneFileSegmenter, type PromptSegmenter } from '../data/prompt-segmenter.js';
import { summariseModel } from '../onnx/inspect.js';
import { Model, hostTensor, type Device } from '../runtime/session.js';
import { asFileReadError, readRegularFile } from '../util/safe-read.js';

/** ONNX files are protobuf messages, which cannot exceed 2 GiB. */
const MAX_MODEL_BYTES = 2 * 2 ** 30;
/** ONNX Runtime's first line, which says what is wrong; the rest is its stack. */
const ortMessage = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0].trim();

export interface Segmenter {
  readonly file: string;
  readonly geometry: ModelGeometry;
  /** The device the session runs on (after any CUDA → CPU fallback). */
  readonly device: Device;
  /** mask_logits (B, 1, S, S) for a batch. */
  predict(inputs: ModelInputs): Promise<Float32Array>;
  /**
   * The model as encode + decode (src/data/prompt-segmenter.ts). Today the one-file model around `predict`; an
   * encoder/decoder pair of ONNX files plugs in here, and segment, everything and ensembles use it as they are.
   */
  readonly prompts: PromptSegmenter;
  release(): Promise<void>;
}

export interface SegmenterOptions {
  readonly device?: Device;
  readonly threads?: number;
  /** Where the one-line CUDA fallback warning goes. */
  readonly warn?: (line: string) => void;
}

/** Read the model's declared inputs and check it is a float32-IO One-Prompt model; errors name the file. */
export function modelGeometry(file: string, bytes: Uint8Array): E.Either<string, ModelGeometry> {
  let inputs;
  try {
    inputs = summariseModel(bytes).inputs;
  } catch (e) {
    return E.left(`${file}: not a readable ONNX model (${(e as Error).message})`);
  }
  const g = geometryFromInputs(inputs);
  if (E.isLeft(g)) return E.left(`${file}: ${g.left}`);
  const odd = inputs.find((i) => (INPUT_NAMES as readonly string[]).includes(i.name) && i.dtype !== 'float32');
  if (odd) return E.left(`${file}: input ${odd.name} is ${odd.dtype}; the CLI feeds float32 (compile with float32 inputs and outputs)`);
  return g;
}

export async function loadSegmenter(file: string, opts: SegmenterOptions = {}): Promise<Segmenter> {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(file, MAX_MODEL_BYTES, 'an ONNX model (the protobuf limit)');
  } catch (e) {
    const err = asFileReadError(e, file);
    throw new Error(err.reason === 'file not found' ? `no such model file '${file}'` : `model ${err.message}`);
  }
  const g = modelGeometry(file, bytes);
  if (E.isLeft(g)) throw new Error(g.left);
  const geometry = g.right;
  let model: Model;
  try {
    model = await Model.load(bytes, { device: opts.device, threads: opts.threads, warn: opts.warn });
  } catch (e) {
    throw new Error(`${file}: ONNX Runtime could not load the model: ${ortMessage(e)}`);
  }
  if (!model.outputNames.includes('mask_logits')) {
    await model.release();
    throw new Error(`${file}: the model has no output mask_logits (it gives ${model.outputNames.join(', ')})`);
  }
  const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
    const dims = inputDims(inputs.batch, geometry);
    const feeds = Object.fromEntries(INPUT_NAMES.map((n) => [n, hostTensor(inputs[n], dims[n])]));
    let out;
    try {
      out = await model.run(feeds);
    } catch (e) {
      throw new Error(`${file}: ONNX Runtime could not run the model on a batch of ${inputs.batch}: ${ortMessage(e)}`);
    }
    const logits = out.mask_logits;
    const expected = inputs.batch * geometry.size * geometry.size;
    if (!logits || logits.data.length !== expected) {
      throw new Error(`${file}: mask_logits has shape [${logits?.dims.join(', ')}], expected [${inputs.batch}, 1, ${geometry.size}, ${geometry.size}] (the model's declared output)`);
    }
    return logits.data as Float32Array;
  };
  return { file, geometry, device: model.device, predict, prompts: oneFileSegmenter(geometry, predict), release: () => model.release() };
}
