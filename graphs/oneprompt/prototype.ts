// The prototype route (config.ts `prototypeLevels`, docs/architecture.md item 17): what the prompt marks on the
// template, pooled into one feature vector, and matched against every pixel of the query at an encoder level. The
// tokens carry the prompt 8 pixels at a time and the raster route carries where it lies on the template; neither says
// which query pixels look like the marked ones. This does, at the level's resolution, for every prompt type alike:
//
//   w    = prompt_mask averaged down to level j                         (B, 1, H, H)
//   f̄    = f − mean_xy f        (each image's features, centred per channel)  (B, C, H, H)
//   p    = Σ_xy f̄_t · w / (Σ_xy w + ε)   masked average pooling            (B, C, 1, 1)
//   sim  = ⟨f̄_q / |f̄_q|, p / |p|⟩ over channels: cosine similarity         (B, 1, H, H)
//   out  = sim × prompt_type, one channel per prompt type                  (B, 4, H, H)
//
// Masked average pooling of support features is PANet's prototype (Wang et al., ICCV 2019); the cosine map against the
// query is SG-One's similarity guidance (Zhang et al., IEEE T-Cyb 2020). An empty prompt mask gives p = 0 and sim = 0.
// The head reads `out` at rung j through a 3×3 conv that starts at zero (head.ts), so a model trained without the
// route gives the same output with it until that conv is trained.
import { add, assertShape, avgPool2d, div, mul, reduceMean, reduceSum, reshape, sqrt, sub, type Dim, type Tensor } from '../../src/dsl/index.js';
import { sideAt, type OnePromptConfig, type SideAt } from './config.js';
import type { FeatureMap } from './embedding.js';

/** Keeps the divisions finite where the prompt marks nothing or a feature vector is zero. */
const EPS = 1e-6;

/** Each image's feature map with its per-channel mean over the plane removed. */
function centred<B extends Dim, C extends Dim, H extends Dim>(f: FeatureMap<B, C, H>): FeatureMap<B, C, H>;
function centred(f: FeatureMap<'B', 'C', 'H'>): FeatureMap<'B', 'C', 'H'> {
  return sub(f, reduceMean(f, [2, 3], true));
}

/** f / |f| over channels (dim 1), with ε inside the root. */
function unitChannels<B extends Dim, C extends Dim, H extends Dim, W extends Dim>(f: FeatureMap<B, C, H, W>): FeatureMap<B, C, H, W>;
function unitChannels(f: FeatureMap<'B', 'C', 'H', 'W'>): FeatureMap<'B', 'C', 'H', 'W'> {
  return div(f, sqrt(add(reduceSum(mul(f, f), [1], true), EPS)));
}

/**
 * The prototype route at one encoder level: the template's features under the prompt (`weights`, the prompt mask at
 * this level's size), pooled, then the cosine similarity of every query pixel's features to them, once per prompt
 * type (`type`, one-hot). Template and query features come from the same encoder level: the same C and H.
 */
export function prototypeMatch<B extends Dim, C extends Dim, H extends Dim>(
  template: FeatureMap<B, C, H>,
  query: FeatureMap<NoInfer<B>, NoInfer<C>, NoInfer<H>>,
  weights: FeatureMap<NoInfer<B>, 1, NoInfer<H>>,
  type: Tensor<readonly [NoInfer<B>, 4], 'float32'>,
): FeatureMap<B, 4, H>;
export function prototypeMatch(
  template: FeatureMap<'B', 'C', 'H'>,
  query: FeatureMap<'B', 'C', 'H'>,
  weights: FeatureMap<'B', 1, 'H'>,
  type: Tensor<readonly ['B', 4], 'float32'>,
): FeatureMap<'B', 4, 'H'> {
  const pooled = reduceSum(mul(centred(template), weights), [2, 3], true); // (B, C, 1, 1)
  const prototype = div(pooled, add(reduceSum(weights, [2, 3], true), EPS));
  const similarity = reduceSum(mul(unitChannels(centred(query)), unitChannels(prototype)), [1], true); // (B, 1, H, H)
  return mul(similarity, reshape(type, [-1, 4, 1, 1]));
}

/**
 * A narrowing (docs/architecture.md): the prompt mask (B, 1, S, S) averaged over 2^j × 2^j cells is (B, 1, S/2^j,
 * S/2^j), encoder level j's side; the pool's kernel is arithmetic on j, which the compiler cannot follow.
 */
export function maskAtLevel<B extends Dim, const C extends OnePromptConfig, const J extends number>(mask: FeatureMap<B, 1>, c: C, j: J): FeatureMap<B, 1, SideAt<C, J>> {
  const side = sideAt(c, j);
  const pooled = j === 0 ? mask : avgPool2d(mask, { kernel: 1 << j });
  return assertShape(pooled, [mask.shape[0], 1, side, side], `the prompt mask at encoder level ${j}`);
}
