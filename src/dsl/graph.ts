// The graph IR: values (inputs, parameters, constants, op outputs) and nodes.
// Ops record nodes as they are called; `build` walks back from the outputs.
import type * as tfjs from '@tensorflow/tfjs';
import type { Dim } from './types/shape.js';
import type { DType, HostArray } from './dtype.js';
import { RuleError, fmtShape } from './dim.js';
import { callerLocation } from './source.js';
import type { Param } from './params.js';
import type { OnnxNodeWriter } from '../onnx/node-writer.js';
import type { GradOps } from '../autodiff/grad-ops.js';
import type { OpExample } from './examples.js';

export type TF = typeof tfjs;
export type TFTensor = tfjs.Tensor;

/** Stride, padding and dilation of a 2-D window op, per spatial axis. */
export interface WindowGeometry {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/**
 * The tfjs backend's differentiable fast paths (src/train/tfjs/kernels.ts), handed to every tfjs kernel entry: an
 * op's entry stays in its op file and calls these where tfjs's own form is slow or wrong on the training backend
 * (wasm has no Conv2DBackpropFilter; batched or transposed matMuls run 10–20× slower than plain 2-D ones).
 */
export interface TfjsKernels {
  /** x [N, H, W, Cin] ⋆ K [kh, kw, Cin, Cout] → [N, OH, OW, Cout]. */
  conv(x: TFTensor, k: TFTensor, g: WindowGeometry): TFTensor;
  /** The adjoint of `conv` with the same K: y [N, OH, OW, Cout] → [N, size…, Cin]. */
  convTranspose(y: TFTensor, k: TFTensor, g: WindowGeometry, size: readonly [number, number]): TFTensor;
  /** a [n, k] · b [k, m] → [n, m], its gradient made of plain 2-D matMuls too. */
  matMul2d(a: TFTensor, b: TFTensor): TFTensor;
}

export type Origin =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'param'; readonly param: Param }
  | { readonly kind: 'const'; readonly data: HostArray }
  | { readonly kind: 'node'; readonly node: Node; readonly index: number };

export interface Value {
  readonly id: number;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
  readonly origin: Origin;
}

export interface OutSpec {
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

/**
 * One primitive: its runtime shape rule, its ONNX lowering, its tfjs kernel entry and its gradient rule, side by side.
 * The type-level rule lives with the op's public function in the same file.
 */
export interface OpDef<A = Record<string, never>> {
  readonly type: string;
  /** Output shapes and dtypes; throws RuleError with a sentence when the inputs do not fit. */
  infer(inputs: readonly Value[], attrs: A): OutSpec[];
  /** Emit ONNX nodes computing `outputs` from `inputs` (tensor names). */
  onnx(w: OnnxNodeWriter, inputs: readonly string[], outputs: readonly string[], attrs: A, node: Node): void;
  /** The same computation with tfjs (differentiable); `kernels`: the tfjs backend's fast paths. */
  tfjs(tf: TF, inputs: readonly TFTensor[], attrs: A, node: Node, kernels: TfjsKernels): TFTensor[];
  /**
   * The vector-Jacobian product, written as graph ops with `d` (src/autodiff): the cotangent of each input
   * from the node and the cotangents of its outputs. Absent: the op is not differentiable (its outputs are
   * not float, or it takes no float inputs). See src/autodiff/grad.ts.
   */
  vjp?(d: GradOps, args: VjpArgs<A>): VjpResult;
  /** Worked examples, run by tests/dsl/op-examples.test.ts on ONNX Runtime and tfjs, with gradient and vjp checks. */
  readonly examples?: readonly OpExample[];
}

export interface VjpArgs<A> {
  readonly node: Node;
  readonly attrs: A;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** The cotangent of each output, shaped like it; undefined where none flows (zero). */
  readonly dys: readonly (Value | undefined)[];
  /** Which inputs need a cotangent; the rule may leave the others undefined (and skip their work). */
  readonly needs: readonly boolean[];
}

/** One cotangent per input, shaped like it; undefined: zero, or not asked for. */
export type VjpResult = readonly (Value | undefined)[];

export interface Node {
  readonly id: number;
  readonly op: OpDef<any>;
  readonly inputs: readonly Value[];
  readonly attrs: any;
  readonly outputs: readonly Value[];
  /** Module path plus op type, e.g. `decoder.former.0.attn.q/MatMul` (made unique when emitted). */
  readonly name: string;
  /** The user's source location that called the op. */
  readonly source: string;
}

let nextId = 0;
export const freshId = (): number => nextId++;

export function makeValue(shape: readonly Dim[], dtype: DType, origin: Origin): Value {
  return { id: freshId(), shape: Object.freeze([...shape]), dtype, origin };
}

// ---- naming from module paths ----
const pathStack: string[] = [];

/** Run `fn` with nodes named under `path` (modules call this through `defineModule`). */
export function withPath<R>(path: string, fn: () => R): R {
  pathStack.push(path);
  try {
    return fn();
  } finally {
    pathStack.pop();
  }
}
export const currentPath = (): string => pathStack[pathStack.length - 1] ?? '';

/** A readable name for a value in messages. */
export function describeValue(v: Value): string {
  const o = v.origin;
  const what =
    o.kind === 'input'
      ? `input '${o.name}'`
      : o.kind === 'param'
        ? `parameter '${o.param.name}'`
        : o.kind === 'const'
          ? 'constant'
          : `'${o.node.name}:${o.index}'`;
  return `${what} ${fmtShape(v.shape)}`;
}

/** A shape error found at build time, naming the op, the tensors, their shapes and the user's source line. */
export class BuildShapeError extends Error {
  constructor(
    readonly op: string,
    readonly rule: string,
    readonly tensors: readonly string[],
    readonly source: string,
  ) {
    super(`${rule}\n  op: ${op}\n  inputs: ${tensors.join(', ')}\n  at ${source}`);
    this.name = 'BuildShapeError';
  }
}

/** Record a node for `op` on `inputs`; runs the op's shape rule now. */
export function apply<A>(op: OpDef<A>, inputs: readonly Value[], attrs: A): Value[] {
  const source = callerLocation();
  const path = currentPath();
  let specs: OutSpec[];
  try {
    specs = op.infer(inputs, attrs);
  } catch (e) {
    if (e instanceof RuleError) throw new BuildShapeError(path ? `${op.type} in ${path}` : op.type, e.message, inputs.map(describeValue), source);
    throw e;
  }
  const outputs: Value[] = [];
  const node: Node = { id: freshId(), op, inputs, attrs, outputs, name: path ? `${path}/${op.type}` : op.type, source };
  specs.forEach((s, index) => outputs.push(makeValue(s.shape, s.dtype, { kind: 'node', node, index })));
  return outputs;
}
