// Compile a One-Prompt configuration to an ONNX file and its manifest (NAME.json beside it).
import { createHash } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { emitChunks, toModelProto, DEFAULT_IR_VERSION, DEFAULT_OPSET } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { writeTritonRepository } from '../../src/serve/triton.js';
import { writeFilesTogether } from '../../src/util/atomic-write.js';
import { moduleOf } from '../../src/onnx/inspect.js';
import { configs, withVariant, type ConfigName, type EncoderKind, type MaskingStep, type OnePromptConfig, type PromptingStep } from './config.js';
import { buildOnePrompt, type OnePromptModel } from './model.js';

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
export function moduleBreakdown(model: OnePromptModel, depth = 2): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of model.graph.params) out[moduleOf(p.name, depth)] = (out[moduleOf(p.name, depth)] ?? 0) + p.size;
  return out;
}

export function manifestTensors(model: OnePromptModel) {
  const t = (x: { name: string; value: { shape: readonly (number | string)[]; dtype: string } }): TensorManifest => ({ name: x.name, shape: [...x.value.shape], dtype: x.value.dtype });
  return { inputs: model.graph.inputs.map(t), outputs: model.graph.outputs.map(t) };
}

export function compileOnePrompt(o: CompileOptions): { path: string; manifest: Manifest; model: OnePromptModel } {
  const config = resolveConfig(o);
  const model = buildOnePrompt(config, o.seed ?? 0);
  if (o.weights) loadWeights(model, o.weights);
  const name = basename(o.out).replace(/\.onnx$/, '');
  const dtype = o.dtype ?? 'float32';
  const metadata = { oneprompt_config: JSON.stringify(config) };
  // float32 streams the weights from the parameters; float16 rewrites the model proto first (one converted copy).
  const chunks = dtype === 'float16' ? [onnx.ModelProto.encode(toFloat16(toModelProto(model.graph, { metadata }))).finish()] : emitChunks(model.graph, { metadata });
  const hash = createHash('sha256');
  let bytes = 0;
  for (const c of chunks) {
    hash.update(c);
    bytes += c.byteLength;
  }
  const manifest: Manifest = {
    name,
    config,
    ...manifestTensors(model),
    parameters: model.graph.params.reduce((a, p) => a + p.size, 0),
    modules: moduleBreakdown(model),
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    dtype,
    weights: o.weights ? 'trained' : `initialised (seed ${o.seed ?? 0})`,
    bytes,
    sha256: hash.digest('hex'),
  };
  // The model and its manifest (which holds the model's sha256) land together: a kill never leaves a manifest that
  // describes other bytes, at worst a model without one.
  const manifestPath = join(dirname(o.out), `${name}.json`);
  writeFilesTogether([{ path: o.out, data: chunks }, { path: manifestPath, data: JSON.stringify(manifest, null, 2) + '\n' }], manifestPath);
  if (o.triton) {
    const modelBytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    writeTritonRepository(o.triton.dir, { name, modelBytes, manifest, device: o.triton.device, maxBatch: o.triton.maxBatch ?? 8, instances: o.triton.instances ?? 1 });
  }
  return { path: o.out, manifest, model };
}
