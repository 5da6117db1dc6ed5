// The generic compile step: built graphs → ONNX files, each with its manifest NAME.json beside it (inputs, outputs,
// parameter counts per module, opset, dtype, size, sha256), written together so that a kill never leaves a manifest
// describing other bytes; optionally float16 and a Triton Inference Server model repository. A model adds only what
// is its own (its configuration, how its files relate) as manifest fields and ONNX metadata.
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Graph } from '../dsl/build.js';
import { DEFAULT_IR_VERSION, DEFAULT_OPSET, emitChunks, toModelProto } from '../onnx/emit.js';
import { toFloat16 } from '../onnx/float16.js';
import { moduleOf } from '../onnx/inspect.js';
import { onnx } from '../onnx/proto.js';
import { writeFilesTogether } from '../util/atomic-write.js';
import { writeTritonRepository } from './triton.js';

export type CompileDType = 'float32' | 'float16';

export interface TensorManifest {
  readonly name: string;
  readonly shape: (number | string)[];
  readonly dtype: string;
}

/** What `compileGraphs` writes beside each model as NAME.json; `Extra`: the model's own fields. */
export type Manifest<Extra extends object = object> = {
  readonly name: string;
  readonly inputs: TensorManifest[];
  readonly outputs: TensorManifest[];
  readonly parameters: number;
  readonly modules: Record<string, number>;
  readonly opset: number;
  readonly irVersion: number;
  readonly dtype: string;
  /** How the weights came about: "trained", "initialised (seed 0)"… */
  readonly weights: string;
  readonly bytes: number;
  readonly sha256: string;
} & Extra;

/** Per-module parameter counts at `depth` (e.g. `decoder.0`, `encoder.stem` at depth 2). */
export function moduleBreakdown(model: { readonly graph: Graph }, depth = 2): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of model.graph.params) out[moduleOf(p.name, depth)] = (out[moduleOf(p.name, depth)] ?? 0) + p.size;
  return out;
}

/** A graph's inputs and outputs as the manifest lists them. */
export function manifestTensors(model: { readonly graph: Graph }): { inputs: TensorManifest[]; outputs: TensorManifest[] } {
  const t = (x: { name: string; value: { shape: readonly (number | string)[]; dtype: string } }): TensorManifest => ({
    name: x.name,
    shape: [...x.value.shape],
    dtype: x.value.dtype,
  });
  return { inputs: model.graph.inputs.map(t), outputs: model.graph.outputs.map(t) };
}

/** One graph to compile. */
export interface CompileTarget<Extra extends object = object> {
  readonly graph: Graph;
  /** NAME.onnx; the manifest goes to NAME.json beside it. */
  readonly out: string;
  readonly dtype?: CompileDType;
  /** The manifest's `weights` line. */
  readonly weights: string;
  /** ONNX metadata_props. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The model's own manifest fields: `about` after the name (what the model is, e.g. its configuration), `relations` last (how the file relates to others). */
  readonly about?: Partial<Extra>;
  readonly relations?: Partial<Extra>;
}

export interface EmittedModel<Extra extends object = object> {
  readonly path: string;
  readonly chunks: Uint8Array[];
  readonly manifest: Manifest<Extra>;
  /** NAME.json beside the model. */
  readonly manifestPath: string;
}

/** Emit one graph and make its manifest, writing nothing. float32 streams the weights from the parameters; float16 rewrites the model proto first (one converted copy). */
export function emitCompiled<Extra extends object>(t: CompileTarget<Extra>): EmittedModel<Extra> {
  const dtype = t.dtype ?? 'float32';
  const name = basename(t.out).replace(/\.onnx$/, '');
  const metadata = { ...t.metadata };
  const chunks = dtype === 'float16' ? [onnx.ModelProto.encode(toFloat16(toModelProto(t.graph, { metadata }))).finish()] : emitChunks(t.graph, { metadata });
  const hash = createHash('sha256');
  let bytes = 0;
  for (const c of chunks) {
    hash.update(c);
    bytes += c.byteLength;
  }
  const { graph } = t;
  const manifest = {
    name,
    ...t.about,
    ...manifestTensors({ graph }),
    parameters: graph.params.reduce((a, p) => a + p.size, 0),
    modules: moduleBreakdown({ graph }),
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    dtype,
    weights: t.weights,
    bytes,
    sha256: hash.digest('hex'),
    ...t.relations,
  } as Manifest<Extra>;
  return { path: t.out, chunks, manifest, manifestPath: join(dirname(t.out), `${name}.json`) };
}

export interface TritonTarget {
  readonly dir: string;
  readonly device: 'gpu' | 'cpu';
  readonly maxBatch?: number;
  readonly instances?: number;
}

/**
 * Write emitted models and their manifests together (old manifests removed first, models then manifests renamed:
 * src/util/atomic-write.ts), then the Triton repository of the first one if asked for.
 */
export function writeCompiled(models: readonly EmittedModel<object>[], triton?: TritonTarget): void {
  writeFilesTogether(
    models.flatMap((p) => [
      { path: p.path, data: p.chunks },
      { path: p.manifestPath, data: JSON.stringify(p.manifest, null, 2) + '\n' },
    ]),
    models.map((p) => p.manifestPath),
  );
  const [first] = models;
  if (triton && first) {
    const modelBytes = first.chunks.length === 1 ? first.chunks[0] : Buffer.concat(first.chunks);
    writeTritonRepository(triton.dir, {
      name: first.manifest.name,
      modelBytes,
      manifest: first.manifest,
      device: triton.device,
      maxBatch: triton.maxBatch ?? 8,
      instances: triton.instances ?? 1,
    });
  }
}

/** Compile graphs to ONNX files with their manifests (and a Triton repository for the first): the whole step. */
export function compileGraphs<Extra extends object>(targets: readonly CompileTarget<Extra>[], triton?: TritonTarget): EmittedModel<Extra>[] {
  const models = targets.map((t) => emitCompiled(t));
  writeCompiled(models, triton);
  return models;
}
