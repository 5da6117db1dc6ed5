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
  /** The test model's opset (some ops changed meaning between opsets). */
  readonly opset: number;
}

/** Thrown by an entry for a case we do not support: the test is skipped with this reason. */
export class Unsupported extends Error {}

export interface Entry {
  /** The attributes the entry reads; any other attribute on the node skips the test. */
  readonly attrs: readonly string[];
  readonly make: (c: EntryContext) => T | T[];
  /** Why trailing ONNX outputs have no DSL counterpart (only the outputs made are compared). */
  readonly fewerOutputs?: string;
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
  return f.reshape(
    x.t(),
    target.map((d, i) => (d === 0 ? x.host.dims[i] : d)),
  );
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

/** ONNX pads [top, left, bottom, right] → the DSL's symmetric [h, w]; auto_pad other than NOTSET/VALID is not mapped. */
function symmetricPads(at: NodeAttributes): [number, number] {
  const auto = at.string('auto_pad', 'NOTSET');
  if (auto === 'VALID') return [0, 0];
  if (auto !== 'NOTSET') throw new Unsupported(`auto_pad ${auto}`);
  const [t, l, b, r] = at.ints('pads', [0, 0, 0, 0]);
  if (t !== b || l !== r) throw new Unsupported(`asymmetric pads [${[t, l, b, r].join(', ')}]`);
  return [t, l];
}
const pair = (xs: readonly number[], what: string): [number, number] => {
  if (xs.length !== 2) throw new Unsupported(`${xs.length}-D ${what} (the DSL's ops are 2-D)`);
  return [xs[0], xs[1]];
};
const rank4 = (x: NodeInput) => {
  if (x.host.dims.length !== 4) throw new Unsupported(`a rank-${x.host.dims.length} input (the DSL's spatial ops are 2-D, NCHW)`);
  return x;
};

function onnxConv({ ins: [xIn, wIn, bIn], at }: EntryContext): T {
  const x = rank4(need(xIn, 'X'));
  const w = need(wIn, 'W');
  if (at.has('kernel_shape') && at.ints('kernel_shape').join() !== w.host.dims.slice(2).join()) throw new Unsupported('kernel_shape differs from W');
  const opts = {
    stride: pair(at.ints('strides', [1, 1]), 'strides'),
    dilation: pair(at.ints('dilations', [1, 1]), 'dilations'),
    padding: symmetricPads(at),
    groups: at.int('group', 1),
  };
  return f.conv2d(x.t(), w.t(), bIn?.t(), opts);
}

function onnxConvTranspose({ ins: [xIn, wIn, bIn], at }: EntryContext): T {
  const x = rank4(need(xIn, 'X'));
  const w = need(wIn, 'W');
  if (at.int('group', 1) !== 1) throw new Unsupported('group > 1');
  if (at.has('output_shape')) throw new Unsupported('output_shape (the DSL takes padding and outputPadding)');
  if (at.has('kernel_shape') && at.ints('kernel_shape').join() !== w.host.dims.slice(2).join()) throw new Unsupported('kernel_shape differs from W');
  const opts = {
    stride: pair(at.ints('strides', [1, 1]), 'strides'),
    dilation: pair(at.ints('dilations', [1, 1]), 'dilations'),
    padding: symmetricPads(at),
    outputPadding: pair(at.ints('output_padding', [0, 0]), 'output_padding'),
  };
  return f.convTranspose2d(x.t(), w.t(), bIn?.t(), opts);
}

const onnxPool =
  (fn: 'maxPool2d' | 'avgPool2d') =>
  ({ ins: [xIn], at, nOutputs }: EntryContext): T => {
    const x = rank4(need(xIn, 'X'));
    if (nOutputs > 1) throw new Unsupported('the Indices output (argmax)');
    if (at.int('ceil_mode', 0)) throw new Unsupported('ceil_mode');
    if (at.ints('dilations', [1, 1]).some((d) => d !== 1)) throw new Unsupported('dilations');
    if (at.int('storage_order', 0)) throw new Unsupported('storage_order');
    if (at.int('count_include_pad', 0)) throw new Unsupported('count_include_pad (the DSL averages real values only)');
    const kernel = pair(at.ints('kernel_shape'), 'kernel_shape');
    return f[fn](x.t(), { kernel, stride: pair(at.ints('strides', [1, 1]), 'strides'), padding: symmetricPads(at) });
  };

/** The DSL's two modes: linear with half-pixel centres, and nearest with asymmetric coordinates, floor. */
function onnxResize({ ins: [xIn, , scalesIn, sizesIn], at }: EntryContext): T {
  const x = rank4(need(xIn, 'X'));
  const mode = at.string('mode', 'nearest');
  const ctm = at.string('coordinate_transformation_mode', 'half_pixel');
  let dslMode: 'linear' | 'nearest';
  if (mode === 'linear' && ctm === 'half_pixel') dslMode = 'linear';
  else if (mode === 'nearest' && ctm === 'asymmetric' && at.string('nearest_mode', 'round_prefer_floor') === 'floor') dslMode = 'nearest';
  else
    throw new Unsupported(
      `mode ${mode} with ${ctm} coordinates${mode === 'nearest' ? ` and nearest_mode ${at.string('nearest_mode', 'round_prefer_floor')}` : ''}`,
    );
  const [, , h, w] = x.host.dims;
  let size: [number, number];
  if (sizesIn && sizesIn.host.dims[0]) size = [sizesIn.numbers()[2], sizesIn.numbers()[3]];
  else {
    const s = need(scalesIn, 'scales').numbers();
    if (s[0] !== 1 || s[1] !== 1) throw new Unsupported('scaling of N or C');
    size = [Math.floor(h * s[2]), Math.floor(w * s[3])];
    if (h * s[2] !== size[0] || w * s[3] !== size[1]) throw new Unsupported(`scales [${s.join(', ')}] give a fractional size`);
  }
  return f.resize(x.t(), { size }, dslMode);
}

/** Axes as an attribute (ReduceMean/Max/Min up to opset 17) or an input (ReduceSum from 13); keepdims defaults to 1. */
const onnxReduce =
  (fn: string) =>
  ({ ins: [xIn, axesIn], at }: EntryContext): T => {
    const x = need(xIn, 'data');
    const axes = axesIn ? axesIn.numbers() : at.has('axes') ? at.ints('axes') : undefined;
    if (axes && axes.length === 0) {
      if (at.int('noop_with_empty_axes', 0)) throw new Unsupported('noop_with_empty_axes (an identity)');
      return f[fn](x.t(), undefined, at.int('keepdims', 1) === 1);
    }
    return f[fn](x.t(), axes, at.int('keepdims', 1) === 1);
  };

function onnxLayerNorm({ ins: [xIn, scaleIn, biasIn], at }: EntryContext): T {
  const x = need(xIn, 'X');
  const scale = need(scaleIn, 'Scale');
  if (at.int('stash_type', 1) !== 1) throw new Unsupported('stash_type other than float32');
  const bias = biasIn ? biasIn.t() : f.constant(new Float32Array(scale.host.data.length), scale.host.dims);
  return f.layerNormalization(x.t(), scale.t(), bias, { axis: at.int('axis', -1), epsilon: at.float('epsilon', 1e-5) });
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
    return f.transpose(
      X.t(),
      at.ints(
        'perm',
        X.host.dims.map((_, i) => X.host.dims.length - 1 - i),
      ),
    );
  }, 'perm'),
  Squeeze: entry(({ ins: [x, axes], at }) => {
    const X = need(x, 'data');
    // Axes: an input since opset 13, an attribute before; absent = every size-1 dim.
    return f.squeeze(
      X.t(),
      axes
        ? axes.numbers()
        : at.ints(
            'axes',
            X.host.dims.flatMap((d, i) => (d === 1 ? [i] : [])),
          ),
    );
  }, 'axes'),
  Unsqueeze: entry(({ ins: [x, axes], at }) => f.unsqueeze(need(x, 'data').t(), axes ? axes.numbers() : at.ints('axes')), 'axes'),
  Concat: entry(
    ({ ins, at }) =>
      f.concat(
        ins.map((x) => need(x, 'input').t()),
        at.int('axis'),
      ),
    'axis',
  ),
  Slice: entry(onnxSlice),
  Split: entry(onnxSplit, 'axis'),
  Conv: entry(onnxConv, 'auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'),
  ConvTranspose: entry(onnxConvTranspose, 'auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides'),
  MaxPool: entry(onnxPool('maxPool2d'), 'auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'),
  AveragePool: entry(onnxPool('avgPool2d'), 'auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'),
  Resize: entry(onnxResize, 'mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value'),
  ReduceMean: entry(onnxReduce('reduceMean'), 'axes', 'keepdims'),
  ReduceSum: entry(onnxReduce('reduceSum'), 'axes', 'keepdims', 'noop_with_empty_axes'),
  ReduceMax: entry(onnxReduce('reduceMax'), 'axes', 'keepdims'),
  ReduceMin: entry(onnxReduce('reduceMin'), 'axes', 'keepdims'),
  Softmax: entry(({ ins: [x], at, opset }) => {
    const X = need(x, 'input');
    const axis = at.int('axis', opset < 13 ? 1 : -1);
    // Before opset 13 Softmax flattened x to 2-D at `axis`; the same only when axis is the last.
    if (opset < 13 && axis !== -1 && axis !== X.host.dims.length - 1) throw new Unsupported(`opset ${opset} Softmax (2-D coercion)`);
    return f.softmax(X.t(), axis);
  }, 'axis'),
  LayerNormalization: { ...entry(onnxLayerNorm, 'axis', 'epsilon', 'stash_type'), fewerOutputs: 'Mean and InvStdDev are not outputs of the DSL op' },
};
