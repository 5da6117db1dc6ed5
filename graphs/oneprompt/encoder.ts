// Image encoders. The same weights encode the query and the template (call with the same scope).
// Both return multi-scale features f_0 … f_levels, f_j of shape (B, widths[j], S/2^j, S/2^j); `encoderLevel` reads
// one level with those dims. Bodies are checked at the dims' names (embedding.ts says why).
import {
  add, assertShape, conv2dLayer, mul, defineModule, gelu, init, layerNorm, layerNorm2d, linear, maxPool2d, mulDims, multiHeadAttention, reshape, resize, transpose,
  type Dim, type Scope, type Tensor,
} from '../../src/dsl/index.js';
import type { WindowOutLen } from '../../src/dsl/ops/spatial.js';
import { sideAt, type OnePromptConfig, type SideAt } from './config.js';
import type { Embedding, FeatureMap } from './embedding.js';
import { tokens } from './prompt-encoder.js';

/** A grey-level image batch (B, 1, S, S). */
export type Image<B extends Dim = Dim, S extends Dim = Dim> = Tensor<readonly [B, 1, S, S], 'float32'>;
/** The encoder's levels f_0 … f_levels; their channels and sides depend on the level (`encoderLevel` reads one typed). */
export type EncoderFeatures<B extends Dim = Dim> = readonly FeatureMap<B, number, Dim>[];

/** Two 3×3 convs, each followed by a channel LayerNorm and GELU: (B, C, H, W) → (B, O, H, W). */
function convBlockModule<B extends Dim, C extends Dim, H extends Dim, W extends Dim, O extends Dim>(s: Scope, x: FeatureMap<B, C, H, W>, out: O): FeatureMap<B, O, H, W>;
function convBlockModule(s: Scope, x: FeatureMap<'B', 'C', 'H', 'W'>, out: 'O'): FeatureMap<'B', 'O', 'H', 'W'> {
  const h1 = gelu(layerNorm2d(s.at('norm1'), conv2dLayer(s.at('conv1'), x, { out, kernel: 3, padding: 1 })));
  return gelu(layerNorm2d(s.at('norm2'), conv2dLayer(s.at('conv2'), h1, { out, kernel: 3, padding: 1 })));
}
export const convBlock = defineModule(convBlockModule);

/** One encoder stage: 2× max-pool, then a conv block to the level's width: (B, C, H, H) → (B, O, H/2, H/2). */
export function encoderStage<B extends Dim, C extends Dim, H extends Dim, O extends Dim>(s: Scope, x: FeatureMap<B, C, H>, out: O): FeatureMap<B, O, Pooled<H>>;
export function encoderStage(s: Scope, x: FeatureMap<'B', 'C', 'H'>, out: 'O'): FeatureMap<'B', 'O', Pooled<'H'>> {
  return convBlock(s, maxPool2d(x, { kernel: 2, stride: 2 }), out);
}
/** The side after a 2×2, stride-2 max-pool, as the pool's rule writes it (H/2 rounded down; a name H gives floor((H-2)/2)+1). */
export type Pooled<H extends Dim> = WindowOutLen<H, 2, 2, 0, 1, 'maxPool2d'> extends infer X extends Dim ? X : Dim;

/**
 * A residual refinement block (config `refineLevels`, docs/architecture.md item 18): x + conv(GELU(LN(conv(x)))),
 * two 3×3 convs through `hidden` channels. The second conv starts at zero (or, `gated`, the branch is multiplied by a
 * scalar that starts at zero), so the block starts as the identity and a model fine-tuned from one without it starts
 * at that model's output: (B, C, H, W) → (B, C, H, W).
 */
function refineBlockModule<B extends Dim, C extends Dim, H extends Dim, W extends Dim>(s: Scope, x: FeatureMap<B, C, H, W>, hidden: number, gated?: boolean): FeatureMap<B, C, H, W>;
function refineBlockModule(s: Scope, x: FeatureMap<'B', 'C', 'H', 'W'>, hidden: number, gated?: boolean): FeatureMap<'B', 'C', 'H', 'W'> {
  const h = gelu(layerNorm2d(s.at('norm'), conv2dLayer(s.at('conv1'), x, { out: hidden, kernel: 3, padding: 1 })));
  const branch = conv2dLayer(s.at('conv2'), h, { out: x.shape[1], kernel: 3, padding: 1, init: gated ? undefined : 'zeros' });
  return add(x, gated ? mul(branch, s.param('gate', [1], init.zeros)) : branch);
}
export const refineBlock = defineModule(refineBlockModule);

/**
 * U-Net-style CNN: a full-resolution stem, then `levels` stages of 2× max-pool + conv block; at the levels of
 * `refineLevels` a refinement block follows, and the next stage reads its output.
 */
function cnnEncoderModule<B extends Dim, S extends Dim>(s: Scope, image: Image<B, S>, c: OnePromptConfig): EncoderFeatures<B>;
function cnnEncoderModule(s: Scope, image: Image<'B', 'S'>, c: OnePromptConfig): EncoderFeatures<'B'> {
  const refine = (j: number, f: FeatureMap<'B', number, Dim>) =>
    c.refineLevels?.includes(j) ? refineBlock(s.at('refine').at(j), f, (c.refineExpansion ?? 2) * c.widths[j], c.refineGate) : f;
  const feats: FeatureMap<'B', number, Dim>[] = [refine(0, convBlock(s.at('stem'), image, c.widths[0]))];
  for (let j = 1; j <= c.levels; j++) feats.push(refine(j, encoderStage(s.at('stage').at(j), feats[j - 1], c.widths[j])));
  return feats;
}
export const cnnEncoder = defineModule(cnnEncoderModule);

/** A pre-LN ViT block: (B, N, W) → (B, N, W); the MLP is 4W wide. */
function vitBlockModule<B extends Dim, N extends Dim, W extends Dim>(s: Scope, x: Embedding<B, N, W>, heads: number): Embedding<B, N, W>;
function vitBlockModule(s: Scope, x: Embedding<'B', 'N', 'W'>, heads: number): Embedding<'B', 'N', 'W'> {
  const n1 = layerNorm(s.at('norm1'), x);
  const attended = add(x, multiHeadAttention(s.at('attn'), n1, n1, { heads }));
  const n2 = layerNorm(s.at('norm2'), attended);
  const width = x.shape[2];
  return add(attended, linear(s.at('mlp').at('fc2'), gelu(linear(s.at('mlp').at('fc1'), n2, mulDims(4, width))), width));
}
export const vitBlock = defineModule(vitBlockModule);

/**
 * SAM ViT-B-style encoder: 2^levels-pixel patches, `depth` blocks; the multi-scale features are read after
 * evenly spaced blocks, projected by 1×1 convs to the CNN widths and resized (bilinear) to each level's size.
 */
function vitEncoderModule<B extends Dim, S extends Dim>(s: Scope, image: Image<B, S>, c: OnePromptConfig): EncoderFeatures<B>;
function vitEncoderModule(s: Scope, image: Image<'B', 'S'>, c: OnePromptConfig): EncoderFeatures<'B'> {
  const v = c.vit ?? { width: c.embed * 2, depth: 4, heads: c.heads };
  const patch = 1 << c.levels;
  const side = c.size / patch;
  const patches: Embedding<'B', Dim, number> = tokens(conv2dLayer(s.at('patch'), image, { out: v.width, kernel: patch, stride: patch }));
  let x: Embedding<'B', Dim, number> = add(patches, s.param('pos', [side * side, v.width], init.normal(0.02)));
  const taps = Array.from({ length: c.levels + 1 }, (_, j) => Math.max(1, Math.round(((j + 1) * v.depth) / (c.levels + 1)))); // deeper levels read later blocks
  const grids = new Map<number, FeatureMap<'B', number, number>>();
  for (let d = 1; d <= v.depth; d++) {
    x = vitBlock(s.at('blocks').at(d - 1), x, v.heads);
    if (taps.includes(d)) grids.set(d, reshape(transpose(x, [0, 2, 1]), [x.shape[0], v.width, side, side]));
  }
  return taps.map((d, j) => {
    const proj = conv2dLayer(s.at('neck').at(j), grids.get(d)!, { out: c.widths[j], kernel: 1 });
    const up = 1 << (c.levels - j);
    return up === 1 ? proj : resize(proj, { scale: up }, 'linear');
  });
}
export const vitEncoder = defineModule(vitEncoderModule);

/** The configured encoder's levels f_0 … f_levels. */
export const imageEncoder = <B extends Dim, S extends Dim>(s: Scope, image: Image<B, S>, c: OnePromptConfig): EncoderFeatures<B> => (c.encoder === 'vit' ? vitEncoder(s, image, c) : cnnEncoder(s, image, c));

/**
 * A narrowing (docs/architecture.md): level j of the encoder's output is (B, widths[j], S/2^j, S/2^j). The encoders
 * build their levels in a loop, which the compiler cannot type level by level; checked when the graph is built. It
 * reads a whole level list, or some levels by number (a template's in the prompt decoder, split.ts).
 */
export function encoderLevel<B extends Dim, const C extends OnePromptConfig, const J extends number>(features: EncoderFeatures<B> | Readonly<Record<number, FeatureMap<B>>>, c: C, j: J): FeatureMap<B, C['widths'][J], SideAt<C, J>> {
  const f = features[j];
  if (!f) throw new RangeError(`encoder level ${j}: the encoder has levels ${Array.isArray(features) ? `0..${features.length - 1}` : Object.keys(features).join(', ') || 'none'}`);
  const side = sideAt(c, j);
  return assertShape(f, [f.shape[0], c.widths[j], side, side], `encoder level ${j}`);
}
