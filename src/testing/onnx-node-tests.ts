// ONNX's backend node tests (Debian package libonnx-testdata): one directory per test with a one-node
// model.onnx and test_data_set_0/{input,output}_N.pb TensorProtos. Loaded here for conformance checks
// of our kernels; anything we cannot represent is reported as a reason rather than thrown.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType, HostArray } from '../dsl/dtype.js';
import { onnx, type OnnxTypes } from '../onnx/proto.js';
import type { HostTensor } from '../runtime/session.js';
import { elementTypeName } from '../onnx/element-types.js';

export const ONNX_NODE_TEST_DIR = '/usr/share/libonnx-testdata/data/node';

type Longish = number | { toString(): string };
export const num = (x: Longish | null | undefined): number => (typeof x === 'number' ? x : Number(String(x ?? 0)));

/** A loaded tensor, or why it cannot be one of ours. */
export type LoadedTensor = { readonly ok: true; readonly tensor: HostTensor } | { readonly ok: false; readonly reason: string };

const DT = onnx.TensorProto.DataType;
export const onnxTypeName = (code: number): string => elementTypeName(code);

/** ONNX element type → our DType (float16 and the rest tfjs cannot hold give undefined). */
const OURS: Partial<Record<number, DType>> = { [DT.FLOAT]: 'float32', [DT.UINT8]: 'uint8', [DT.INT32]: 'int32', [DT.INT64]: 'int64', [DT.BOOL]: 'bool' };
export const dtypeOfOnnx = (code: number): DType | undefined => OURS[code];

function view<T extends HostArray>(Ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, raw: Uint8Array): T {
  // Copy: raw_data inside a decoded protobuf need not be aligned for a typed-array view. (A Node Buffer's
  // slice() is a view, not a copy, so copy explicitly.)
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return new Ctor(copy.buffer);
}

export function decodeTensor(bytes: Uint8Array): LoadedTensor {
  let t: OnnxTypes.TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    return { ok: false, reason: `not a TensorProto (sequence/optional inputs are not supported): ${(e as Error).message}` };
  }
  const code = t.dataType ?? 0;
  const dtype = dtypeOfOnnx(code);
  if (!dtype) return { ok: false, reason: `dtype ${onnxTypeName(code)}: tfjs has no such type` };
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return { ok: false, reason: 'external data' };
  const dims = (t.dims ?? []).map(num);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  let data: HostArray;
  switch (dtype) {
    case 'float32':
      data = raw ? view(Float32Array, raw) : Float32Array.from(t.floatData ?? []);
      break;
    case 'int32':
      data = raw ? view(Int32Array, raw) : Int32Array.from(t.int32Data ?? []);
      break;
    case 'int64':
      data = raw ? view(BigInt64Array, raw) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
      break;
    case 'bool':
    case 'uint8':
      data = raw ? Uint8Array.from(raw) : Uint8Array.from(t.int32Data ?? []);
      break;
    default:
      return { ok: false, reason: `dtype ${dtype}` };
  }
  if (data.length !== n) return { ok: false, reason: `holds ${data.length} values for dims [${dims.join(', ')}]` };
  return { ok: true, tensor: { dtype, dims, data } };
}

export interface NodeTestCase {
  readonly name: string;
  readonly dir: string;
  readonly opType: string;
  readonly domain: string;
  readonly opset: number;
  /** Nodes in the model (expanded function-body tests have several). */
  readonly nodeCount: number;
  readonly node: OnnxTypes.INodeProto;
  /** The node's inputs in order; undefined for an omitted optional input (''). */
  readonly inputs: readonly (LoadedTensor | undefined)[];
  readonly outputs: readonly LoadedTensor[];
}

/** Test directory names, or [] when the package is not installed. */
export function listNodeTests(root = ONNX_NODE_TEST_DIR): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d.startsWith('test_') && existsSync(join(root, d, 'model.onnx')))
    .sort();
}

/** The op types of a test model's nodes (cheap: no tensor data is read), for filtering. */
export function nodeTestOpTypes(name: string, root = ONNX_NODE_TEST_DIR): string[] {
  const model = onnx.ModelProto.decode(readFileSync(join(root, name, 'model.onnx')));
  return (model.graph?.node ?? []).map((n) => n.opType ?? '');
}

/** A test with its node, attributes and input/output data. */
export function loadNodeTest(name: string, root = ONNX_NODE_TEST_DIR): NodeTestCase {
  const dir = join(root, name);
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const g = model.graph!;
  const nodes = g.node ?? [];
  const node = nodes[0] ?? {};
  const data = join(dir, 'test_data_set_0');
  const graphInputs = new Map<string, number>();
  (g.input ?? []).forEach((vi, i) => graphInputs.set(vi.name ?? '', i));
  const read = (file: string): LoadedTensor => (existsSync(file) ? decodeTensor(readFileSync(file)) : { ok: false, reason: `missing ${file}` });
  const inputs = (node.input ?? []).map((name) => {
    if (!name) return undefined;
    const i = graphInputs.get(name);
    if (i === undefined) return { ok: false as const, reason: `node input '${name}' is not a graph input (initializer?)` };
    return read(join(data, `input_${i}.pb`));
  });
  const outputs = (g.output ?? []).map((_, i) => read(join(data, `output_${i}.pb`)));
  const opsetEntry = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === (node.domain ?? ''));
  return { name, dir, opType: node.opType ?? '', domain: node.domain ?? '', opset: num(opsetEntry?.version), nodeCount: nodes.length, node, inputs, outputs };
}

/** Typed access to a node's attributes, with defaults. */
export class NodeAttributes {
  private readonly byName = new Map<string, OnnxTypes.IAttributeProto>();
  constructor(attrs: readonly OnnxTypes.IAttributeProto[]) {
    for (const a of attrs) this.byName.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  private get(name: string) {
    return this.byName.get(name);
  }
  int(name: string, def?: number): number {
    const a = this.get(name);
    if (!a) return required(name, def);
    return num(a.i);
  }
  float(name: string, def?: number): number {
    const a = this.get(name);
    if (!a) return required(name, def);
    return a.f ?? 0;
  }
  ints(name: string, def?: readonly number[]): number[] {
    const a = this.get(name);
    if (!a) return [...required(name, def)];
    return (a.ints ?? []).map(num);
  }
  string(name: string, def?: string): string {
    const a = this.get(name);
    if (!a) return required(name, def);
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }
}

function required<T>(name: string, def: T | undefined): T {
  if (def === undefined) throw new Error(`attribute '${name}' is required`);
  return def;
}
