// The safetensors format, read and written here: an 8-byte little-endian header length N, N bytes of
// JSON header { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } },
// then the raw little-endian tensor bytes, offsets relative to the end of the header, no holes.
import { asFileReadError, readRegularFile } from './safe-read.js';

/** The largest file read whole (a Uint8Array's limit). */
const MAX_SAFETENSORS_BYTES = 2 ** 32 - 1;
import { endianness } from 'node:os';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { writeFileAtomic } from './atomic-write.js';

export type SafeDType = 'F64' | 'F32' | 'F16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type SafeArray = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface SafeTensor {
  readonly dtype: SafeDType;
  readonly shape: readonly number[];
  /** F16 as raw half bits; BOOL as 0/1 bytes. */
  readonly data: SafeArray;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafeTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const ARRAY: Record<SafeDType, new (b: ArrayBuffer) => SafeArray> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};
/** Headers beyond this are refused before parsing (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
const METADATA = '__metadata__';

if (endianness() !== 'LE') throw new Error('safetensors: this reader/writer needs a little-endian host');

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Encode as [header, tensor bytes...] (no copies of tensor data), tensors in the given order. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafeTensor> | Readonly<Record<string, SafeTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array[] {
  const entries: [string, SafeTensor][] =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafeTensor>).entries()] : Object.entries(tensors as Record<string, SafeTensor>);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}': values must be strings, got ${typeof v}`);
    header[METADATA] = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA) throw new SafetensorsError(`'${METADATA}' is reserved and cannot name a tensor`);
    if (!(t.dtype in BYTES)) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${t.dtype}`);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new SafetensorsError(`tensor '${name}': bad shape [${t.shape.join(', ')}]`);
    if (t.data.length !== count(t.shape)) throw new SafetensorsError(`tensor '${name}': ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    if (t.data.BYTES_PER_ELEMENT !== BYTES[t.dtype]) throw new SafetensorsError(`tensor '${name}': ${t.data.constructor.name} does not hold ${t.dtype}`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    parts.push(bytes);
  }
  // Pad the JSON with spaces so tensor data starts 8-byte aligned (as the reference writer does).
  let json = JSON.stringify(header);
  const raw = Buffer.byteLength(json);
  json += ' '.repeat((8 - ((8 + raw) % 8)) % 8);
  const head = new Uint8Array(8 + Buffer.byteLength(json));
  new DataView(head.buffer).setBigUint64(0, BigInt(head.byteLength - 8), true);
  head.set(Buffer.from(json), 8);
  return [head, ...parts];
}

/** Write atomically: a reader never sees a half-written checkpoint. */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafeTensor> | Readonly<Record<string, SafeTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// ---- reading: each step a validation that either passes its result on or says what is wrong ----

interface RawEntry {
  readonly name: string;
  readonly dtype: SafeDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

const headerLength = (bytes: Uint8Array): E.Either<string, number> => {
  if (bytes.byteLength < 8) return E.left(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) return E.left(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (8n + n > BigInt(bytes.byteLength)) return E.left(`header length ${n} runs past the end of the ${bytes.byteLength}-byte file`);
  return E.right(Number(n));
};

const parseHeader = (bytes: Uint8Array, n: number): E.Either<string, Record<string, unknown>> => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8');
  if (!text.startsWith('{')) return E.left('header does not start with "{"');
  return pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (e) => `header is not valid JSON (${(e as Error).message})`,
    ),
    E.chain((h) => (h !== null && typeof h === 'object' && !Array.isArray(h) ? E.right(h as Record<string, unknown>) : E.left('header is not a JSON object'))),
  );
};

const parseMetadata = (header: Record<string, unknown>): E.Either<string, Record<string, string>> => {
  const m = header[METADATA];
  if (m === undefined) return E.right({});
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return E.left(`'${METADATA}' is not an object`);
  for (const [k, v] of Object.entries(m)) if (typeof v !== 'string') return E.left(`'${METADATA}.${k}' is not a string`);
  return E.right(m as Record<string, string>);
};

const parseEntry = (name: string, e: unknown): E.Either<string, RawEntry> => {
  if (e === null || typeof e !== 'object') return E.left(`tensor '${name}': entry is not an object`);
  const { dtype, shape, data_offsets: off } = e as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in BYTES)) return E.left(`tensor '${name}': unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    return E.left(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(off) || off.length !== 2 || off.some((d) => !Number.isSafeInteger(d) || d < 0) || off[0] > off[1])
    return E.left(`tensor '${name}': data_offsets ${JSON.stringify(off)} is not [begin, end] with begin ≤ end`);
  const expected = count(shape as number[]) * BYTES[dtype as SafeDType];
  if (off[1] - off[0] !== expected)
    return E.left(`tensor '${name}': data_offsets span ${off[1] - off[0]} bytes, but ${dtype} [${(shape as number[]).join(', ')}] needs ${expected}`);
  return E.right({ name, dtype: dtype as SafeDType, shape: shape as number[], begin: off[0], end: off[1] });
};

/** The data region must be covered exactly: sorted by offset, no gaps, no overlaps, nothing left over. */
const checkCoverage = (entries: readonly RawEntry[], dataBytes: number): E.Either<string, readonly RawEntry[]> => {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at)
      return E.left(
        e.begin < at
          ? `tensor '${e.name}' overlaps the previous tensor (starts at ${e.begin}, previous ends at ${at})`
          : `a hole of ${e.begin - at} bytes precedes tensor '${e.name}'`,
      );
    at = e.end;
  }
  if (at !== dataBytes) return E.left(`the data region is ${dataBytes} bytes but the tensors cover ${at}`);
  return E.right(entries);
};

/** Decode and validate; data is copied out, so the result does not pin `bytes`. */
export function decodeSafetensors(bytes: Uint8Array): E.Either<string, SafetensorsFile> {
  return pipe(
    headerLength(bytes),
    E.bindTo('n'),
    E.bind('header', ({ n }) => parseHeader(bytes, n)),
    E.bind('metadata', ({ header }) => parseMetadata(header)),
    E.bind('entries', ({ header }) =>
      pipe(
        Object.entries(header).filter(([k]) => k !== METADATA),
        E.traverseArray(([name, e]) => parseEntry(name, e)),
      ),
    ),
    E.chain(({ n, metadata, entries }) =>
      pipe(
        checkCoverage(entries, bytes.byteLength - 8 - n),
        E.map((ok) => {
          const start = bytes.byteOffset + 8 + n;
          const tensors = new Map<string, SafeTensor>();
          for (const e of ok) {
            const copy = bytes.buffer.slice(start + e.begin, start + e.end) as ArrayBuffer;
            tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new ARRAY[e.dtype](copy) });
          }
          return { tensors, metadata } as SafetensorsFile;
        }),
      ),
    ),
  );
}

/** Read a file; throws SafetensorsError naming the file and what is wrong. */
export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, MAX_SAFETENSORS_BYTES, 'a safetensors file');
  } catch (e) {
    throw new SafetensorsError(asFileReadError(e, path).message);
  }
  const result = decodeSafetensors(bytes);
  if (E.isLeft(result)) throw new SafetensorsError(`${path}: ${result.left}`);
  return result.right;
}

/** A float32 tensor (the common case: parameters and optimiser moments). */
export const f32 = (data: Float32Array, shape: readonly number[]): SafeTensor => ({ dtype: 'F32', shape, data });
