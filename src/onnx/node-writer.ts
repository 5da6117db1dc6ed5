// What an op's ONNX lowering writes with: nodes, constant initializers, fresh names.
import { onnx } from './proto.js';
import { toHalfArray } from '../util/float16.js';
import type { onnx as P } from 'onnx-proto';

export type AttrValue = number | string | readonly number[] | { readonly floats: readonly number[] } | { readonly int: number } | { readonly float: number };

const AT = onnx.AttributeProto.AttributeType;

/** Integers become INT(S) and other numbers FLOAT(S); force with `{int}`, `{float}`, `{floats}`. */
function attribute(name: string, v: AttrValue): P.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { name, type: AT.INTS, ints: [...v] } : { name, type: AT.FLOATS, floats: [...v] };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: [...v.floats] };
  if ('int' in v) return { name, type: AT.INT, i: v.int };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  throw new Error(`attribute ${name}: unsupported value`);
}

export class OnnxNodeWriter {
  readonly nodes: P.INodeProto[] = [];
  readonly initializers: P.ITensorProto[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;
  /** Name and source of the DSL node being lowered (set by the emitter). */
  current = { name: 'node', source: '' };

  /** A name not used before in this model. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }
  reserve(name: string): void {
    this.usedNames.add(name);
  }
  /** A fresh intermediate tensor name under the current node. */
  tmp(hint = 't'): string {
    return this.unique(`${this.current.name}/${hint}${this.counter++}`);
  }
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}): void {
    const attribute_ = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => attribute(k, v));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: attribute_,
      name: this.unique(this.current.name),
      docString: this.current.source,
    });
  }
  /** An int64 constant (shapes, axes, pads) as an initializer. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.tmp('const');
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }
  /** A float32 constant as an initializer. */
  float32(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    const name = this.tmp('const');
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }
  /** A float16 constant as an initializer. */
  float16(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    const name = this.tmp('const');
    const data = toHalfArray(values);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT16, rawData: new Uint8Array(data.buffer) });
    return name;
  }
}
