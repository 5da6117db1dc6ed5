// The typed tensor handle users hold. Its shape type is what the compiler checks.
import type { Shape } from './types/shape.js';
import type { DType } from './dtype.js';
import { makeValue, type Value } from './graph.js';
import { RuleError } from './dim.js';

export class Tensor<S extends Shape = Shape, D extends DType = DType> {
  /** Phantom field: carries the dtype in the type. */
  declare readonly __dtype: D;
  constructor(readonly value: Value) {}
  get shape(): S {
    return this.value.shape as unknown as S;
  }
  get dtype(): D {
    return this.value.dtype as D;
  }
  get rank(): S['length'] {
    return this.value.shape.length;
  }
}

export const wrap = <S extends Shape, D extends DType = 'float32'>(v: Value): Tensor<S, D> => new Tensor<S, D>(v);

const NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;

/**
 * A graph input. Dims are literal numbers (checked by the compiler), or names such as 'B' that stay
 * symbolic in the ONNX model (`dim_param`).
 */
export function input<const S extends Shape, D extends DType = 'float32'>(name: string, shape: S, dtype?: D): Tensor<S, D> {
  if (!NAME.test(name)) throw new RuleError(`input: name '${name}' is not a valid tensor name`);
  for (const d of shape) {
    if (typeof d === 'number' && (!Number.isInteger(d) || d < 0)) throw new RuleError(`input '${name}': dim ${d} is not a non-negative integer`);
    if (typeof d === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) throw new RuleError(`input '${name}': symbolic dim '${d}' must be an identifier`);
  }
  return wrap(makeValue(shape, (dtype ?? 'float32') as DType, { kind: 'input', name }));
}
