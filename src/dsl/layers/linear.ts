// y = x·W + b over the last axis. W is stored [in, out] so that ONNX needs no transpose.
import type { Dim, Shape } from '../types/shape.js';
import { defineModule } from '../module.js';
import { init, type Scope } from '../params.js';
import type { Tensor } from '../tensor.js';
import { matmul } from '../ops/matmul.js';
import { add } from '../ops/elementwise.js';
import { RuleError } from '../dim.js';

export type LastDim<S extends Shape> = S extends readonly [...Dim[], infer L] ? L : Dim;
export type WithLast<S extends Shape, D extends Dim> = S extends readonly [...infer I extends Dim[], Dim] ? [...I, D] : Shape;

export interface LinearOptions {
  readonly bias?: boolean;
}

/**
 * (…, in) → (…, out) with `weight` [in, out] and `bias` [out]. `out` is a number when the graph is built (a module body
 * may name it). The first signature matches by pattern, so it also checks inside bodies generic in their dims.
 */
function linearLayer<const P extends Shape, I extends Dim, O extends Dim>(
  s: Scope,
  x: Tensor<readonly [...P, I], 'float32'>,
  out: O,
  opts?: LinearOptions,
): Tensor<[...P, O], 'float32'>;
function linearLayer<S extends Shape, O extends Dim>(s: Scope, x: Tensor<S, 'float32'>, out: O, opts?: LinearOptions): Tensor<WithLast<S, O>, 'float32'>;
function linearLayer(s: Scope, x: Tensor<Shape, 'float32'>, out: Dim, opts: LinearOptions = {}): Tensor<Shape, 'float32'> {
  const inDim = x.shape[x.shape.length - 1];
  if (typeof inDim !== 'number') throw new RuleError(`linear '${s.path}': the input's last dim must be static, got '${inDim}'`);
  const w = s.param('weight', [inDim, out], init.fanIn(inDim));
  const y = matmul(x, w as Tensor<Shape, 'float32'>);
  if (opts.bias === false) return y;
  return add(y, s.param('bias', [out], init.fanIn(inDim))) as Tensor<Shape, 'float32'>;
}
export const linear = defineModule(linearLayer);
