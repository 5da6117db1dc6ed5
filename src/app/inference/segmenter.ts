// A compiled One-Prompt model as the CLI, eval and the page use it: its geometry (S, K) read from the file's declared
// inputs, a batched predictor (ModelInputs → mask_logits) and the model as encode + decode (prompt-segmenter.ts). The
// one-file model, or its encoder/decoder pair (`compile --split`: each image encoded once, a prompt costs only the
// decoder). Every run is checked: the runtime's errors and outputs of the wrong size name the file. The runtime is
// injected (ModelRuntime): onnxruntime-node in the CLI (load-segmenter.ts), onnxruntime-web in the page
// (web/segmenter.ts). Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import {
  geometryFromInputs,
  INPUT_NAMES,
  inputDims,
  OUTPUT_NAME,
  pairContract,
  type Declared,
  type ModelGeometry,
} from '../../../graphs/oneprompt/contract.js';
import type { ModelInputs } from './model-inputs.js';
import { oneFileSegmenter, pairSegmenter, type FloatTensor, type PromptSegmenter, type SessionRunner } from './prompt-segmenter.js';

/** A declared tensor with its element type, where the runtime tells it. */
export interface DeclaredTensor extends Declared {
  readonly dtype?: string;
}

/** One loaded ONNX model, as a runtime gives it. */
export interface RuntimeSession {
  readonly inputs: readonly DeclaredTensor[];
  readonly outputs: readonly DeclaredTensor[];
  /** Named float32 inputs → the outputs asked for (all of them when absent). */
  run(feeds: Record<string, FloatTensor>, outputs?: readonly string[]): Promise<Record<string, FloatTensor>>;
  release(): Promise<void>;
}

/** Loads ONNX models: onnxruntime-node, onnxruntime-web, or a test's fake. */
export interface ModelRuntime {
  /** How messages name it ("ONNX Runtime", "onnxruntime-web"). */
  readonly name: string;
  /** Rejects with the runtime's own message when it cannot load the model (an error with `named: true` already names the file). */
  load(bytes: Uint8Array, file: string): Promise<RuntimeSession>;
}

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
  /** The model (the one-file model's name, also for its pair). */
  readonly file: string;
  /** 'pair': the image encoder and prompt decoder; 'one-file': the model itself. */
  readonly kind: 'one-file' | 'pair';
  /** The ONNX files it runs. */
  readonly files: readonly string[];
  readonly geometry: ModelGeometry;
  /** mask_logits (B, 1, S, S) for a batch of full inputs (a pair encodes query and template, then decodes). */
  predict(inputs: ModelInputs): Promise<Float32Array>;
  /** The model as encode + decode: segment, everything, ensembles, eval and the page use this. */
  readonly prompts: PromptSegmenter;
  readonly usage: Readonly<ModelUsage>;
  release(): Promise<void>;
}

/** The runtime's first line, which says what is wrong; the rest is its stack. */
export const runtimeMessage = (e: unknown): string =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .trim();

const newUsage = (): ModelUsage => ({ encoderRuns: 0, imagesEncoded: 0, decoderRuns: 0, promptsDecoded: 0, forwardRuns: 0, forwardItems: 0 });

/** Any declared tensor that is not float32 (the segmenter feeds float32), named with its file. */
function notFloat32(file: string, tensors: readonly DeclaredTensor[]): string | undefined {
  const odd = tensors.find((t) => t.dtype !== undefined && t.dtype !== 'float32');
  return odd && `${file}: ${odd.name} is ${odd.dtype}; the segmenter feeds float32 (compile with float32 inputs and outputs)`;
}

/**
 * Each run as the model's: the runtime's errors name the file, and every output asked for has the size the model
 * declares for the batch (`declared(name)`: the dims after B, or undefined for an output not checked).
 */
function checkedRunner(runtime: ModelRuntime, s: RuntimeSession, file: string, declared: (name: string) => readonly number[] | undefined): SessionRunner {
  return async (feeds, outputs) => {
    const batch = Object.values(feeds)[0]?.dims[0] ?? 0;
    let out: Record<string, FloatTensor>;
    try {
      out = await s.run(feeds, outputs);
    } catch (e) {
      throw new Error(`${file}: ${runtime.name} could not run the model on a batch of ${batch}: ${runtimeMessage(e)}`);
    }
    for (const name of outputs ?? Object.keys(out)) {
      const dims = declared(name);
      if (!dims) continue;
      const got = out[name];
      if (!got || got.data.length !== batch * dims.reduce((a, b) => a * b, 1))
        throw new Error(`${file}: ${name} has shape [${got?.dims.join(', ') ?? ''}], expected [${[batch, ...dims].join(', ')}] (the model's declared output)`);
    }
    return out;
  };
}

async function load(runtime: ModelRuntime, bytes: Uint8Array, file: string): Promise<E.Either<string, RuntimeSession>> {
  try {
    return E.right(await runtime.load(bytes, file));
  } catch (e) {
    // A runtime that checks the file itself first says what is wrong with it in its own words (`named`).
    if ((e as { named?: boolean }).named) return E.left((e as Error).message);
    return E.left(`${file}: ${runtime.name} could not load the model: ${runtimeMessage(e)}`);
  }
}

/** The one-file model on `runtime`. Errors name the file. */
export async function oneFileModelSegmenter(
  runtime: ModelRuntime,
  model: { readonly file: string; readonly bytes: Uint8Array },
): Promise<E.Either<string, Segmenter>> {
  const { file } = model;
  const s = await load(runtime, model.bytes, file);
  if (E.isLeft(s)) return s;
  const session = s.right;
  const fail = async (why: string): Promise<E.Either<string, Segmenter>> => (await session.release(), E.left(why));
  const g = geometryFromInputs(session.inputs);
  if (E.isLeft(g)) return fail(`${file}: ${g.left}`);
  const odd = notFloat32(file, [
    ...session.inputs.filter((i) => (INPUT_NAMES as readonly string[]).includes(i.name)),
    ...session.outputs.filter((o) => o.name === OUTPUT_NAME),
  ]);
  if (odd) return fail(odd);
  if (!session.outputs.some((o) => o.name === OUTPUT_NAME))
    return fail(`${file}: the model has no output ${OUTPUT_NAME} (it gives ${session.outputs.map((o) => o.name).join(', ')})`);
  const geometry = g.right;
  const usage = newUsage();
  const run = checkedRunner(runtime, session, file, (n) => (n === OUTPUT_NAME ? [1, geometry.size, geometry.size] : undefined));
  const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
    const dims = inputDims(inputs.batch, geometry);
    const feeds = Object.fromEntries(INPUT_NAMES.map((n) => [n, { data: inputs[n], dims: dims[n] }]));
    const out = await run(feeds, [OUTPUT_NAME]);
    usage.forwardRuns++;
    usage.forwardItems += inputs.batch;
    return out[OUTPUT_NAME].data;
  };
  return E.right({
    file,
    kind: 'one-file',
    files: [file],
    geometry,
    predict,
    prompts: oneFileSegmenter(geometry, predict),
    usage,
    release: () => session.release(),
  });
}

export interface PairFiles {
  readonly encoder: { readonly file: string; readonly bytes: Uint8Array };
  readonly decoder: { readonly file: string; readonly bytes: Uint8Array };
  /** The one-file model they were compiled with (the segmenter's name); default: the encoder's file. */
  readonly oneFile?: string;
}

/** The encoder/decoder pair on `runtime` (contract: graphs/oneprompt/contract.ts). Errors name the files. */
export async function pairModelSegmenter(
  runtime: ModelRuntime,
  pair: PairFiles,
  o: { readonly encodeBatch?: number } = {},
): Promise<E.Either<string, Segmenter>> {
  const { encoder, decoder } = pair;
  const enc = await load(runtime, encoder.bytes, encoder.file);
  if (E.isLeft(enc)) return enc;
  const dec = await load(runtime, decoder.bytes, decoder.file);
  if (E.isLeft(dec)) return (await enc.right.release(), dec);
  const release = async (): Promise<void> => {
    await enc.right.release();
    await dec.right.release();
  };
  const odd = notFloat32(encoder.file, [...enc.right.inputs, ...enc.right.outputs]) ?? notFloat32(decoder.file, [...dec.right.inputs, ...dec.right.outputs]);
  if (odd) return (await release(), E.left(odd));
  const contract = pairContract(enc.right, dec.right);
  if (E.isLeft(contract)) return (await release(), E.left(`${encoder.file} + ${decoder.file}: ${contract.left}`));
  const { partDims, geometry } = contract.right;
  const usage = newUsage();
  const declared = (name: string): readonly number[] | undefined => (name === OUTPUT_NAME ? [1, geometry.size, geometry.size] : partDims[name]);
  const prompts = pairSegmenter(
    contract.right,
    checkedRunner(runtime, enc.right, encoder.file, declared),
    checkedRunner(runtime, dec.right, decoder.file, declared),
    {
      batch: o.encodeBatch,
      onRun: (which, n) => {
        if (which === 'encoder') usage.encoderRuns++, (usage.imagesEncoded += n);
        else usage.decoderRuns++, (usage.promptsDecoded += n);
      },
    },
  );
  const S = geometry.size;
  const K = geometry.points;
  const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
    const B = inputs.batch;
    const planes = (all: Float32Array) => Array.from({ length: B }, (_, b) => all.subarray(b * S * S, (b + 1) * S * S));
    const qs = await prompts.encode(planes(inputs.query), 'query');
    const ts = await prompts.encode(planes(inputs.template), 'template');
    const prompt = (b: number) => ({
      points: inputs.prompt_points.subarray(b * K * 2, (b + 1) * K * 2),
      labels: inputs.prompt_labels.subarray(b * K, (b + 1) * K),
      mask: inputs.prompt_mask.subarray(b * S * S, (b + 1) * S * S),
      type: inputs.prompt_type.subarray(b * 4, (b + 1) * 4),
    });
    return prompts.decode(qs.map((q, b) => ({ query: q, template: ts[b], prompt: prompt(b) })));
  };
  return E.right({ file: pair.oneFile ?? encoder.file, kind: 'pair', files: [encoder.file, decoder.file], geometry, predict, prompts, usage, release });
}

/** One line on what ran: "encoder/decoder pair (A.encoder.onnx, A.decoder.onnx): 6 images encoded, 50 prompts decoded". */
export function describeUsage(s: Pick<Segmenter, 'kind' | 'files' | 'usage'>): string {
  const u = s.usage;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return s.kind === 'pair'
    ? `encoder/decoder pair (${s.files.join(', ')}): ${n(u.imagesEncoded, 'image')} encoded, ${n(u.promptsDecoded, 'prompt')} decoded`
    : `one-file model (${s.files[0]}): ${n(u.forwardItems, 'forward')} (image encoder included in each)`;
}
