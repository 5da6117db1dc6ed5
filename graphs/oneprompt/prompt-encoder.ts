// Prompt encoder: Click, BBox and Doodle share one fixed-shape point path; SegLab has a mask path.
// Both give the two dense prompt maps p1, p2 of shape (B, N, L) on the G×G token grid, N = G·G
// (recommended reading in docs/architecture.md; inputs in docs/model-io.md). Bodies are checked at the dims' names
// B (batch), K (points), S (image side), G (grid side), L (embedding length); embedding.ts says why.
import {
  add, assertShape, cast, constant, conv2dLayer, defineModule, dimValue, div, equal, floor, gelu, init, layerNorm2d, matmul, maximum, minimum, mul, mulDims, reduceSum, reshape, slice, sub, transpose,
  type Dim, type DimMul, type HalfDim, type Scope, type Tensor,
} from '../../src/dsl/index.js';
import type { Embedding, FeatureMap } from './embedding.js';
import { densePositionalEncoding, fourierBasis, fourierFeatures, type FourierBasis } from './positional-encoding.js';

export interface PromptInputs<B extends Dim = Dim, K extends Dim = Dim, S extends Dim = Dim> {
  /** (B, K, 2) coordinates in [0, 1]. */
  readonly points: Tensor<readonly [B, K, 2], 'float32'>;
  /** (B, K): 1 first role, 2 second role, 0 padding. */
  readonly labels: Tensor<readonly [B, K], 'float32'>;
  /** (B, 1, S, S) SegLab mask. */
  readonly mask: Tensor<readonly [B, 1, S, S], 'float32'>;
  /** (B, 4) one-hot [click, bbox, doodle, seglab]. */
  readonly type: Tensor<readonly [B, 4], 'float32'>;
}
/** The inputs with B, K and S taken from the points and the mask: the others must match. */
export type PromptWires<B extends Dim, K extends Dim, S extends Dim> = { readonly points: Tensor<readonly [B, K, 2], 'float32'>; readonly mask: Tensor<readonly [NoInfer<B>, 1, S, S], 'float32'> } & NoInfer<PromptInputs<B, K, S>>;

/** The two prompt maps p1, p2 (B, N, L). */
export interface PromptMaps<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> {
  readonly p1: Embedding<B, N, L>;
  readonly p2: Embedding<B, N, L>;
}

/**
 * A narrowing (docs/architecture.md): the mask path's tokens, and each encoder level's patch tokens, lie on the G×G
 * grid. That is arithmetic on the image side and a patch size (S/2^j ÷ 2^(levels−j) = S/2^levels) that the compiler
 * cannot follow; it is checked when the graph is built.
 */
export function onTokenGrid<B extends Dim, L extends Dim, G extends Dim>(e: Tensor<readonly [B, Dim, L], 'float32'>, side: G): Embedding<B, DimMul<G, G>, L> {
  const [b, , l] = e.shape;
  return assertShape(e, [b, mulDims(side, side), l], `tokens on the ${side}×${side} grid`);
}

/**
 * Scatter matrix (B, G·G, K): entry (n, k) is 1 when point k lies in token cell n. Built from
 * Floor/Equal against the constant token index, so it lowers to plain ONNX ops of fixed shape.
 */
export function cellMembership<B extends Dim, K extends Dim, G extends Dim>(points: Tensor<readonly [B, K, 2], 'float32'>, side: G): Tensor<readonly [B, DimMul<G, G>, K], 'float32'>;
export function cellMembership(points: Tensor<readonly ['B', 'K', 2], 'float32'>, side: 'G'): Tensor<readonly ['B', DimMul<'G', 'G'>, 'K'], 'float32'> {
  const g = dimValue(side, 'the grid side');
  const scaled = mul(points, g);
  const cell = minimum(maximum(floor(scaled), 0), g - 1); // (B, K, 2) integer-valued cell coordinates
  const col = slice(cell, -1, 0, 1);
  const row = slice(cell, -1, 1, 2);
  const index = add(mul(row, g), col); // (B, K, 1)
  const tokenIds = constant(Float32Array.from({ length: g * g }, (_, i) => i), [mulDims(side, side), 1]); // (G·G, 1)
  const indexRow = transpose(index, [0, 2, 1]); // (B, 1, K)
  return cast(equal(indexRow, tokenIds), 'float32'); // (B, G·G, K)
}

/** Mean of (PE + role embedding) over each role's points per cell, or the role's "no prompt" embedding. */
function pointPromptMapsModule<B extends Dim, K extends Dim, S extends Dim, G extends Dim, L extends Dim>(s: Scope, p: PromptWires<B, K, S>, side: G, embed: L, basis: FourierBasis<NoInfer<HalfDim<L>>>): PromptMaps<B, DimMul<G, G>, L>;
function pointPromptMapsModule(s: Scope, p: PromptWires<'B', 'K', 'S'>, side: 'G', embed: 'L', basis: FourierBasis<HalfDim<'L'>>): PromptMaps<'B', DimMul<'G', 'G'>, 'L'> {
  const pe = fourierFeatures(p.points, basis); // (B, K, L)
  const member = cellMembership(p.points, side); // (B, G·G, K)
  const role = (r: 1 | 2) => {
    const rs = s.at(`role${r}`);
    const table = rs.param('embedding', [4, embed], init.normal(1)); // one embedding per prompt type for this role
    const roleEmb = reshape(matmul(p.type, table), [-1, 1, embed]); // (B, 1, L)
    const isRole = cast(equal(p.labels, r), 'float32'); // (B, K)
    const weights = mul(member, reshape(isRole, [-1, 1, p.labels.shape[1]])); // (B, G·G, K)
    const sum = matmul(weights, add(pe, roleEmb)); // (B, G·G, L)
    const count = reduceSum(weights, [-1], true); // (B, G·G, 1)
    const has = minimum(count, 1);
    const mean = div(sum, maximum(count, 1));
    const none = rs.param('no_prompt', [embed], init.normal(1));
    return add(mean, mul(sub(1, has), none));
  };
  return { p1: role(1), p2: role(2) };
}
export const pointPromptMaps = defineModule(pointPromptMapsModule);

/** SegLab: a small conv downscaler (1 → 4 → 16 → L channels) to the token grid; p1 = p2 (shared parameters). */
function maskEmbeddingModule<B extends Dim, S extends Dim, L extends Dim>(s: Scope, mask: Tensor<readonly [B, 1, S, S], 'float32'>, patch: number, embed: L): Tensor<readonly [B, Dim, L], 'float32'>;
function maskEmbeddingModule(s: Scope, mask: Tensor<readonly ['B', 1, 'S', 'S'], 'float32'>, patch: number, embed: 'L'): Tensor<readonly ['B', Dim, 'L'], 'float32'> {
  const x1 = gelu(layerNorm2d(s.at('norm1'), conv2dLayer(s.at('conv1'), mask, { out: 4, kernel: 2, stride: 2 })));
  const x2 = gelu(layerNorm2d(s.at('norm2'), conv2dLayer(s.at('conv2'), x1, { out: 16, kernel: 2, stride: 2 })));
  const k = patch / 4;
  return tokens(conv2dLayer(s.at('proj'), x2, { out: embed, kernel: k, stride: k })); // (B, L, G, G) → (B, G·G, L)
}
export const maskEmbedding = defineModule(maskEmbeddingModule);

/** (B, C, H, W) → (B, H·W, C). */
export function tokens<B extends Dim, C extends Dim, H extends Dim, W extends Dim>(x: FeatureMap<B, C, H, W>): Embedding<B, DimMul<H, W>, C>;
export function tokens(x: FeatureMap<'B', 'C', 'H', 'W'>): Embedding<'B', DimMul<'H', 'W'>, 'C'> {
  const [b, c, h, w] = x.shape;
  return transpose(reshape(x, [b, c, mulDims(h, w)]), [0, 2, 1]);
}

export interface PromptEncoderOptions<G extends Dim = Dim, L extends Dim = Dim> {
  /** Grid side G (N = G·G tokens). */
  readonly side: G;
  /** Pixels per token on a side (S / G). */
  readonly patch: number;
  /** Embedding length L. */
  readonly embed: L;
}

/** The prompt encoder: p1, p2 for the configured grid, selecting the SegLab path by the type one-hot. */
function promptEncoderModule<B extends Dim, K extends Dim, S extends Dim, G extends Dim, L extends Dim>(s: Scope, p: PromptWires<B, K, S>, opts: PromptEncoderOptions<G, L>): PromptMaps<B, DimMul<G, G>, L>;
function promptEncoderModule(s: Scope, p: PromptWires<'B', 'K', 'S'>, opts: PromptEncoderOptions<'G', 'L'>): PromptMaps<'B', DimMul<'G', 'G'>, 'L'> {
  const basis = fourierBasis(s.at('pe'), opts.embed);
  const dense = densePositionalEncoding(s.at('pe'), opts.side, basis); // (G·G, L)
  const pts = pointPromptMaps(s.at('points'), p, opts.side, opts.embed, basis);
  const maskEmb = onTokenGrid(maskEmbedding(s.at('mask'), p.mask, opts.patch, opts.embed), opts.side);
  const seg = reshape(slice(p.type, 1, 3, 4), [-1, 1, 1]); // (B, 1, 1)
  const pick = (pointMap: Embedding<'B', DimMul<'G', 'G'>, 'L'>) => add(dense, add(mul(seg, maskEmb), mul(sub(1, seg), pointMap)));
  return { p1: pick(pts.p1), p2: pick(pts.p2) };
}
export const promptEncoder = defineModule(promptEncoderModule);
