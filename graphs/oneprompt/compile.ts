// Compile a One-Prompt configuration to an ONNX file and its manifest (NAME.json beside it); with `split`, also its
// image encoder and prompt decoder (NAME.encoder.onnx, NAME.decoder.onnx + manifests; split.ts) from the same weights.
// The step itself (emit, dtype, manifest, sha256, files written together, Triton) is the library's (src/compile);
// this file adds what is the model's: its configuration in the manifest and ONNX metadata, and how the pair's files
// name the one-file model they were cut from (contract.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { compileGraphs, emitCompiled, writeCompiled, type Manifest as CompiledManifest, type CompileDType } from '../../src/compile/compile.js';
import { configs, withVariant, type ConfigName, type EncoderKind, type MaskingStep, type OnePromptConfig, type PromptingStep, type TypeBias } from './config.js';
import { pairFiles, PAIR_OF_KEY } from './contract.js';
import { buildOnePrompt, type OnePromptModel } from './model.js';
import { buildOnePromptPair } from './split.js';

export { manifestTensors, moduleBreakdown, type TensorManifest } from '../../src/compile/compile.js';

export interface CompileOptions {
  readonly config: ConfigName | OnePromptConfig;
  readonly parser?: PromptingStep;
  readonly masking?: MaskingStep;
  readonly encoder?: EncoderKind;
  /** The calibration (config.ts `typeBias`): a logit offset per prompt type, a constant in the graph. */
  readonly typeBias?: TypeBias;
  /** Trained weights by parameter name (module path); every model parameter must be present. */
  readonly weights?: ReadonlyMap<string, Float32Array>;
  readonly seed?: number;
  readonly out: string;
  /** float16: weights and activations in half precision, float32 where accuracy needs it (src/onnx/float16.ts). */
  readonly dtype?: CompileDType;
  /** Also write a Triton Inference Server model repository here. */
  readonly triton?: { readonly dir: string; readonly device: 'gpu' | 'cpu'; readonly maxBatch?: number; readonly instances?: number };
  /** Also write the image encoder and the prompt decoder beside the model: NAME.encoder.onnx, NAME.decoder.onnx (+ .json). */
  readonly split?: boolean;
}

export interface PairManifest {
  readonly part: 'encoder' | 'decoder';
  /** The one-file model compiled with them (a file name beside them) and its sha256. */
  readonly of: { readonly file: string; readonly sha256: string };
}

/** A One-Prompt manifest: the library's, with the configuration and, for the encoder and decoder files, which half they are. */
export type Manifest = CompiledManifest<OnePromptFields>;
type OnePromptFields = { readonly config: OnePromptConfig; readonly pair?: PairManifest };

export function resolveConfig(o: Pick<CompileOptions, 'config' | 'parser' | 'masking' | 'encoder' | 'typeBias'>): OnePromptConfig {
  const base = typeof o.config === 'string' ? configs[o.config] : o.config;
  if (!base) throw new Error(`unknown configuration '${String(o.config)}' (choose ${Object.keys(configs).join(', ')})`);
  const variant = withVariant(base, o);
  return o.typeBias ? { ...variant, typeBias: o.typeBias } : variant;
}

/** Put trained weights into the model's parameters, checking names and sizes. */
export function loadWeights(model: OnePromptModel, weights: ReadonlyMap<string, Float32Array>): void {
  const missing = model.graph.params.filter((p) => !weights.has(p.name)).map((p) => p.name);
  if (missing.length) throw new Error(`weights: ${missing.length} parameter(s) missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  for (const p of model.graph.params) p.set(weights.get(p.name)!);
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
  const common = { dtype: o.dtype, weights: o.weights ? 'trained' : `initialised (seed ${o.seed ?? 0})`, about: { config } };
  const metadata = { oneprompt_config: JSON.stringify(config) };
  if (!o.split) {
    const [one] = compileGraphs<OnePromptFields>([{ graph: model.graph, out: o.out, metadata, ...common }], o.triton);
    return { path: o.out, manifest: one.manifest, model };
  }
  // The pair is built on the model's own ParamStore: its parameters are the model's (loaded weights included), and
  // each half names the one-file model's sha256, so a pair left beside a recompiled model is recognised as stale.
  const one = emitCompiled<OnePromptFields>({ graph: model.graph, out: o.out, metadata, ...common });
  const pair = buildOnePromptPair(config, model.store);
  const files = pairFiles(o.out);
  const of = { file: basename(o.out), sha256: one.manifest.sha256 };
  const half = (part: 'encoder' | 'decoder', graph: typeof pair.encoder.graph, out: string) =>
    emitCompiled<OnePromptFields>({ graph, out, metadata: { ...metadata, [PAIR_OF_KEY]: of.sha256 }, ...common, relations: { pair: { part, of } } });
  const encoder = half('encoder', pair.encoder.graph, files.encoder);
  const decoder = half('decoder', pair.decoder.graph, files.decoder);
  // The models and their manifests land together: a kill never leaves a manifest that describes other bytes.
  writeCompiled([one, encoder, decoder], o.triton);
  const pick = (p: typeof one) => ({ path: p.path, manifest: p.manifest });
  return { path: o.out, manifest: one.manifest, model, pair: { encoder: pick(encoder), decoder: pick(decoder) } };
}

/**
 * The configuration a compiled model's manifest (NAME.json beside NAME.onnx) says it was built in: a registered one,
 * with the variant and calibration (typeBias) the manifest records, so that re-emitting the model rebuilds the same graph.
 */
export function compiledConfig(modelPath: string): OnePromptConfig {
  const manifestPath = modelPath.replace(/\.onnx$/i, '.json');
  const recorded = (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest).config;
  if (!(recorded.name in configs))
    throw new Error(`${manifestPath}: configuration '${recorded.name}' is not one of ${Object.keys(configs).join(', ')}`);
  const base = configs[recorded.name as ConfigName];
  return resolveConfig({ config: base, parser: recorded.parser, masking: recorded.masking, encoder: recorded.encoder, typeBias: recorded.typeBias });
}
