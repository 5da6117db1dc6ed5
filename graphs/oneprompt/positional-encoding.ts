// Random Fourier features (SAM's positional encoding): PE(c) = [sin(2π(2c−1)G), cos(2π(2c−1)G)],
// c ∈ [0, 1]², G a fixed 2 × L/2 Gaussian matrix saved with the weights. The bodies are generic in their dims
// (P, the leading dims of the coordinates; F = L/2, the frequencies); the DSL's pattern signatures check them.
import { add, concat, constant, cos, defineModule, dimValue, halfDim, init, matmul, mul, mulDims, sin, type Dim, type DimAdd, type DimMul, type HalfDim, type Scope, type Tensor } from '../../src/dsl/index.js';

/** The fixed Fourier basis G (2 × L/2), a buffer named `<scope>.gaussian` (not trained). */
export type FourierBasis<F extends Dim = Dim> = Tensor<readonly [2, F], 'float32'>;

/** The basis for embeddings of length L (even): 2 × L/2. */
export function fourierBasis<L extends Dim>(s: Scope, embed: L): FourierBasis<HalfDim<L>> {
  return s.buffer('gaussian', [2, halfDim(embed)], init.normal(1));
}

/** PE of coordinates (…, 2) in [0, 1] → (…, 2F): sin and cos halves (F + F = L). Pure: the basis is an argument (tested numerically). */
export function fourierFeatures<const P extends readonly [Dim, ...Dim[]], F extends Dim>(coords: Tensor<readonly [...P, 2], 'float32'>, basis: FourierBasis<F>): Tensor<[...P, DimAdd<F, F>], 'float32'> {
  const centred = add(mul(coords, 2), -1); // 2c − 1
  const proj = mul(matmul(centred, basis), 2 * Math.PI);
  return concat([sin(proj), cos(proj)], -1);
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

/** The dense PE of a G×G token grid, (G·G, L). */
export const densePositionalEncoding = defineModule(function densePositionalEncoding<G extends Dim, F extends Dim>(s: Scope, side: G, basis: FourierBasis<F>): Tensor<[DimMul<G, G>, DimAdd<F, F>], 'float32'> {
  return fourierFeatures(constant(gridCentres(dimValue(side, 'the grid side')), [mulDims(side, side), 2]), basis);
});
