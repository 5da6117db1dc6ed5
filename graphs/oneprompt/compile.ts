// Compile a One-Prompt configuration to an ONNX file and its manifest (NAME.json beside it); with `split`, also its
// image encoder and prompt decoder (NAME.encoder.onnx, NAME.decoder.onnx + manifests; split.ts) from the same weights.
import { createHash } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import type { Graph } from '../../src/dsl/index.js';
import { emitChunks, toModelProto, DEFAULT_IR_VERSION, DEFAULT_OPSET } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { writeTritonRepository } from '../../src/compile/triton.js';
import { writeFilesTogether } from '../../src/util/atomic-write.js';
import { moduleOf } from '../../src/onnx/inspect.js';
import { configs, withVariant, type ConfigName, type EncoderKind, type MaskingStep, type OnePromptConfig, type PromptingStep } from './config.js';
import { buildOnePrompt, type OnePromptModel } from './model.js';
import { buildOnePromptPair } from './split.js';

export interface CompileOptions {
  readonly config: ConfigName | OnePromptConfig;
  readonly parser?: PromptingStep;
  readonly masking?: MaskingStep;
  readonly encoder?: EncoderKind;
  /** Trained weights by parameter name (module path); every model parameter must be present. */
  readonly weights?: ReadonlyMap<string, Float32Array>;
  readonly seed?: number;
  readonly out: string;
  /** float16: weights and activations in half precision, float32 where accuracy needs it (src/onnx/float16.ts). */
  readonly dtype?: 'float32' | 'float16';
  /** Also write a Triton Inference Server model repository here. */
  readonly triton?: { readonly dir: string; readonly device: 'gpu' | 'cpu'; readonly maxBatch?: number; readonly instances?: number };
  /** Also write the image encoder and the prompt decoder beside the model: NAME.encoder.onnx, NAME.decoder.onnx (+ .json). */
  readonly split?: boolean;
}

export interface TensorManifest {
  readonly name: string;
  readonly shape: (number | string)[];
  readonly dtype: string;
}

export interface Manifest {
  readonly name: string;
  readonly config: OnePromptConfig;
  readonly inputs: TensorManifest[];
  readonly outputs: TensorManifest[];
  readonly parameters: number;
  readonly modules: Record<string, number>;
  readonly opset: number;
  readonly irVersion: number;
  readonly dtype: string;
  readonly weights: string;
  readonly bytes: number;
  readonly sha256: string;
  /** For the encoder and decoder files (`compile --split`): which half, and the one-file model they were cut from. */
  readonly pair?: PairManifest;
}

export interface PairManifest {
  readonly part: 'encoder' | 'decoder';
  /** The one-file model compiled with them (a file name beside them) and its sha256. */
  readonly of: { readonly file: string; readonly sha256: string };
}

/** ONNX metadata key of the encoder and decoder files: the sha256 of the one-file model they were compiled with. */
export const PAIR_OF_KEY = 'oneprompt.pair_of';

/** NAME.onnx → NAME.encoder.onnx and NAME.decoder.onnx beside it. */
export function pairFiles(oneFile: string): { readonly encoder: string; readonly decoder: string } {
  const stem = oneFile.replace(/\.onnx$/, '');
  return { encoder: `${stem}.encoder.onnx`, decoder: `${stem}.decoder.onnx` };
}

export function resolveConfig(o: Pick<CompileOptions, 'config' | 'parser' | 'masking' | 'encoder'>): OnePromptConfig {
  const base = typeof o.config === 'string' ? configs[o.config] : o.config;
  if (!base) throw new Error(`unknown configuration '${String(o.config)}' (choose ${Object.keys(configs).join(', ')})`);
  return withVariant(base, o);
}

/** Put trained weights into the model's parameters, checking names and sizes. */
export function loadWeights(model: OnePromptModel, weights: ReadonlyMap<string, Float32Array>): void {
  const missing = model.graph.params.filter((p) => !weights.has(p.name)).map((p) => p.name);
  if (missing.length) throw new Error(`weights: ${missing.length} parameter(s) missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  for (const p of model.graph.params) p.set(weights.get(p.name)!);
}

/** Per-module parameter counts at depth 2 (e.g. `decoder.0`, `encoder.stem`). */
export function moduleBreakdown(model: { readonly graph: Graph }, depth = 2): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of model.graph.params) out[moduleOf(p.name, depth)] = (out[moduleOf(p.name, depth)] ?? 0) + p.size;
  return out;
}

export function manifestTensors(model: { readonly graph: Graph }) {
  const t = (x: { name: string; value: { shape: readonly (number | string)[]; dtype: string } }): TensorManifest => ({ name: x.name, shape: [...x.value.shape], dtype: x.value.dtype });
  return { inputs: model.graph.inputs.map(t), outputs: model.graph.outputs.map(t) };
}

export interface CompileResult {
  readonly path: string;
  readonly manifest: Manifest;
  readonly model: OnePromptModel;
  /** With `split`: the encoder's and decoder's files and manifests. */
  readonly pair?: { readonly encoder: { path: string; manifest: Manifest }; readonly decoder: { path: string; manifest: Manifest } };
}

export function compileOnePrompt(o: CompileOptions): CompileResult {
  const config = resolveConfig(o);
  const model = buildOnePrompt(config, o.seed ?? 0);
  if (o.weights) loadWeights(model, o.weights);
  const dtype = o.dtype ?? 'float32';
  const weights = o.weights ? 'trained' : `initialised (seed ${o.seed ?? 0})`;
  const one = emitModel(model.graph, o.out, { config, dtype, weights });
  const parts: EmittedModel[] = [one];
  if (o.split) {
    // The pair is built on the model's own ParamStore: its parameters are the model's (loaded weights included).
    const pair = buildOnePromptPair(config, model.store);
    const files = pairFiles(o.out);
    const of = { file: basename(o.out), sha256: one.manifest.sha256 };
    parts.push(emitModel(pair.encoder.graph, files.encoder, { config, dtype, weights, pair: { part: 'encoder', of } }));
    parts.push(emitModel(pair.decoder.graph, files.decoder, { config, dtype, weights, pair: { part: 'decoder', of } }));
  }
  // The models and their manifests (each holding its model's sha256; the pair's, NAME.onnx's too) land together: a
  // kill never leaves a manifest that describes other bytes, at worst models without one.
  writeFilesTogether(
    parts.flatMap((p) => [
      { path: p.path, data: p.chunks },
      { path: p.manifestPath, data: JSON.stringify(p.manifest, null, 2) + '\n' },
    ]),
    parts.map((p) => p.manifestPath),
  );
  if (o.triton) {
    const modelBytes = one.chunks.length === 1 ? one.chunks[0] : Buffer.concat(one.chunks);
    writeTritonRepository(o.triton.dir, { name: one.manifest.name, modelBytes, manifest: one.manifest, device: o.triton.device, maxBatch: o.triton.maxBatch ?? 8, instances: o.triton.instances ?? 1 });
  }
  if (!o.split) return { path: o.out, manifest: one.manifest, model };
  const [, encoder, decoder] = parts.map((p) => ({ path: p.path, manifest: p.manifest }));
  return { path: o.out, manifest: one.manifest, model, pair: { encoder, decoder } };
}

interface EmittedModel {
  readonly path: string;
  readonly chunks: Uint8Array[];
  readonly manifest: Manifest;
  /** NAME.json beside the model. */
  readonly manifestPath: string;
}

/** Emit one graph for `out` and its manifest NAME.json (written by the caller, all files together). */
function emitModel(graph: Graph, out: string, o: { config: OnePromptConfig; dtype: 'float32' | 'float16'; weights: string; pair?: PairManifest }): EmittedModel {
  const name = basename(out).replace(/\.onnx$/, '');
  const metadata: Record<string, string> = { oneprompt_config: JSON.stringify(o.config), ...(o.pair ? { [PAIR_OF_KEY]: o.pair.of.sha256 } : {}) };
  // float32 streams the weights from the parameters; float16 rewrites the model proto first (one converted copy).
  const chunks = o.dtype === 'float16' ? [onnx.ModelProto.encode(toFloat16(toModelProto(graph, { metadata }))).finish()] : emitChunks(graph, { metadata });
  const hash = createHash('sha256');
  let bytes = 0;
  for (const c of chunks) {
    hash.update(c);
    bytes += c.byteLength;
  }
  const manifest: Manifest = {
    name,
    config: o.config,
    ...manifestTensors({ graph }),
    parameters: graph.params.reduce((a, p) => a + p.size, 0),
    modules: moduleBreakdown({ graph }),
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    dtype: o.dtype,
    weights: o.weights,
    bytes,
    sha256: hash.digest('hex'),
    ...(o.pair ? { pair: o.pair } : {}),
  };
  return { path: out, chunks, manifest, manifestPath: join(dirname(out), `${name}.json`) };
}
