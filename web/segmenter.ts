// The compiled model in the page: onnxruntime-web on its wasm backend, one thread, no proxy worker. Its files come
// from our own server (/ort/), so the model, the images and the prompt never leave the browser.
import * as ort from 'onnxruntime-web/wasm';
import * as E from 'fp-ts/lib/Either.js';
import { geometryFromInputs } from '../src/data/model-geometry.js';
import { INPUT_NAMES, inputDims, type ModelInputs } from '../src/data/model-inputs.js';
import type { ModelGeometry } from '../src/data/prompt-tensors.js';

export interface Segmenter {
  readonly name: string;
  readonly geometry: ModelGeometry;
  /** mask_logits (B, 1, S, S) for a batch. One run at a time: the caller serialises. */
  run(inputs: ModelInputs): Promise<Float32Array>;
  release(): Promise<void>;
}

let configured = false;
function configure(): void {
  if (configured) return;
  ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  configured = true;
}

export async function loadSegmenter(model: Uint8Array, name: string): Promise<E.Either<string, Segmenter>> {
  configure();
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
  return E.right({
    name,
    geometry: g,
    async run(inputs) {
      const dims = inputDims(inputs.batch, g);
      const feeds: Record<string, ort.Tensor> = {};
      for (const n of INPUT_NAMES) feeds[n] = new ort.Tensor('float32', inputs[n], dims[n]);
      const out = await session.run(feeds);
      const logits = out.mask_logits;
      if (!logits) throw new Error(`${name}: the model has no output mask_logits (it gives ${Object.keys(out).join(', ')})`);
      return logits.data as Float32Array;
    },
    release: () => session.release(),
  });
}
