// Worked examples of an op, declared beside it in its OpDef (as jax2onnx declares its test cases with each
// primitive): small float32 inputs by shape and the op applied to them. tests/dsl/op-examples.test.ts runs every op's
// examples: the shapes ONNX Runtime gives are the declared ones, tfjs agrees with ONNX Runtime, the tfjs gradient
// agrees with central differences, and the backward graph from the op's vjp agrees with tfjs autodiff on ONNX Runtime
// and tfjs. An op with examples is tested from its own file (docs/contributing.md, "How to add an op").
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';
import type { Shape } from './types/shape.js';

export interface OpExample {
  readonly name: string;
  /** Input shapes by name (float32 inputs). */
  readonly inputs: Readonly<Record<string, readonly number[]>>;
  /** Input values, seeded: 'signed' (default) ±[0.2, 1.2], away from 0; 'positive' [0.5, 2] (logs, roots, bases). */
  readonly values?: 'signed' | 'positive';
  /** The op on the inputs: one output, or several by name. */
  readonly apply: (x: Readonly<Record<string, Tensor<Shape, 'float32'>>>) => Tensor<Shape, DType> | Readonly<Record<string, Tensor<Shape, DType>>>;
  /** Inputs to differentiate (default: all; not those read only for their shape, which tfjs cannot differentiate). */
  readonly wrt?: readonly string[];
  /** Why the example has no backward graph (an op without a vjp of its own), if it has none. */
  readonly noVjp?: string;
}
