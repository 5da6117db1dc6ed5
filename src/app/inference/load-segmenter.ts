// `--model FILE` as the CLI, eval and scripts load it: the files it stands for (model-files.ts: the encoder/decoder
// pair beside the model when it was compiled with it, else the one-file model) on onnxruntime-node, as a Segmenter
// (segmenter.ts). Node-only.
import * as E from 'fp-ts/lib/Either.js';
import { summariseModel } from '../../onnx/inspect.js';
import { Model, hostTensor, type Device } from '../../runtime/session.js';
import { modelFiles, readModelFile } from './model-files.js';
import { oneFileModelSegmenter, pairModelSegmenter, type ModelRuntime, type Segmenter } from './segmenter.js';
import type { FloatTensor } from './prompt-segmenter.js';

export { describeUsage, type ModelUsage, type Segmenter } from './segmenter.js';

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

/** A Segmenter on onnxruntime-node also says which device its sessions run on (after any CUDA → CPU fallback). */
export type NodeSegmenter = Segmenter & { readonly device: Device };

/** onnxruntime-node as the segmenter's runtime; declared inputs and outputs (with dtypes) read from the file itself. */
export function onnxRuntimeNode(opts: Pick<SegmenterOptions, 'device' | 'threads' | 'warn'> = {}): ModelRuntime & { readonly devices: Device[] } {
  const devices: Device[] = [];
  return {
    name: 'ONNX Runtime',
    devices,
    async load(bytes, file) {
      let summary;
      try {
        summary = summariseModel(bytes);
      } catch (e) {
        throw Object.assign(new Error(`${file}: not a readable ONNX model (${(e as Error).message})`), { named: true });
      }
      const model = await Model.load(bytes, { device: opts.device, threads: opts.threads, warn: opts.warn });
      devices.push(model.device);
      return {
        inputs: summary.inputs,
        outputs: summary.outputs,
        async run(feeds, outputs) {
          const out = await model.run(Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, hostTensor(t.data, t.dims)])), outputs);
          return Object.fromEntries(Object.entries(out).map(([n, t]): [string, FloatTensor] => [n, { data: t.data as Float32Array, dims: t.dims }]));
        },
        release: () => model.release(),
      };
    },
  };
}

/** The model `file` stands for, on onnxruntime-node; throws with a message naming the file. */
export async function loadSegmenter(file: string, opts: SegmenterOptions = {}): Promise<NodeSegmenter> {
  const found = modelFiles(file, opts.use);
  if (found.note) (opts.warn ?? console.warn)(`warning: ${found.note}`);
  const runtime = onnxRuntimeNode(opts);
  const seg = found.pair
    ? await pairModelSegmenter(
        runtime,
        { encoder: found.pair.encoder, decoder: found.pair.decoder, oneFile: found.oneFile ?? file },
        { encodeBatch: opts.encodeBatch },
      )
    : await oneFileModelSegmenter(runtime, { file: found.oneFile!, bytes: readModelFile(found.oneFile!) });
  if (E.isLeft(seg)) throw new Error(seg.left);
  return { ...seg.right, device: runtime.devices[0] ?? 'cpu' };
}
