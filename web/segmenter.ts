// The compiled model in the page: the shared Segmenter (src/app/inference/segmenter.ts, the CLI's too) on
// onnxruntime-web's wasm backend, run in onnxruntime-web's own proxy worker so the page stays responsive while a
// larger model runs, and on several threads when the page is cross-origin isolated (the tool server sends COOP/COEP,
// which SharedArrayBuffer needs). Its files come from our own server (/ort/), so the model, the images and the prompt
// never leave the browser. The model is the one-file model or its encoder/decoder pair (`compile --split`): with the
// pair each slice is encoded once and a new prompt costs only the decoder.
import * as ort from 'onnxruntime-web/wasm';
import * as E from 'fp-ts/lib/Either.js';
import {
  oneFileModelSegmenter,
  pairModelSegmenter,
  type DeclaredTensor,
  type ModelRuntime,
  type Segmenter as SharedSegmenter,
} from '../src/app/inference/segmenter.js';
import type { FloatTensor } from '../src/app/inference/prompt-segmenter.js';

export interface RuntimeInfo {
  readonly threads: number;
  readonly worker: boolean;
}

/** The shared Segmenter with the page's name for it and how onnxruntime-web runs. One call at a time: the caller serialises. */
export interface Segmenter extends SharedSegmenter {
  readonly name: string;
  readonly runtime: RuntimeInfo;
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

const declared = (ms: readonly ort.InferenceSession.ValueMetadata[]): DeclaredTensor[] =>
  ms.map((m) => (m.isTensor ? { name: m.name, shape: m.shape, dtype: m.type } : { name: m.name, shape: [] }));

/** onnxruntime-web (wasm) as the segmenter's runtime. */
const onnxRuntimeWeb: ModelRuntime = {
  name: 'onnxruntime-web',
  async load(bytes) {
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    return {
      inputs: declared(s.inputMetadata),
      outputs: declared(s.outputMetadata),
      async run(feeds, outputs) {
        const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, new ort.Tensor('float32', t.data, [...t.dims])]));
        const out = outputs ? await s.run(ortFeeds, [...outputs]) : await s.run(ortFeeds);
        return Object.fromEntries(Object.entries(out).map(([n, t]): [string, FloatTensor] => [n, { data: t.data as Float32Array, dims: t.dims }]));
      },
      release: () => s.release(),
    };
  },
};

const named = (name: string, s: E.Either<string, SharedSegmenter>): E.Either<string, Segmenter> =>
  E.map((seg: SharedSegmenter) => ({ ...seg, name, runtime: configure() }))(s);

/** The one-file model. */
export async function loadSegmenter(model: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  configure();
  return named(name, await oneFileModelSegmenter(onnxRuntimeWeb, { file: name, bytes: model }));
}

/** The encoder/decoder pair (NAME.encoder.onnx, NAME.decoder.onnx). */
export async function loadPairSegmenter(encoder: Uint8Array, decoder: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  configure();
  return named(
    name,
    await pairModelSegmenter(onnxRuntimeWeb, {
      encoder: { file: `${name} (encoder)`, bytes: encoder },
      decoder: { file: `${name} (decoder)`, bytes: decoder },
      oneFile: name,
    }),
  );
}
