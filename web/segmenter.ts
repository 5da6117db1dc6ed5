// The compiled model in the page: onnxruntime-web on its wasm backend, run in onnxruntime-web's own proxy worker so
// the page stays responsive while a larger model runs, and on several threads when the page is cross-origin
// isolated (the tool server sends COOP/COEP, which SharedArrayBuffer needs). Its files come from our own server
// (/ort/), so the model, the images and the prompt never leave the browser. The model is the one-file model or its
// encoder/decoder pair (`compile --split`): with the pair each slice is encoded once and a new prompt costs only the
// decoder (src/data/prompt-segmenter.ts).
import * as ort from 'onnxruntime-web/wasm';
import * as E from 'fp-ts/lib/Either.js';
import { type ModelInputs } from '../src/data/model-inputs.js';
import { oneFileSegmenter, pairSegmenter, type FloatTensor, type PromptSegmenter, type SessionRunner } from '../src/data/prompt-segmenter.js';
import { geometryFromInputs } from '../graphs/oneprompt/contract.js';
import { pairContract, type Declared } from '../graphs/oneprompt/contract.js';
import { INPUT_NAMES, inputDims } from '../graphs/oneprompt/contract.js';
import { type ModelGeometry } from '../graphs/oneprompt/contract.js';

/** What the model has run since it was loaded (the page publishes it for tests and the curious). */
export interface ModelUsage {
  imagesEncoded: number;
  promptsDecoded: number;
  /** One-file model runs' batch items (each encodes its query and template again). */
  forwards: number;
}

export interface Segmenter {
  readonly name: string;
  readonly kind: 'one-file' | 'pair';
  readonly geometry: ModelGeometry;
  /** How it runs: wasm threads, and whether in a worker. */
  readonly runtime: RuntimeInfo;
  /** The model as encode + decode: the page encodes each slice once and keeps the encodings. One call at a time: the caller serialises. */
  readonly prompts: PromptSegmenter;
  readonly usage: Readonly<ModelUsage>;
  release(): Promise<void>;
}

export interface RuntimeInfo {
  readonly threads: number;
  readonly worker: boolean;
}

/** At most this many wasm threads: beyond it the tiny and small models gain little and the page's other work suffers. */
const MAX_THREADS = 4;

let configured: RuntimeInfo | undefined;
function configure(): RuntimeInfo {
  if (configured) return configured;
  ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
  // Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
  const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1)) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = true;
  configured = { threads, worker: true };
  return configured;
}

async function session(model: Uint8Array, name: string): Promise<E.Either<string, ort.InferenceSession>> {
  try {
    return E.right(await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
  } catch (e) {
    return E.left(`${name}: onnxruntime-web could not load the model (${(e as Error).message})`);
  }
}

const declared = (ms: readonly ort.InferenceSession.ValueMetadata[]): Declared[] => ms.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));

/** The one-file model. */
export async function loadSegmenter(model: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  const runtime = configure();
  const s = await session(model, name);
  if (E.isLeft(s)) return s;
  const sess = s.right;
  const geometry = geometryFromInputs(declared(sess.inputMetadata));
  if (E.isLeft(geometry)) {
    await sess.release();
    return E.left(`${name}: ${geometry.left}`);
  }
  const g = geometry.right;
  const usage: ModelUsage = { imagesEncoded: 0, promptsDecoded: 0, forwards: 0 };
  const run = async (inputs: ModelInputs): Promise<Float32Array> => {
    const dims = inputDims(inputs.batch, g);
    const feeds: Record<string, ort.Tensor> = {};
    for (const n of INPUT_NAMES) feeds[n] = new ort.Tensor('float32', inputs[n], dims[n]);
    const out = await sess.run(feeds);
    const logits = out.mask_logits;
    if (!logits) throw new Error(`${name}: the model has no output mask_logits (it gives ${Object.keys(out).join(', ')})`);
    usage.forwards += inputs.batch;
    return logits.data as Float32Array;
  };
  return E.right({ name, kind: 'one-file', geometry: g, runtime, prompts: oneFileSegmenter(g, run), usage, release: () => sess.release() });
}

/** The encoder/decoder pair (NAME.encoder.onnx, NAME.decoder.onnx). */
export async function loadPairSegmenter(encoder: Uint8Array, decoder: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  const runtime = configure();
  const enc = await session(encoder, `${name} (encoder)`);
  if (E.isLeft(enc)) return enc;
  const dec = await session(decoder, `${name} (decoder)`);
  if (E.isLeft(dec)) {
    await enc.right.release();
    return dec;
  }
  const release = async () => {
    await enc.right.release();
    await dec.right.release();
  };
  const contract = pairContract(
    { inputs: declared(enc.right.inputMetadata), outputs: declared(enc.right.outputMetadata) },
    { inputs: declared(dec.right.inputMetadata), outputs: declared(dec.right.outputMetadata) },
  );
  if (E.isLeft(contract)) {
    await release();
    return E.left(`${name}: ${contract.left}`);
  }
  const runner = (s: ort.InferenceSession): SessionRunner => async (feeds, outputs) => {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, new ort.Tensor('float32', t.data, [...t.dims])]));
    const out = outputs ? await s.run(ortFeeds, [...outputs]) : await s.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([n, t]): [string, FloatTensor] => [n, { data: t.data as Float32Array, dims: t.dims }]));
  };
  const usage: ModelUsage = { imagesEncoded: 0, promptsDecoded: 0, forwards: 0 };
  const prompts = pairSegmenter(contract.right, runner(enc.right), runner(dec.right), {
    onRun: (which, n) => {
      if (which === 'encoder') usage.imagesEncoded += n;
      else usage.promptsDecoded += n;
    },
  });
  return E.right({ name, kind: 'pair', geometry: contract.right.geometry, runtime, prompts, usage, release });
}
