// Random Fourier features (SAM's positional encoding): PE(c) = [sin(2π(2c−1)G), cos(2π(2c−1)G)],
// c ∈ [0, 1]², G a fixed 2 × L/2 Gaussian matrix saved with the weights.
import { add, concat, constant, cos, defineModule, init, matmul, mul, sin, type Scope, type Shape, type Tensor } from '../../src/dsl/index.js';

/** The fixed Fourier basis, a buffer named `<scope>.gaussian` (not trained). */
export function fourierBasis<L extends number>(s: Scope, embed: L): Tensor<[2, number], 'float32'> {
  return s.buffer('gaussian', [2, embed / 2], init.normal(1)) as Tensor<[2, number], 'float32'>;
}

/** PE of coordinates (…, 2) in [0, 1] → (…, L). Pure: the basis is an argument (tested numerically). */
export function fourierFeatures(coords: Tensor<Shape, 'float32'>, basis: Tensor<readonly [2, number], 'float32'>): Tensor<Shape, 'float32'> {
  const centred = add(mul(coords, 2), -1); // 2c − 1
  const proj = mul(matmul(centred, basis as Tensor<Shape, 'float32'>), 2 * Math.PI);
  return concat([sin(proj), cos(proj)], -1) as Tensor<Shape, 'float32'>;
}

/** Centres of a G×G token grid in [0, 1]², row-major (token n = row·G + col), as (N, 2) with (x, y). */
export function gridCentres(side: number): Float32Array {
  const out = new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      out[(r * side + c) * 2] = (c + 0.5) / side;
      out[(r * side + c) * 2 + 1] = (r + 0.5) / side;
    }
  return out;
}

/** The dense PE of the token grid, (N, L). */
export const densePositionalEncoding = defineModule(function densePositionalEncoding(s: Scope, side: number, basis: Tensor<readonly [2, number], 'float32'>) {
  return fourierFeatures(constant(gridCentres(side), [side * side, 2]), basis);
});
