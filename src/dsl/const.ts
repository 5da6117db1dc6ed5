// Constants embedded in the graph (emitted as initializers).
import type { DType } from './dtype.js';
import type { Shape } from './types/shape.js';
import { makeValue } from './graph.js';
import { Tensor } from './tensor.js';
import { RuleError } from './dim.js';

/** A float32 constant of the given shape (its dims are numbers when the graph is built, possibly named in the type). */
export function constant<const S extends Shape>(values: ArrayLike<number>, shape: S): Tensor<S, 'float32'> {
  const n = shape.reduce<number>((a, b) => {
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0) throw new RuleError(`constant: dim ${b} is not a size`);
    return a * b;
  }, 1);
  if (values.length !== n) throw new RuleError(`constant: ${values.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  return new Tensor(makeValue(shape, 'float32', { kind: 'const', data: Float32Array.from(values) }));
}

/** A scalar constant of a dtype (used for `add(x, 1)` and the like). */
export function scalar<D extends DType = 'float32'>(value: number, dtype?: D): Tensor<[], D> {
  const dt = (dtype ?? 'float32') as DType;
  const data =
    dt === 'float32'
      ? Float32Array.of(value)
      : dt === 'int64'
        ? BigInt64Array.of(BigInt(value))
        : dt === 'int32'
          ? Int32Array.of(value)
          : dt === 'bool' || dt === 'uint8'
            ? Uint8Array.of(value)
            : undefined;
  if (!data) throw new RuleError(`scalar: dtype ${dt} is not supported for constants`);
  return new Tensor(makeValue([], dt, { kind: 'const', data }));
}
