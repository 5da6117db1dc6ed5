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

export const linear = defineModule(function linear<S extends Shape, O extends number>(s: Scope, x: Tensor<S, 'float32'>, out: O, opts: LinearOptions = {}): Tensor<WithLast<S, O>, 'float32'> {
  const inDim = x.shape[x.shape.length - 1];
  if (typeof inDim !== 'number') throw new RuleError(`linear '${s.path}': the input's last dim must be static, got '${inDim}'`);
  const w = s.param('weight', [inDim, out], init.fanIn(inDim));
  const y = matmul(x as Tensor<Shape, 'float32'>, w as never) as Tensor<Shape, 'float32'>;
  if (opts.bias === false) return y as never;
  return add(y, s.param('bias', [out], init.fanIn(inDim))) as never;
});
