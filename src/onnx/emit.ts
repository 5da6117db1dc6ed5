// Graph IR → ONNX ModelProto bytes (IR 8, opset 17 by default).
import { endianness } from 'node:os';
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

if (endianness() !== 'LE') throw new Error('oneprompt writes ONNX raw_data as little-endian and needs a little-endian host');

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
        w.initializers.push({ name: n, dims: v.shape.map(Number), dataType: onnxElemType[v.dtype], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
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
    return { name: p.name, dims: [...p.shape], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
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

/** Encode to bytes: the weights are copied once, into the returned buffer. */
export function emit(graph: Graph, opts: EmitOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(toModelProto(graph, opts)).finish();
}
