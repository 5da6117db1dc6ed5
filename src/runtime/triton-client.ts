// A small client for Triton's HTTP/REST inference protocol (KServe v2 / Open Inference Protocol):
// health, model metadata, and inference with tensors as JSON or with the binary tensor data extension
// (tensors appended to the body after the JSON header; needed for FP16, and faster for images).
import type { DType, HostArray } from '../dsl/dtype.js';
import type { HostTensor } from './session.js';

export interface TritonClientOptions {
  /** Server base URL, e.g. http://localhost:8000 */
  readonly url: string;
  /** Per-request time limit (default 60 s). */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface InferOptions {
  /** Send inputs and receive outputs as binary data (default true); JSON otherwise. */
  readonly binary?: boolean;
  /** Outputs to return (default: all). */
  readonly outputs?: readonly string[];
  readonly version?: string;
  readonly id?: string;
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}
export interface ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

export interface TritonClient {
  serverReady(): Promise<boolean>;
  modelReady(model: string, version?: string): Promise<boolean>;
  modelMetadata(model: string, version?: string): Promise<ModelMetadata>;
  infer(model: string, inputs: Readonly<Record<string, HostTensor>>, opts?: InferOptions): Promise<Record<string, HostTensor>>;
}

export class TritonError extends Error {
  override name = 'TritonError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Header carrying the JSON part's length when binary tensors follow it. */
export const HEADER_LENGTH = 'Inference-Header-Content-Length';

const KSERVE_TYPES: Record<DType, string> = { float32: 'FP32', float16: 'FP16', int32: 'INT32', int64: 'INT64', bool: 'BOOL', uint8: 'UINT8' };
const FROM_KSERVE: Readonly<Record<string, DType>> = Object.fromEntries(Object.entries(KSERVE_TYPES).map(([d, k]) => [k, d as DType]));
const BYTES: Record<DType, number> = { float32: 4, float16: 2, int32: 4, int64: 8, bool: 1, uint8: 1 };

/** The KServe datatype of a host dtype. */
export const kserveDatatype = (d: DType): string => KSERVE_TYPES[d];

/** Little-endian bytes of a tensor (the host is little-endian: the emitter checks). */
export const tensorBytes = (t: HostTensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** A host array of `dtype` over a copy of `bytes` (copied so that it is aligned). */
export function arrayFromBytes(dtype: DType, bytes: Uint8Array): HostArray {
  if (bytes.byteLength % BYTES[dtype] !== 0) throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  const copy = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy);
    case 'float16':
      return new Uint16Array(copy);
    case 'int32':
      return new Int32Array(copy);
    case 'int64':
      return new BigInt64Array(copy);
    case 'bool':
    case 'uint8':
      return new Uint8Array(copy);
  }
}

/** JSON `data` of a tensor: numbers (int64 as numbers, which must be exact), booleans for BOOL. */
export function jsonData(name: string, t: HostTensor): (number | boolean)[] {
  if (t.dtype === 'float16') throw new Error(`input '${name}': FP16 has no JSON form in the protocol; send it as binary data`);
  if (t.dtype === 'bool') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.dtype === 'int64')
    return Array.from(t.data as BigInt64Array, (v) => {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        throw new Error(`input '${name}': ${v} cannot be sent exactly as JSON; send it as binary data`);
      return Number(v);
    });
  return Array.from(t.data as Float32Array | Int32Array | Uint8Array);
}

/** A host array from JSON `data` (flat or nested). */
export function arrayFromJson(dtype: DType, data: unknown): HostArray {
  const flat = (Array.isArray(data) ? data.flat(Infinity) : [data]) as (number | boolean)[];
  switch (dtype) {
    case 'float32':
      return Float32Array.from(flat as number[]);
    case 'int32':
      return Int32Array.from(flat as number[]);
    case 'int64':
      return BigInt64Array.from(flat as number[], (v) => BigInt(v));
    case 'bool':
    case 'uint8':
      return Uint8Array.from(flat, (v) => Number(v));
    case 'float16':
      throw new Error('FP16 has no JSON form in the protocol');
  }
}

interface ResponseOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown;
  parameters?: { binary_data_size?: number };
}

export function tritonClient(o: TritonClientOptions): TritonClient {
  const base = o.url.replace(/\/+$/, '');
  const modelPath = (model: string, version?: string) => `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(base + path, {
        ...init,
        headers: { ...o.headers, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
      });
    } catch (e) {
      throw new TritonError(`triton: ${init.method ?? 'GET'} ${base}${path} failed: ${(e as Error).message}`, 0);
    }
  }
  async function failure(res: Response, what: string): Promise<TritonError> {
    const text = await res.text();
    let reason = text;
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      /* not JSON: keep the text */
    }
    return new TritonError(`triton: ${what} failed (HTTP ${res.status}): ${reason}`, res.status);
  }

  return {
    async serverReady() {
      return (await request('/v2/health/ready')).ok;
    },
    async modelReady(model, version) {
      return (await request(`${modelPath(model, version)}/ready`)).ok;
    },
    async modelMetadata(model, version) {
      const res = await request(modelPath(model, version));
      if (!res.ok) throw await failure(res, `metadata of model '${model}'`);
      return (await res.json()) as ModelMetadata;
    },
    async infer(model, inputs, opts = {}) {
      const binary = opts.binary ?? true;
      const header: Record<string, unknown> = {
        ...(opts.id ? { id: opts.id } : {}),
        inputs: Object.entries(inputs).map(([name, t]) => ({
          name,
          shape: [...t.dims],
          datatype: KSERVE_TYPES[t.dtype],
          ...(binary ? { parameters: { binary_data_size: t.data.byteLength } } : { data: jsonData(name, t) }),
        })),
      };
      if (opts.outputs) header.outputs = opts.outputs.map((name) => ({ name, parameters: { binary_data: binary } }));
      else if (binary) header.parameters = { binary_data_output: true };
      const json = new TextEncoder().encode(JSON.stringify(header));
      const body = binary ? Buffer.concat([json, ...Object.values(inputs).map(tensorBytes)]) : json;
      const headers: Record<string, string> = binary
        ? { 'Content-Type': 'application/octet-stream', [HEADER_LENGTH]: String(json.byteLength) }
        : { 'Content-Type': 'application/json' };
      const res = await request(`${modelPath(model, opts.version)}/infer`, { method: 'POST', body, headers });
      if (!res.ok) throw await failure(res, `inference on model '${model}'`);
      return decodeResponse(model, new Uint8Array(await res.arrayBuffer()), res.headers.get(HEADER_LENGTH));
    },
  };
}

/** Outputs of an inference response, JSON or JSON header + binary tensors. */
export function decodeResponse(model: string, body: Uint8Array, headerLength: string | null): Record<string, HostTensor> {
  const jsonLength = headerLength === null ? body.byteLength : Number(headerLength);
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.byteLength)
    throw new TritonError(`triton: model '${model}' sent a bad ${HEADER_LENGTH} (${headerLength})`, 0);
  const parsed = JSON.parse(new TextDecoder().decode(body.subarray(0, jsonLength))) as { outputs?: ResponseOutput[] };
  let offset = jsonLength;
  const out: Record<string, HostTensor> = {};
  for (const o of parsed.outputs ?? []) {
    const dtype = FROM_KSERVE[o.datatype];
    if (!dtype) throw new TritonError(`triton: output '${o.name}' of model '${model}' has datatype ${o.datatype}, which this client does not read`, 0);
    const size = o.parameters?.binary_data_size;
    let data: HostArray;
    if (size !== undefined) {
      if (offset + size > body.byteLength)
        throw new TritonError(`triton: output '${o.name}' of model '${model}' claims ${size} bytes past the end of the response`, 0);
      data = arrayFromBytes(dtype, body.subarray(offset, offset + size));
      offset += size;
    } else data = arrayFromJson(dtype, o.data);
    const n = o.shape.reduce((a, b) => a * b, 1);
    if (data.length !== n)
      throw new TritonError(`triton: output '${o.name}' of model '${model}' has ${data.length} values for shape [${o.shape.join(', ')}]`, 0);
    out[o.name] = { dtype, dims: o.shape, data };
  }
  return out;
}
