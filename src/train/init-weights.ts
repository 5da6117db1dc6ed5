// Starting weights for fine-tuning (`oneprompt train --init FILE`): a safetensors file (a checkpoint or weights
// file of the same configuration) or a compiled float32 ONNX model, whose initializers carry the parameters under
// the same module paths. Either way every parameter must be there with its shape; the optimiser starts fresh.
import type { Param } from '../dsl/params.js';
import { MAX_ONNX_BYTES, onnx } from '../onnx/proto.js';
import { asFileReadError, readRegularFile } from '../util/safe-read.js';
import { loadWeights } from './checkpoint.js';
import { SafetensorsError } from '../util/safetensors.js';

const FLOAT = 1;

/** Parameter values from a compiled ONNX model's float32 initializers named like the parameters. */
function loadOnnxWeights(path: string, params: readonly Param[]): void {
  let bytes: Uint8Array;
  try {
    // Only a regular file (a FIFO would block, /dev/zero never end), as every other input.
    bytes = readRegularFile(path, MAX_ONNX_BYTES, 'an ONNX model (the protobuf limit)');
  } catch (e) {
    throw new SafetensorsError(asFileReadError(e, path).message);
  }
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new SafetensorsError(`${path}: not a readable ONNX model (${(e as Error).message})`);
  }
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const missing = params.filter((p) => !inits.has(p.name)).map((p) => p.name);
  if (missing.length) throw new SafetensorsError(`${path}: no initializer for ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (a model of another configuration?)`);
  for (const p of params) {
    const t = inits.get(p.name)!;
    if (t.dataType !== FLOAT) throw new SafetensorsError(`${path}: '${p.name}' is not float32 (ONNX type ${t.dataType}); start from a float32 model (compile without --dtype float16)`);
    const dims = (t.dims ?? []).map(Number);
    if (dims.length !== p.shape.length || dims.some((d, i) => d !== p.shape[i])) throw new SafetensorsError(`${path}: '${p.name}' has shape [${dims.join(', ')}], the model declares [${p.shape.join(', ')}]`);
    const raw = t.rawData;
    let data: Float32Array;
    if (raw && raw.length > 0) {
      // raw_data is little-endian float32; copy it out so the values are aligned and owned.
      data = new Float32Array(raw.byteLength / 4);
      new Uint8Array(data.buffer).set(raw);
    } else data = Float32Array.from(t.floatData ?? []);
    if (data.length !== p.size) throw new SafetensorsError(`${path}: '${p.name}' holds ${data.length} values, expected ${p.size} (external data is not read)`);
    p.set(data);
  }
}

/** Set every parameter from FILE (.onnx, or safetensors otherwise); throws a SafetensorsError naming file and tensor. */
export function loadInitialWeights(path: string, params: readonly Param[]): void {
  if (/\.onnx$/i.test(path)) loadOnnxWeights(path, params);
  else loadWeights(path, params);
}
