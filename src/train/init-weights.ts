// Starting weights for fine-tuning (`oneprompt train --init FILE`): a safetensors file (a checkpoint or weights
// file of the same configuration) or a compiled float32 ONNX model, whose initializers carry the parameters under
// the same module paths. Either way every parameter must be there with its shape; the optimiser starts fresh.
// Partial (`--init-partial`, `--init-exclude`): take every parameter the file has with the same name and shape,
// keep the seeded initialisation for the others (another variant's Prompt-Parser, a new module) and say which.
import type { Param } from '../dsl/params.js';
import { MAX_ONNX_BYTES, onnx } from '../onnx/proto.js';
import { asFileReadError, readRegularFile } from '../util/safe-read.js';
import { loadWeights } from './checkpoint.js';
import { readSafetensors, SafetensorsError } from '../util/safetensors.js';

export interface PartialInit {
  /** Parameter-path prefixes that keep their seeded initialisation even where the file has them. */
  readonly exclude?: readonly string[];
}

export interface PartialInitReport {
  /** Parameters set from the file. */
  readonly loaded: readonly string[];
  /** Parameters that kept their seeded values, with the reason. */
  readonly kept: readonly { readonly name: string; readonly why: 'excluded' | 'missing' | 'shape' }[];
}

const FLOAT = 1;

/** A compiled ONNX model read as every other input is: a regular file within the protobuf limit, errors naming it. */
function readOnnxModel(path: string): ReturnType<typeof onnx.ModelProto.decode> {
  let bytes: Uint8Array;
  try {
    // Only a regular file (a FIFO would block, /dev/zero never end), as every other input.
    bytes = readRegularFile(path, MAX_ONNX_BYTES, 'an ONNX model (the protobuf limit)');
  } catch (e) {
    throw new SafetensorsError(asFileReadError(e, path).message);
  }
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new SafetensorsError(`${path}: not a readable ONNX model (${(e as Error).message})`);
  }
}

/** A float32 initializer's values, from raw_data (little-endian; copied out so they are aligned and owned) or float_data. */
function floatValues(t: { rawData?: Uint8Array | null; floatData?: number[] | null }): Float32Array {
  const raw = t.rawData;
  if (!raw || raw.length === 0) return Float32Array.from(t.floatData ?? []);
  const data = new Float32Array(raw.byteLength / 4);
  new Uint8Array(data.buffer).set(raw);
  return data;
}

/** Parameter values from a compiled ONNX model's float32 initializers named like the parameters. */
function loadOnnxWeights(path: string, params: readonly Param[]): void {
  const model = readOnnxModel(path);
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const missing = params.filter((p) => !inits.has(p.name)).map((p) => p.name);
  if (missing.length)
    throw new SafetensorsError(
      `${path}: no initializer for ${missing
        .slice(0, 5)
        .map((m) => `'${m}'`)
        .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (a model of another configuration?)`,
    );
  for (const p of params) {
    const t = inits.get(p.name)!;
    if (t.dataType !== FLOAT)
      throw new SafetensorsError(`${path}: '${p.name}' is not float32 (ONNX type ${t.dataType}); start from a float32 model (compile without --dtype float16)`);
    const dims = (t.dims ?? []).map(Number);
    if (dims.length !== p.shape.length || dims.some((d, i) => d !== p.shape[i]))
      throw new SafetensorsError(`${path}: '${p.name}' has shape [${dims.join(', ')}], the model declares [${p.shape.join(', ')}]`);
    const data = floatValues(t);
    if (data.length !== p.size) throw new SafetensorsError(`${path}: '${p.name}' holds ${data.length} values, expected ${p.size} (external data is not read)`);
    p.set(data);
  }
}

/** The float32 tensors of FILE by name with their shapes (.onnx initializers, or safetensors). */
function readTensors(path: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  if (/\.onnx$/i.test(path)) {
    const model = readOnnxModel(path);
    for (const t of model.graph?.initializer ?? []) {
      if (t.dataType !== FLOAT || !t.name) continue;
      out.set(t.name, { shape: (t.dims ?? []).map(Number), data: floatValues(t) });
    }
  } else
    for (const [name, t] of readSafetensors(path).tensors)
      if (!name.startsWith('__') && t.dtype === 'F32') out.set(name, { shape: [...t.shape], data: t.data as Float32Array });
  return out;
}

/** Set the parameters FILE has with the same name and shape (not those under `exclude`); report what it took. */
export function loadPartialWeights(path: string, params: readonly Param[], o: PartialInit = {}): PartialInitReport {
  const file = readTensors(path);
  const loaded: string[] = [];
  const kept: { name: string; why: 'excluded' | 'missing' | 'shape' }[] = [];
  for (const p of params) {
    if ((o.exclude ?? []).some((prefix) => p.name.startsWith(prefix))) kept.push({ name: p.name, why: 'excluded' });
    else {
      const t = file.get(p.name);
      if (!t) kept.push({ name: p.name, why: 'missing' });
      else if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]) || t.data.length !== p.size)
        kept.push({ name: p.name, why: 'shape' });
      else {
        p.set(t.data);
        loaded.push(p.name);
      }
    }
  }
  if (loaded.length === 0) throw new SafetensorsError(`${path}: no parameter of this model is there with its shape (a model of another configuration?)`);
  return { loaded, kept };
}

/** Set every parameter from FILE (.onnx, or safetensors otherwise); throws a SafetensorsError naming file and tensor. */
export function loadInitialWeights(path: string, params: readonly Param[]): void {
  if (/\.onnx$/i.test(path)) loadOnnxWeights(path, params);
  else loadWeights(path, params);
}
