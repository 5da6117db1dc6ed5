// Feature maps → tokens, and the mask head that goes back up with U-Net skip connections. Bodies are checked at the
// dims' names B (batch), C and K (channels), H and W (sides), L (embedding length), G (grid side), S (image side);
// embedding.ts says why.
import {
  add, assertShape, avgPool2d, concat, conv2dLayer, convTranspose2dLayer, defineModule, gelu, layerNorm2d, reshape, resize, transpose,
  type Check, type Dim, type DimAdd, type DimMul, type DimsAgree, type Scope, type Shape, type ShapeError, type Tensor,
} from '../../src/dsl/index.js';
import type { Mod } from '../../src/dsl/types/shape.js';
import type { WindowOutLen } from '../../src/dsl/ops/spatial.js';
import type { Embedding, FeatureMap } from './embedding.js';
import { tokens } from './prompt-encoder.js';

/** The side of the token grid a patch conv (kernel = stride = P) makes of a side H: H / P. */
export type PatchGrid<H extends Dim, P extends number> = WindowOutLen<H, P, P, 0, 1, 'tokenizer'> extends infer X extends Dim ? X : Dim;
/** The patch size divides the side (when both are literals), so no pixel is dropped. */
export type PatchDivides<H, P extends number> = H extends number ? (number extends H ? unknown : number extends P ? unknown : Mod<H, P> extends 0 ? unknown : ShapeError<`tokenizer: a ${P}-pixel patch does not divide the side ${H}`>) : unknown;

/** Level j's feature map (B, C_j, S/2^j, S/2^j) → tokens (B, N, L): a patch conv with 2^(levels−j)-pixel patches. */
function tokenizerModule<B extends Dim, C extends Dim, H extends Dim, const P extends number, L extends Dim>(s: Scope, f: FeatureMap<B, C, H>, patch: P & Check<PatchDivides<H, P>>, embed: L): Embedding<B, DimMul<PatchGrid<H, P>, PatchGrid<H, P>>, L>;
function tokenizerModule(s: Scope, f: FeatureMap<'B', 'C', 'H'>, patch: number, embed: 'L'): Embedding<'B', DimMul<PatchGrid<'H', number>, PatchGrid<'H', number>>, 'L'> {
  return tokens(conv2dLayer(s, f, { out: embed, kernel: patch, stride: patch }));
}
export const tokenizer = defineModule(tokenizerModule);

/** A skip connection joins two maps of the same size (B, C, H, W) along channels. */
export type SameSize<A extends Shape, K extends Shape> = A extends readonly [Dim, Dim, infer HA, infer WA]
  ? K extends readonly [Dim, Dim, infer HK, infer WK]
    ? DimsAgree<HA, HK> extends true ? (DimsAgree<WA, WK> extends true ? unknown : ShapeError<`skip connection: widths differ (${WA & Dim} vs ${WK & Dim})`>)
      : ShapeError<`skip connection: heights differ (${HA & Dim} vs ${HK & Dim})`>
    : ShapeError<'skip connection: feature maps must be (B, C, H, W)'>
  : ShapeError<'skip connection: feature maps must be (B, C, H, W)'>;
type MapOf<A extends Shape, K extends Shape> = A extends readonly [infer B extends Dim, infer C extends Dim, infer H extends Dim, infer W extends Dim]
  ? K extends readonly [Dim, infer CK extends Dim, Dim, Dim] ? FeatureMap<B, DimAdd<C, CK>, H, W> : FeatureMap
  : FeatureMap;

/** (B, C_up + C_skip, H, W): the upsampled map and the encoder's map of the same size, joined along channels. */
export function skipJoin<B extends Dim, C extends Dim, K extends Dim, H extends Dim, W extends Dim>(up: FeatureMap<B, C, H, W>, skip: FeatureMap<NoInfer<B>, K, NoInfer<H>, NoInfer<W>>): FeatureMap<B, DimAdd<C, K>, H, W>;
export function skipJoin<A extends Shape, K extends Shape>(up: Tensor<A, 'float32'>, skip: Tensor<K, 'float32'> & Check<SameSize<A, K>>): MapOf<A, K>;
export function skipJoin(up: FeatureMap<'B', 'C', 'H', 'W'>, skip: FeatureMap<'B', 'K', 'H', 'W'>): FeatureMap<'B', DimAdd<'C', 'K'>, 'H', 'W'> {
  return concat([up, skip], 1);
}

/**
 * One rung of the head's ladder: join the encoder's map of this level, then a 3×3 conv (LayerNorm2d, GELU) to the
 * level's width. With the raster route, the prompt raster at this level's size goes through a 3×3 conv of its own
 * (starting at zero) added before the norm; with the prototype route at this level, its similarity map likewise.
 */
export function headStage<B extends Dim, C extends Dim, K extends Dim, H extends Dim, W extends Dim>(st: Scope, x: FeatureMap<B, C, H>, skip: FeatureMap<NoInfer<B>, K, NoInfer<H>>, width: W, raster?: FeatureMap<NoInfer<B>, 4, NoInfer<H>>, prototype?: FeatureMap<NoInfer<B>, 4, NoInfer<H>>): FeatureMap<B, W, H>;
export function headStage<A extends Shape, K extends Shape, W extends Dim, R extends Shape>(st: Scope, x: Tensor<A, 'float32'>, skip: Tensor<K, 'float32'> & Check<SameSize<A, K>>, width: W, raster?: Tensor<R, 'float32'>, prototype?: Tensor<R, 'float32'>): FeatureMap;
export function headStage(st: Scope, x: FeatureMap<'B', 'C', 'H'>, skip: FeatureMap<'B', 'K', 'H'>, width: 'W', raster?: FeatureMap<'B', 4, 'H'>, prototype?: FeatureMap<'B', 4, 'H'>): FeatureMap<'B', 'W', 'H'> {
  const joined = skipJoin(x, skip);
  const mixed = conv2dLayer(st.at('conv'), joined, { out: width, kernel: 3, padding: 1 });
  const route = (name: string, m: FeatureMap<'B', 4, 'H'> | undefined, to: FeatureMap<'B', 'W', 'H'>) => (m ? add(to, conv2dLayer(st.at(name), m, { out: width, kernel: 3, padding: 1, init: 'zeros' })) : to);
  return gelu(layerNorm2d(st.at('norm'), route('prototype', prototype, route('raster', raster, mixed))));
}

/** The raster route's input (config.ts): the prompt drawn at pixel resolution, one channel per prompt type. */
export type PromptRaster<B extends Dim = Dim, S extends Dim = Dim> = FeatureMap<B, 4, S, S>;

/** Up one level: a 2×2, stride-2 transposed conv to the next level's width; the side doubles. */
export function upsample<B extends Dim, C extends Dim, H extends Dim, W extends Dim>(st: Scope, x: FeatureMap<B, C, H>, width: W): FeatureMap<B, W, DimMul<H, 2>>;
export function upsample(st: Scope, x: FeatureMap<'B', 'C', 'H'>, width: 'W'): FeatureMap<'B', 'W', DimMul<'H', 2>> {
  return convTranspose2dLayer(st.at('upsample'), x, { out: width, kernel: 2, stride: 2 });
}

/** Mask logits (B, 1, S, S). */
export type MaskLogits<B extends Dim = Dim, S extends Dim = Dim> = Tensor<readonly [B, 1, S, S], 'float32'>;

/**
 * A narrowing (docs/architecture.md): the head's ladder (levels + 1 rungs, each doubling the side, over a loop) ends
 * at the image side S, as does the coarse map upsampled by 2^levels; checked when the graph is built.
 */
export function maskOfSize<B extends Dim, S extends Dim>(logits: Tensor<readonly [B, 1, Dim, Dim], 'float32'>, size: S): MaskLogits<B, S> {
  const [b] = logits.shape;
  return assertShape(logits, [b, 1, size, size], `mask logits of the ${size}×${size} image`);
}

export interface HeadOptions<G extends Dim = Dim, S extends Dim = Dim, B extends Dim = Dim> {
  /** Token grid side G (the tokens are G·G). */
  readonly grid: G;
  /** Image side S. */
  readonly size: S;
  readonly levels: number;
  /** Channels per encoder level, the full-resolution stem first (levels + 1 entries). */
  readonly widths: readonly number[];
  /** The raster route (config.ts): the prompt raster (B, 4, S, S), read by every rung (averaged down to its size) and by the logits. */
  readonly raster?: PromptRaster<B, S>;
  /** The prototype route (prototype.ts): level j's similarity map (B, 4, S/2^j, S/2^j), read by rung j, for each level j it is given at. */
  readonly prototypes?: Readonly<Record<number, FeatureMap<B, 4>>>;
}

/** The decoder's tokens lie on the head's G×G grid. */
export type HeadTokensRule<E extends Shape, G extends Dim> = number extends E['length'] ? unknown
  : E extends readonly [Dim, infer N, Dim]
    ? DimsAgree<N, DimMul<G, G>> extends false ? ShapeError<`head: the decoder gives ${N & Dim} tokens but the ${G}×${G} grid has ${DimMul<G, G>}`> : unknown
    : ShapeError<'head: the decoder output must be (B, N, L)'>;

/** The raster route's input is (B, 4, S, S): one channel per prompt type, at the image's size. */
export type RasterRule<R extends Shape, S extends Dim> = number extends R['length'] ? unknown
  : R extends readonly [Dim, infer C, infer H, infer W]
    ? DimsAgree<C, 4> extends false ? ShapeError<`head: the prompt raster has ${C & Dim} channel(s), but the raster route reads one per prompt type (4)`>
      : DimsAgree<H, S> extends false ? ShapeError<`head: the prompt raster is ${H & Dim} high, but the image side is ${S}`>
      : DimsAgree<W, S> extends false ? ShapeError<`head: the prompt raster is ${W & Dim} wide, but the image side is ${S}`> : unknown
    : ShapeError<'head: the prompt raster must be (B, 4, S, S)'>;

/** Tokens (B, G·G, L) → mask logits (B, 1, S, S), joining the query's encoder features at every scale. */
function maskHeadModule<B extends Dim, G extends Dim, L extends Dim, S extends Dim>(s: Scope, e: Embedding<B, NoInfer<DimMul<G, G>>, L>, skips: readonly FeatureMap<NoInfer<B>>[], o: HeadOptions<G, S, NoInfer<B>>): MaskLogits<B, S>;
function maskHeadModule<E extends Shape, B extends Dim, G extends Dim, S extends Dim, R extends Shape = PromptRaster<B, S>['shape']>(s: Scope, e: Tensor<E, 'float32'> & Check<HeadTokensRule<E, G>>, skips: readonly FeatureMap<B>[], o: Omit<HeadOptions<G, S, NoInfer<B>>, 'raster'> & { readonly raster?: Tensor<R, 'float32'> & Check<RasterRule<R, S>> }): MaskLogits<B, S>;
function maskHeadModule(s: Scope, e: Embedding<'B', DimMul<'G', 'G'>, 'L'>, skips: readonly FeatureMap<'B'>[], o: HeadOptions<'G', 'S', 'B'>): MaskLogits<'B', 'S'> {
  const [b, , l] = e.shape;
  const grid = reshape(transpose(e, [0, 2, 1]), [b, l, o.grid, o.grid]); // (B, L, G, G)
  let x: FeatureMap<'B'> = grid;
  for (let j = o.levels; j >= 0; j--) {
    const st = s.at('up').at(j);
    const raster = o.raster && (j === 0 ? o.raster : avgPool2d(o.raster, { kernel: 1 << j }));
    x = headStage(st, x, skips[j], o.widths[j], raster, o.prototypes?.[j]);
    if (j > 0) x = upsample(st, x, o.widths[j - 1]);
  }
  // A coarse mask read straight off the decoder tokens, upsampled and added to the refined logits: the tokens (the
  // only path that carries template and prompt) get a direct route to the output instead of one diluted by four
  // stages of skip features (measured: without it the trained model ignored the prompt; docs/architecture.md).
  const coarse = conv2dLayer(s.at('coarse'), grid, { out: 1, kernel: 1 });
  const logits = add(conv2dLayer(s.at('logits'), x, { out: 1, kernel: 1 }), resize(coarse, { scale: 1 << o.levels }, 'linear'));
  // The raster route's own term on the logits: what a SegLab mask says per pixel, kept at full resolution.
  return maskOfSize(o.raster ? add(logits, conv2dLayer(s.at('raster'), o.raster, { out: 1, kernel: 3, padding: 1, init: 'zeros' })) : logits, o.size);
}
export const maskHead = defineModule(maskHeadModule);
