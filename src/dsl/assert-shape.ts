// A checked narrowing. The compiler cannot follow every relation between dims (arithmetic on a loop index, a tuple
// built in a loop), so a model states the shape it knows and this checks it when the graph is built; no node is added.
// Name each use after the relation it stands for (graphs/ lists them in docs/architecture.md).
import type { Shape } from './types/shape.js';
import type { DType } from './dtype.js';
import { BuildShapeError, describeValue } from './graph.js';
import { fmtShape } from './dim.js';
import { callerLocation } from './source.js';
import { wrap, type Tensor } from './tensor.js';

/** `x` typed with `shape` after checking, when the graph is built, that it has that shape; throws naming `relation` otherwise. */
export function assertShape<const S extends Shape, D extends DType>(x: Tensor<Shape, D>, shape: S, relation: string): Tensor<S, D> {
  const got = x.shape;
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
    throw new BuildShapeError('assertShape', `${relation}: expected ${fmtShape(shape)}, got ${fmtShape(got)}`, [describeValue(x.value)], callerLocation());
  return wrap<S, D>(x.value);
}
