// A compiled One-Prompt model as the CLI uses it: its geometry (S, K) read from the file's declared inputs, a
// batched predictor (ModelInputs → mask_logits) and the model as encode + decode, over ONNX Runtime. When an
// encoder/decoder pair compiled with the model lies beside it (`compile --split`: NAME.encoder.onnx,
// NAME.decoder.onnx; model-pair.ts), that pair runs instead, so each image is encoded once and a prompt costs only
// the decoder; else the one-file model. Every run is checked: ONNX Runtime's errors and outputs of the wrong size name
// the file. Shared by segment, everything, eval and the main script.
import * as E from 'fp-ts/lib/Either.js';
import { type ModelInputs } from '../data/model-inputs.js';
import { oneFileSegmenter, pairSegmenter, type FloatTensor, type PromptSegmenter, type SessionRunner } from '../data/prompt-segmenter.js';
import { summariseModel } from '../onnx/inspect.js';
import { Model, hostTensor, type Device } from '../runtime/session.js';
import { modelFiles, readModelFile } from './model-pair.js';
import { geometryFromInputs } from '../../graphs/oneprompt/contract.js';
import { pairContract } from '../../graphs/oneprompt/contract.js';
import { INPUT_NAMES, inputDims } from '../../graphs/oneprompt/contract.js';
import { type ModelGeometry } from '../../graphs/oneprompt/contract.js';

/** ONNX Runtime's first line, which says what is wrong; the rest is its stack. */
const ortMessage = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0].trim();

/** What a segmenter has run so far. */
export interface ModelUsage {
  /** Encoder runs and the images they encoded (a pair). */
  encoderRuns: number;
  imagesEncoded: number;
  /** Decoder runs and the prompts they decoded (a pair). */
  decoderRuns: number;
  promptsDecoded: number;
  /** Whole-model runs and their batch items (the one-file model). */
  forwardRuns: number;
  forwardItems: number;
}

export interface Segmenter {
  readonly file: string;
  /** 'pair': the image encoder and prompt decoder beside the model; 'one-file': the model itself. */
  readonly kind: 'one-file' | 'pair';
  /** The ONNX files it runs. */
  readonly files: readonly string[];
  readonly geometry: ModelGeometry;
  /** The device the session runs on (after any CUDA → CPU fallback). */
  readonly device: Device;
  /** mask_logits (B, 1, S, S) for a batch of full inputs (a pair encodes query and template, then decodes). */
  predict(inputs: ModelInputs): Promise<Float32Array>;
  /** The model as encode + decode (src/data/prompt-segmenter.ts): segment, everything and ensembles use this. */
  readonly prompts: PromptSegmenter;
  readonly usage: Readonly<ModelUsage>;
  release(): Promise<void>;
}

export interface SegmenterOptions {
  readonly device?: Device;
  readonly threads?: number;
  /** Where one-line warnings go (the CUDA fallback, a stale pair passed over). */
  readonly warn?: (line: string) => void;
  /** 'auto' (default): the pair beside the model when it was compiled with it; 'one-file' or 'pair' to insist. */
  readonly use?: 'auto' | 'one-file' | 'pair';
  /** Images per encoder run (a pair; default 8). */
  readonly encodeBatch?: number;
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

const newUsage = (): ModelUsage => ({ encoderRuns: 0, imagesEncoded: 0, decoderRuns: 0, promptsDecoded: 0, forwardRuns: 0, forwardItems: 0 });

export async function loadSegmenter(file: string, opts: SegmenterOptions = {}): Promise<Segmenter> {
  const found = modelFiles(file, opts.use);
  if (found.note) (opts.warn ?? console.warn)(`warning: ${found.note}`);
  const load = async (f: string, bytes: Uint8Array): Promise<Model> => {
    try {
      return await Model.load(bytes, { device: opts.device, threads: opts.threads, warn: opts.warn });
    } catch (e) {
      throw new Error(`${f}: ONNX Runtime could not load the model: ${ortMessage(e)}`);
    }
  };
  const usage = newUsage();

  if (found.pair) {
    const { encoder, decoder } = found.pair;
    for (const part of [encoder, decoder]) {
      const odd = [...part.summary.inputs, ...part.summary.outputs].find((t) => t.dtype !== 'float32');
      if (odd) throw new Error(`${part.file}: ${odd.name} is ${odd.dtype}; the CLI feeds float32 (compile with float32 inputs and outputs)`);
    }
    const contract = pairContract(encoder.summary, decoder.summary);
    if (E.isLeft(contract)) throw new Error(`${encoder.file} + ${decoder.file}: ${contract.left}`);
    const { partDims, geometry } = contract.right;
    const enc = await load(encoder.file, encoder.bytes);
    const dec = await load(decoder.file, decoder.bytes).catch(async (e: unknown) => {
      await enc.release();
      throw e;
    });
    // Each run as the one-file model's: ONNX Runtime's errors name the file, and every output asked for has the size
    // the contract declares for the batch (an encoder part (B, ...), mask_logits (B, 1, S, S)).
    const declared = (name: string): readonly number[] | undefined => (name === 'mask_logits' ? [1, geometry.size, geometry.size] : partDims[name]);
    const runner =
      (m: Model, f: string): SessionRunner =>
      async (feeds, outputs) => {
        const host = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, hostTensor(t.data, t.dims)]));
        const batch = Object.values(feeds)[0]?.dims[0] ?? 0;
        let out;
        try {
          out = await m.run(host, outputs);
        } catch (e) {
          throw new Error(`${f}: ONNX Runtime could not run the model on a batch of ${batch}: ${ortMessage(e)}`);
        }
        for (const name of outputs ?? Object.keys(out)) {
          const dims = declared(name);
          if (!dims) continue;
          const got = out[name];
          if (!got || got.data.length !== batch * dims.reduce((a, b) => a * b, 1))
            throw new Error(`${f}: ${name} has shape [${got?.dims.join(', ')}], expected [${[batch, ...dims].join(', ')}] (the model's declared output)`);
        }
        return Object.fromEntries(Object.entries(out).map(([n, t]): [string, FloatTensor] => [n, { data: t.data as Float32Array, dims: t.dims }]));
      };
    const prompts = pairSegmenter(contract.right, runner(enc, encoder.file), runner(dec, decoder.file), {
      batch: opts.encodeBatch,
      onRun: (which, n) => {
        if (which === 'encoder') (usage.encoderRuns++, (usage.imagesEncoded += n));
        else (usage.decoderRuns++, (usage.promptsDecoded += n));
      },
    });
    const S = geometry.size;
    const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
      const B = inputs.batch;
      const planes = (all: Float32Array) => Array.from({ length: B }, (_, b) => all.subarray(b * S * S, (b + 1) * S * S));
      const qs = await prompts.encode(planes(inputs.query), 'query');
      const ts = await prompts.encode(planes(inputs.template), 'template');
      const K = inputs.geometry.points;
      const prompt = (b: number) => ({
        points: inputs.prompt_points.subarray(b * K * 2, (b + 1) * K * 2),
        labels: inputs.prompt_labels.subarray(b * K, (b + 1) * K),
        mask: inputs.prompt_mask.subarray(b * S * S, (b + 1) * S * S),
        type: inputs.prompt_type.subarray(b * 4, (b + 1) * 4),
      });
      return prompts.decode(qs.map((q, b) => ({ query: q, template: ts[b], prompt: prompt(b) })));
    };
    return {
      file: found.oneFile ?? file,
      kind: 'pair',
      files: [encoder.file, decoder.file],
      geometry,
      device: enc.device,
      predict,
      prompts,
      usage,
      release: async () => {
        await enc.release();
        await dec.release();
      },
    };
  }

  const oneFile = found.oneFile!;
  const bytes = readModelFile(oneFile);
  const g = modelGeometry(oneFile, bytes);
  if (E.isLeft(g)) throw new Error(g.left);
  const geometry = g.right;
  const model = await load(oneFile, bytes);
  if (!model.outputNames.includes('mask_logits')) {
    await model.release();
    throw new Error(`${oneFile}: the model has no output mask_logits (it gives ${model.outputNames.join(', ')})`);
  }
  const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
    const dims = inputDims(inputs.batch, geometry);
    const feeds = Object.fromEntries(INPUT_NAMES.map((n) => [n, hostTensor(inputs[n], dims[n])]));
    let out;
    try {
      out = await model.run(feeds);
    } catch (e) {
      throw new Error(`${oneFile}: ONNX Runtime could not run the model on a batch of ${inputs.batch}: ${ortMessage(e)}`);
    }
    usage.forwardRuns++;
    usage.forwardItems += inputs.batch;
    const logits = out.mask_logits;
    const expected = inputs.batch * geometry.size * geometry.size;
    if (!logits || logits.data.length !== expected) {
      throw new Error(`${oneFile}: mask_logits has shape [${logits?.dims.join(', ')}], expected [${inputs.batch}, 1, ${geometry.size}, ${geometry.size}] (the model's declared output)`);
    }
    return logits.data as Float32Array;
  };
  return { file: oneFile, kind: 'one-file', files: [oneFile], geometry, device: model.device, predict, prompts: oneFileSegmenter(geometry, predict), usage, release: () => model.release() };
}

/** One line on what ran: "encoder/decoder pair (A.encoder.onnx, A.decoder.onnx): 6 images encoded, 50 prompts decoded". */
export function describeUsage(s: Pick<Segmenter, 'kind' | 'files' | 'usage'>): string {
  const u = s.usage;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return s.kind === 'pair'
    ? `encoder/decoder pair (${s.files.join(', ')}): ${n(u.imagesEncoded, 'image')} encoded, ${n(u.promptsDecoded, 'prompt')} decoded`
    : `one-file model (${s.files[0]}): ${n(u.forwardItems, 'forward')} (image encoder included in each)`;
}
