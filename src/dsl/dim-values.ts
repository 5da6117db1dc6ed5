// Dims as values: arithmetic that gives the dim the type level writes (a name stays a name: N + N is 'N+N', a
// number is computed), and the number a dim stands for when the graph is built. Modules whose bodies are checked
// with named dims (`Embedding<'B', 'N', 'L'>`) size their parameters with these.
import type { Dim, DimAdd, DimMul, HalfDim } from './types/shape.js';
import { dimAdd, dimHalf, dimMul, RuleError } from './dim.js';

/** a + b, as concat writes the joined dim. */
export function addDims<A extends Dim, B extends Dim>(a: A, b: B): DimAdd<A, B>;
export function addDims(a: Dim, b: Dim): Dim {
  return dimAdd(a, b);
}

/** a · b, as reshape and resize write a product. */
export function mulDims<A extends Dim, B extends Dim>(a: A, b: B): DimMul<A, B>;
export function mulDims(a: Dim, b: Dim): Dim {
  return dimMul(a, b);
}

/** An exact half: an even number, or 'N/2' for a name N (two halves add up to N again). */
export function halfDim<A extends Dim>(a: A): HalfDim<A>;
export function halfDim(a: Dim): Dim {
  return dimHalf(a);
}

/** The number a dim stands for when the graph is built (a named dim of a module body is one); throws for a symbolic dim. */
export function dimValue(d: Dim, what = 'dim'): number {
  if (typeof d !== 'number') throw new RuleError(`${what} must be static to be used as a number, got '${d}'`);
  return d;
}
