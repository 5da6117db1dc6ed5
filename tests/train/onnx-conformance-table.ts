// The one table mapping an ONNX node (op type, attributes, static inputs) to the DSL call that makes
// our node for it. The conformance test builds that one-node DSL graph, runs it with our tfjs kernels
// and compares with ONNX's expected outputs. An op that lands in the DSL joins with one line here.
import type { DType } from '../../src/dsl/dtype.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import * as dsl from '../../src/dsl/index.js';
import type { HostTensor } from '../../src/runtime/session.js';
import type { NodeAttributes } from '../../src/testing/onnx-node-tests.js';

type T = Tensor<Shape, DType>;
// The DSL's functions carry type-level shape rules; here shapes are only known at run time.
const f = dsl as unknown as Record<string, (...args: unknown[]) => T & T[]>;

/** One ONNX input of the node: as a DSL graph input (made on first use) or as static numbers. */
export interface NodeInput {
  readonly t: () => T;
  readonly host: HostTensor;
  /** The data as numbers, for inputs ONNX passes as tensors but the DSL takes as attributes (shape, axes...). */
  readonly numbers: () => number[];
}

export interface EntryContext {
  readonly ins: readonly (NodeInput | undefined)[];
  readonly at: NodeAttributes;
  readonly nOutputs: number;
}

/** Thrown by an entry for a case we do not support: the test is skipped with this reason. */
export class Unsupported extends Error {}

export interface Entry {
  /** The attributes the entry reads; any other attribute on the node skips the test. */
  readonly attrs: readonly string[];
  readonly make: (c: EntryContext) => T | T[];
}

const entry = (make: Entry['make'], ...attrs: string[]): Entry => ({ make, attrs });
const need = (x: NodeInput | undefined, what: string): NodeInput => {
  if (!x) throw new Unsupported(`${what} omitted`);
  return x;
};
const unary = (name: string) => entry(({ ins: [x] }) => f[name](need(x, 'input').t()));
const binary = (name: string) => entry(({ ins: [a, b] }) => f[name](need(a, 'A').t(), need(b, 'B').t()));
/** ONNX Max/Min take 1..N inputs; the DSL's are binary, so fold. */
const variadic = (name: string) =>
  entry(({ ins }) => {
    if (ins.length < 2) throw new Unsupported('a single input (an identity; the DSL has no node for it)');
    return ins.map((x) => need(x, 'input').t()).reduce((a, b) => f[name](a, b));
  });

/** ONNX Slice: per-axis starts/ends clamped to the dim (ONNX semantics), step 1 only. */
function onnxSlice({ ins: [data, starts, ends, axesIn, steps] }: EntryContext): T {
  const x = need(data, 'data');
  const dims = x.host.dims;
  const s = need(starts, 'starts').numbers();
  const e = need(ends, 'ends').numbers();
  const axes = axesIn ? axesIn.numbers() : s.map((_, i) => i);
  if (steps && steps.numbers().some((k) => k !== 1)) throw new Unsupported(`steps [${steps.numbers().join(', ')}]: the DSL slices with step 1`);
  let y = x.t();
  axes.forEach((axis, i) => {
    const a = axis < 0 ? axis + dims.length : axis;
    const d = dims[a];
    const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
    const lo = clamp(s[i]);
    const hi = clamp(e[i]);
    if (hi <= lo) throw new Unsupported(`an empty slice [${s[i]}:${e[i]}] of dim ${d}`);
    y = f.slice(y, a, lo, hi);
  });
  return y;
}

/** ONNX Flatten(axis) makes [prod(dims[:axis]), prod(dims[axis:])]. */
function onnxFlatten({ ins: [data], at }: EntryContext): T {
  const x = need(data, 'input');
  const r = x.host.dims.length;
  const axis = at.int('axis', 1);
  const a = axis < 0 ? axis + r : axis;
  if (a === 0) return f.unsqueeze(f.flatten(x.t(), 0, -1), 0);
  if (a === r) return f.unsqueeze(f.flatten(x.t(), 0, -1), 1);
  return f.flatten(f.flatten(x.t(), a, -1), 0, a - 1);
}

/** ONNX Reshape: 0 copies the input dim (allowzero = 0), −1 is inferred. */
function onnxReshape({ ins: [data, shape], at }: EntryContext): T {
  const x = need(data, 'data');
  const target = need(shape, 'shape').numbers();
  if (at.int('allowzero', 0) && target.includes(0)) throw new Unsupported('allowzero with a 0 in the shape (zero-size dims)');
  return f.reshape(x.t(), target.map((d, i) => (d === 0 ? x.host.dims[i] : d)));
}

function onnxSplit({ ins: [data, sizesIn], at, nOutputs }: EntryContext): T[] {
  const x = need(data, 'input');
  const axis = at.int('axis', 0);
  const d = x.host.dims[axis < 0 ? axis + x.host.dims.length : axis];
  const sizes = sizesIn ? sizesIn.numbers() : Array.from({ length: nOutputs }, () => d / nOutputs);
  if (sizes.some((s) => !Number.isInteger(s))) throw new Unsupported(`dim ${d} does not split into ${nOutputs} equal parts`);
  if (sizes.includes(0)) throw new Unsupported('zero-size parts');
  return f.split(x.t(), axis, sizes);
}

const CAST_TO: Record<number, DType> = { 1: 'float32', 2: 'uint8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16' };

/** ONNX op type → the DSL call. Ops of the DSL without an ONNX test (Gelu at opset 20, Stack) are not listed. */
export const ONNX_TO_DSL: Readonly<Record<string, Entry>> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Pow: binary('pow'),
  Max: variadic('maximum'),
  Min: variadic('minimum'),
  Equal: binary('equal'),
  Greater: binary('greater'),
  Less: binary('less'),
  And: binary('logicalAnd'),
  Or: binary('logicalOr'),
  Where: entry(({ ins: [c, a, b] }) => f.where(need(c, 'condition').t(), need(a, 'X').t(), need(b, 'Y').t())),
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Sin: unary('sin'),
  Cos: unary('cos'),
  Neg: unary('neg'),
  Abs: unary('abs'),
  Erf: unary('erf'),
  Softplus: unary('softplus'),
  Reciprocal: unary('reciprocal'),
  Floor: unary('floor'),
  Not: unary('logicalNot'),
  LeakyRelu: entry(({ ins: [x], at }) => f.leakyRelu(need(x, 'X').t(), at.float('alpha', 0.01)), 'alpha'),
  Cast: entry(({ ins: [x], at }) => {
    const to = CAST_TO[at.int('to')];
    if (!to) throw new Unsupported(`cast to ONNX type ${at.int('to')}`);
    return f.cast(need(x, 'input').t(), to);
  }, 'to'),
  MatMul: binary('matmul'),
  Reshape: entry(onnxReshape, 'allowzero'),
  Flatten: entry(onnxFlatten, 'axis'),
  Transpose: entry(({ ins: [x], at }) => {
    const X = need(x, 'data');
    return f.transpose(X.t(), at.ints('perm', X.host.dims.map((_, i) => X.host.dims.length - 1 - i)));
  }, 'perm'),
  Squeeze: entry(({ ins: [x, axes], at }) => {
    const X = need(x, 'data');
    // Axes: an input since opset 13, an attribute before; absent = every size-1 dim.
    return f.squeeze(X.t(), axes ? axes.numbers() : at.ints('axes', X.host.dims.flatMap((d, i) => (d === 1 ? [i] : []))));
  }, 'axes'),
  Unsqueeze: entry(({ ins: [x, axes], at }) => f.unsqueeze(need(x, 'data').t(), axes ? axes.numbers() : at.ints('axes')), 'axes'),
  Concat: entry(({ ins, at }) => f.concat(ins.map((x) => need(x, 'input').t()), at.int('axis')), 'axis'),
  Slice: entry(onnxSlice),
  Split: entry(onnxSplit, 'axis'),
};
