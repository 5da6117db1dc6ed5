// The compiled model in the page: onnxruntime-web on its wasm backend, run in onnxruntime-web's own proxy worker so
// the page stays responsive while a larger model runs, and on several threads when the page is cross-origin
// isolated (the tool server sends COOP/COEP, which SharedArrayBuffer needs). Its files come from our own server
// (/ort/), so the model, the images and the prompt never leave the browser.
import * as ort from 'onnxruntime-web/wasm';
import * as E from 'fp-ts/lib/Either.js';
import { geometryFromInputs } from '../src/data/model-geometry.js';
import { INPUT_NAMES, inputDims, type ModelInputs } from '../src/data/model-inputs.js';
import type { ModelGeometry } from '../src/data/prompt-tensors.js';
import { oneFileSegmenter, type PromptSegmenter } from '../src/data/prompt-segmenter.js';

export interface Segmenter {
  readonly name: string;
  readonly geometry: ModelGeometry;
  /** How it runs: wasm threads, and whether in a worker. */
  readonly runtime: RuntimeInfo;
  /** mask_logits (B, 1, S, S) for a batch. One run at a time: the caller serialises. */
  run(inputs: ModelInputs): Promise<Float32Array>;
  /**
   * The model as encode + decode (src/data/prompt-segmenter.ts): the page encodes each slice once and keeps the
   * encodings, so with an encoder/decoder pair a new prompt costs only the decoder. Today: the one-file model.
   */
  readonly prompts: PromptSegmenter<Float32Array>;
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

export async function loadSegmenter(model: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  const runtime = configure();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } catch (e) {
    return E.left(`${name}: onnxruntime-web could not load the model (${(e as Error).message})`);
  }
  const declared = session.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));
  const geometry = geometryFromInputs(declared);
  if (E.isLeft(geometry)) {
    await session.release();
    return E.left(`${name}: ${geometry.left}`);
  }
  const g = geometry.right;
  const run = async (inputs: ModelInputs): Promise<Float32Array> => {
    const dims = inputDims(inputs.batch, g);
    const feeds: Record<string, ort.Tensor> = {};
    for (const n of INPUT_NAMES) feeds[n] = new ort.Tensor('float32', inputs[n], dims[n]);
    const out = await session.run(feeds);
    const logits = out.mask_logits;
    if (!logits) throw new Error(`${name}: the model has no output mask_logits (it gives ${Object.keys(out).join(', ')})`);
    return logits.data as Float32Array;
  };
  return E.right({ name, geometry: g, runtime, run, prompts: oneFileSegmenter(g, run), release: () => session.release() });
}
