// Graph IR → ONNX ModelProto bytes (IR 8, opset 17 by default).
import type { Graph } from '../dsl/build.js';
import type { Value } from '../dsl/graph.js';
import { onnxElemType } from '../dsl/dtype.js';
import type { Dim } from '../dsl/types/shape.js';
import { onnx } from './proto.js';
import type { onnx as P } from 'onnx-proto';
import { OnnxNodeWriter } from './node-writer.js';

export interface EmitOptions {
  readonly opset?: number;
  readonly irVersion?: number;
  /** value_info for every intermediate DSL tensor (default true). */
  readonly valueInfo?: boolean;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly producerVersion?: string;
}

export const DEFAULT_OPSET = 17;
export const DEFAULT_IR_VERSION = 8;

function tensorType(shape: readonly Dim[], dtype: Value['dtype']): P.ITypeProto {
  return {
    tensorType: {
      elemType: onnxElemType[dtype],
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

// Browser-safe: no node: imports; Buffer (Node's, faster with protobufjs) only where it exists.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!littleEndian) throw new Error('oneprompt writes ONNX raw_data as little-endian and needs a little-endian host');

/**
 * A Buffer view of a typed array (no copy). protobufjs copies Buffers with memcpy but plain
 * Uint8Arrays byte by byte, which made emission 3× slower than the 1 GB/s target.
 */
export const bytesView = (a: ArrayBufferView): Uint8Array =>
  typeof Buffer === 'undefined' ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The model as a protobuf object (weights referenced, not copied). */
export function toModelProto(graph: Graph, opts: EmitOptions = {}): P.IModelProto {
  const w = new OnnxNodeWriter();
  const names = new Map<number, string>();
  const valueInfo: P.IValueInfoProto[] = [];

  for (const i of graph.inputs) {
    w.reserve(i.name);
    names.set(i.value.id, i.name);
  }
  for (const p of graph.params) w.reserve(p.name);
  // Graph outputs named directly when the value is an op output named once; otherwise through Identity.
  const identities: { from: Value; to: string }[] = [];
  for (const o of graph.outputs) {
    w.reserve(o.name);
    if (o.value.origin.kind === 'node' && !names.has(o.value.id)) names.set(o.value.id, o.name);
    else identities.push({ from: o.value, to: o.name });
  }
  const nameOf = (v: Value): string => {
    let n = names.get(v.id);
    if (n === undefined) {
      const o = v.origin;
      if (o.kind === 'const') {
        n = w.unique('const');
        const data = o.data;
        w.initializers.push({ name: n, dims: v.shape.map(Number), dataType: onnxElemType[v.dtype], rawData: bytesView(data) });
      } else if (o.kind === 'param') n = o.param.name;
      else if (o.kind === 'node') {
        n = w.unique(`${o.node.name}:${o.index}`);
        if (opts.valueInfo !== false) valueInfo.push({ name: n, type: tensorType(v.shape, v.dtype) });
      } else n = o.name;
      names.set(v.id, n);
    }
    return n;
  };

  for (const node of graph.nodes) {
    const ins = node.inputs.map(nameOf);
    const outs = node.outputs.map(nameOf);
    w.current = { name: node.name, source: node.source };
    node.op.onnx(w, ins, outs, node.attrs, node);
  }
  w.current = { name: 'output', source: '' };
  for (const { from, to } of identities) w.node('Identity', [nameOf(from)], [to]);

  const initializer: P.ITensorProto[] = graph.params.map((p) => {
    const data = p.values();
    return { name: p.name, dims: [...p.shape], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesView(data) };
  });
  initializer.push(...w.initializers);

  return {
    irVersion: opts.irVersion ?? DEFAULT_IR_VERSION,
    opsetImport: [{ domain: '', version: opts.opset ?? DEFAULT_OPSET }],
    producerName: 'oneprompt',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: opts.docString ?? graph.docString ?? '',
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: w.nodes,
      input: graph.inputs.map((i) => ({ name: i.name, type: tensorType(i.value.shape, i.value.dtype) })),
      output: graph.outputs.map((o) => ({ name: o.name, type: tensorType(o.value.shape, o.value.dtype) })),
      initializer,
      valueInfo,
    },
  };
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
/** Tag byte for a length-delimited field (wire type 2); all fields used here are < 16. */
const lenTag = (field: number): number => (field << 3) | 2;
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

/**
 * The encoded model as a list of chunks whose weight chunks are views of the parameters themselves:
 * no copy of the weights is made. Protobuf allows a message's fields in any order, so the graph is
 * encoded without its large initializers, and each initializer is framed by hand around its raw data.
 */
export function emitChunks(graph: Graph, opts: EmitOptions = {}): Uint8Array[] {
  const model = toModelProto(graph, opts);
  const g = model.graph!;
  const big = (g.initializer ?? []).filter((t) => (t.rawData?.length ?? 0) >= 4096);
  const small = (g.initializer ?? []).filter((t) => (t.rawData?.length ?? 0) < 4096);
  const graphBody = onnx.GraphProto.encode({ ...g, initializer: small }).finish();
  const initChunks: Uint8Array[] = [];
  let graphLen = graphBody.length;
  for (const t of big) {
    const data = t.rawData as Uint8Array;
    const header = onnx.TensorProto.encode({ ...t, rawData: undefined }).finish();
    const rawPrefix = Uint8Array.from([lenTag(TENSOR_RAW_DATA), ...varint(data.length)]);
    const tensorLen = header.length + rawPrefix.length + data.length;
    const entryPrefix = Uint8Array.from([lenTag(GRAPH_INITIALIZER), ...varint(tensorLen)]);
    initChunks.push(entryPrefix, header, rawPrefix, data);
    graphLen += entryPrefix.length + tensorLen;
  }
  const modelHead = onnx.ModelProto.encode({ ...model, graph: undefined }).finish();
  return [modelHead, Uint8Array.from([lenTag(MODEL_GRAPH), ...varint(graphLen)]), graphBody, ...initChunks];
}

/** Encode to one buffer (the weights are copied once, into it). */
export function emit(graph: Graph, opts: EmitOptions = {}): Uint8Array {
  const chunks = emitChunks(graph, opts);
  if (typeof Buffer !== 'undefined') return Buffer.concat(chunks);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.byteLength), 0);
  return out;
}
