// A Triton Inference Server model repository for a compiled ONNX model:
//   DIR/<name>/config.pbtxt      platform onnxruntime_onnx, inputs/outputs, dynamic batching, instances
//   DIR/<name>/1/model.onnx      the model (version 1)
// The config is checked against Triton's own schema (vendor/triton/model_config.proto) and against the
// model's inputs and outputs before anything is written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { onnx } from '../onnx/proto.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseTextFormat } from './pbtext.js';
import { packagePath } from '../util/package-root.js';
import { elementTypeName } from '../onnx/element-types.js';

/** A tensor of the compiled model as the manifest describes it; a leading 'B' is the batch dim. */
export interface ManifestTensor {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
}
export interface ModelManifest {
  readonly inputs: readonly ManifestTensor[];
  readonly outputs: readonly ManifestTensor[];
}

export interface TritonRepositoryOptions {
  /** Model name: the folder name and the name clients call. */
  readonly name: string;
  readonly modelBytes: Uint8Array;
  readonly manifest: ModelManifest;
  readonly device: 'gpu' | 'cpu';
  /** Largest batch Triton forms (max_batch_size); 0 turns batching off and keeps 'B' as a -1 dim. */
  readonly maxBatch: number;
  /** Model instances (per GPU for KIND_GPU). */
  readonly instances: number;
  /** How long dynamic batching waits to fill a batch (default 100 µs). */
  readonly maxQueueDelayMicroseconds?: number;
}

export interface TritonRepository {
  readonly modelDir: string;
  readonly configPath: string;
  readonly modelPath: string;
  readonly config: string;
}

export class TritonConfigError extends Error {
  override name = 'TritonConfigError';
}

/** The batch dim's name in manifests. */
export const BATCH_DIM = 'B';

const TRITON_TYPES: Readonly<Record<string, string>> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  bfloat16: 'TYPE_BF16',
  string: 'TYPE_STRING',
};

/** Triton's data type for a manifest dtype. */
export function tritonDataType(dtype: string): string {
  const t = TRITON_TYPES[dtype];
  if (!t) throw new TritonConfigError(`triton: dtype '${dtype}' has no Triton data type`);
  return t;
}

let schema: protobuf.Type | undefined;
/** inference.ModelConfig from the vendored model_config.proto, with snake_case field names as in config.pbtxt. */
export function tritonModelConfigType(): protobuf.Type {
  if (!schema) {
    const path = packagePath('vendor', 'triton', 'model_config.proto');
    schema = protobuf.parse(readFileSync(path, 'utf8'), { keepCase: true }).root.lookupType('inference.ModelConfig');
  }
  return schema;
}

/** Parse and validate a config.pbtxt against Triton's schema (throws TextFormatError with the line). */
export function readTritonConfig(text: string, source = 'config.pbtxt'): Record<string, unknown> {
  return parseTextFormat(tritonModelConfigType(), text, { source });
}

/** The manifest of an ONNX model's graph inputs and outputs (symbolic dims keep their names). */
export function manifestFromModel(modelBytes: Uint8Array): ModelManifest {
  const g = onnx.ModelProto.decode(modelBytes).graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const tensor = (v: {
    name?: string | null;
    type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null;
  }): ManifestTensor => ({
    name: v.name ?? '',
    dtype: elementTypeName(v.type?.tensorType?.elemType ?? 0, (c) => `onnx-type-${c}`),
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? -1))),
  });
  return { inputs: (g?.input ?? []).filter((i) => !inits.has(i.name ?? '')).map(tensor), outputs: (g?.output ?? []).map(tensor) };
}

function checkAgainstModel(manifest: ModelManifest, modelBytes: Uint8Array): void {
  const actual = manifestFromModel(modelBytes);
  for (const side of ['inputs', 'outputs'] as const) {
    const want = manifest[side];
    const have = new Map(actual[side].map((t) => [t.name, t]));
    const missing = [...have.keys()].filter((n) => !want.some((t) => t.name === n));
    if (missing.length) throw new TritonConfigError(`triton: the model's ${side} ${missing.map((n) => `'${n}'`).join(', ')} are missing from the manifest`);
    for (const t of want) {
      const m = have.get(t.name);
      if (!m) throw new TritonConfigError(`triton: manifest ${side.slice(0, -1)} '${t.name}' is not in the model (it has ${[...have.keys()].join(', ')})`);
      if (m.dtype !== t.dtype) throw new TritonConfigError(`triton: '${t.name}' is ${m.dtype} in the model but ${t.dtype} in the manifest`);
      const same = m.shape.length === t.shape.length && m.shape.every((d, i) => typeof d === 'string' || typeof t.shape[i] === 'string' || d === t.shape[i]);
      if (!same) throw new TritonConfigError(`triton: '${t.name}' has shape [${m.shape.join(', ')}] in the model but [${t.shape.join(', ')}] in the manifest`);
    }
  }
}

/** Triton dims: without the batch dim when batching, -1 for any other symbolic dim. */
function tritonDims(t: ManifestTensor, batching: boolean): number[] {
  if (batching && t.shape[0] !== BATCH_DIM)
    throw new TritonConfigError(`triton: '${t.name}' [${t.shape.join(', ')}] has no leading batch dim '${BATCH_DIM}'; use maxBatch 0 for a model without one`);
  const dims = (batching ? t.shape.slice(1) : t.shape).map((d) => (typeof d === 'number' ? d : -1));
  if (dims.some((d) => !Number.isInteger(d) || d < -1)) throw new TritonConfigError(`triton: '${t.name}' has an invalid dim in [${t.shape.join(', ')}]`);
  return dims;
}

const quote = (s: string): string => JSON.stringify(s);

function tensorBlock(t: ManifestTensor, batching: boolean): string {
  const dims = tritonDims(t, batching);
  // Triton wants at least one dim; a tensor with none (besides the batch) is declared [1] and reshaped to [].
  const declared = dims.length > 0 ? dims : [1];
  const reshape = dims.length === 0 ? '\n    reshape: { shape: [ ] }' : '';
  return `  {\n    name: ${quote(t.name)}\n    data_type: ${tritonDataType(t.dtype)}\n    dims: [ ${declared.join(', ')} ]${reshape}\n  }`;
}

/** The config.pbtxt text (not yet validated). */
export function tritonConfigText(o: Omit<TritonRepositoryOptions, 'modelBytes'>): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(o.name))
    throw new TritonConfigError(`triton: model name '${o.name}' must be letters, digits, '_', '.', '-' (it is a folder name)`);
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 0) throw new TritonConfigError(`triton: maxBatch must be an integer ≥ 0, got ${o.maxBatch}`);
  if (!Number.isInteger(o.instances) || o.instances < 1) throw new TritonConfigError(`triton: instances must be an integer ≥ 1, got ${o.instances}`);
  const batching = o.maxBatch > 0;
  const lines = [
    `# Triton model configuration written by oneprompt (schema: vendor/triton/model_config.proto).`,
    `name: ${quote(o.name)}`,
    `platform: "onnxruntime_onnx"`,
    `max_batch_size: ${o.maxBatch}`,
    `input [\n${o.manifest.inputs.map((t) => tensorBlock(t, batching)).join(',\n')}\n]`,
    `output [\n${o.manifest.outputs.map((t) => tensorBlock(t, batching)).join(',\n')}\n]`,
  ];
  // Dynamic batching needs max_batch_size > 0.
  if (batching) lines.push(`dynamic_batching {\n  max_queue_delay_microseconds: ${o.maxQueueDelayMicroseconds ?? 100}\n}`);
  lines.push(`instance_group [\n  {\n    count: ${o.instances}\n    kind: ${o.device === 'gpu' ? 'KIND_GPU' : 'KIND_CPU'}\n  }\n]`);
  return lines.join('\n') + '\n';
}

/** Write DIR/<name>/1/model.onnx and DIR/<name>/config.pbtxt; throws before writing when anything does not fit. */
export function writeTritonRepository(dir: string, o: TritonRepositoryOptions): TritonRepository {
  checkAgainstModel(o.manifest, o.modelBytes);
  const config = tritonConfigText(o);
  readTritonConfig(config, `${o.name}/config.pbtxt`);
  const modelDir = join(dir, o.name);
  const modelPath = join(modelDir, '1', 'model.onnx');
  const configPath = join(modelDir, 'config.pbtxt');
  writeFileAtomic(modelPath, o.modelBytes);
  writeFileAtomic(configPath, config);
  return { modelDir, configPath, modelPath, config };
}
