// Prompt encoder: Click, BBox and Doodle share one fixed-shape point path; SegLab has a mask path.
// Both give the two dense prompt maps p1, p2 of shape (B, N, L) on the token grid
// (recommended reading in docs/architecture.md; inputs in docs/model-io.md).
import {
  add, cast, constant, conv2dLayer, defineModule, div, equal, floor, gelu, init, layerNorm2d, matmul, maximum, minimum, mul, reduceSum, reshape, slice, sub, transpose,
  type Scope, type Shape, type Tensor,
} from '../../src/dsl/index.js';
import { densePositionalEncoding, fourierBasis, fourierFeatures } from './positional-encoding.js';

type F = Tensor<Shape, 'float32'>;

export interface PromptInputs {
  /** (B, K, 2) coordinates in [0, 1]. */
  readonly points: F;
  /** (B, K): 1 first role, 2 second role, 0 padding. */
  readonly labels: F;
  /** (B, 1, S, S) SegLab mask. */
  readonly mask: F;
  /** (B, 4) one-hot [click, bbox, doodle, seglab]. */
  readonly type: F;
}

export interface PromptMaps {
  readonly p1: F;
  readonly p2: F;
}

/**
 * Scatter matrix (B, N, K): entry (n, k) is 1 when point k lies in token cell n. Built from
 * Floor/Equal against the constant token index, so it lowers to plain ONNX ops of fixed shape.
 */
export function cellMembership(points: F, side: number): F {
  const scaled = mul(points, side);
  const cell = minimum(maximum(floor(scaled), 0), side - 1); // (B, K, 2) integer-valued cell coordinates
  const col = slice(cell, -1, 0, 1);
  const row = slice(cell, -1, 1, 2);
  const index = add(mul(row, side), col) as F; // (B, K, 1)
  const tokenIds = Float32Array.from({ length: side * side }, (_, i) => i);
  const indexRow = transpose(index, [0, 2, 1]) as F; // (B, 1, K)
  return cast(equal(indexRow, constantColumn(tokenIds)), 'float32') as F; // (B, N, K)
}

const constantColumn = (v: Float32Array): F => constant(v, [v.length, 1]) as F;

/** Mean of (PE + role embedding) over each role's points per cell, or the role's "no prompt" embedding. */
export const pointPromptMaps = defineModule(function pointPromptMaps(s: Scope, p: PromptInputs, side: number, embed: number, basis: Tensor<readonly [2, number], 'float32'>): PromptMaps {
  const pe = fourierFeatures(p.points, basis) as F; // (B, K, L)
  const member = cellMembership(p.points, side); // (B, N, K)
  const role = (r: 1 | 2): F => {
    const rs = s.at(`role${r}`);
    const table = rs.param('embedding', [4, embed], init.normal(1)); // one embedding per prompt type for this role
    const roleEmb = reshape(matmul(p.type, table as F) as F, [-1, 1, embed]) as F; // (B, 1, L)
    const isRole = cast(equal(p.labels, r), 'float32') as F; // (B, K)
    const weights = mul(member, reshape(isRole, [-1, 1, p.labels.shape[1]]) as F) as F; // (B, N, K)
    const sum = matmul(weights, add(pe, roleEmb) as F) as F; // (B, N, L)
    const count = reduceSum(weights, [-1], true) as F; // (B, N, 1)
    const has = minimum(count, 1) as F;
    const mean = div(sum, maximum(count, 1)) as F;
    const none = rs.param('no_prompt', [embed], init.normal(1));
    return add(mean, mul(sub(1, has) as F, none as F)) as F;
  };
  return { p1: role(1), p2: role(2) };
});

/** SegLab: a small conv downscaler (1 → 4 → 16 → L channels) to the token grid; p1 = p2 (shared parameters). */
export const maskEmbedding = defineModule(function maskEmbedding(s: Scope, mask: F, patch: number, embed: number): F {
  let x = gelu(layerNorm2d(s.at('norm1'), conv2dLayer(s.at('conv1'), mask, { out: 4, kernel: 2, stride: 2 }) as F)) as F;
  x = gelu(layerNorm2d(s.at('norm2'), conv2dLayer(s.at('conv2'), x, { out: 16, kernel: 2, stride: 2 }) as F)) as F;
  const k = patch / 4;
  x = conv2dLayer(s.at('proj'), x, { out: embed, kernel: k, stride: k }) as F; // (B, L, G, G)
  return tokens(x);
});

/** (B, C, G, G) → (B, G·G, C). */
export function tokens(x: F): F {
  const [, c, h, w] = x.shape;
  return transpose(reshape(x, [x.shape[0], c, (h as number) * (w as number)]) as F, [0, 2, 1]) as F;
}

/** The prompt encoder: p1, p2 for the configured grid, selecting the SegLab path by the type one-hot. */
export const promptEncoder = defineModule(function promptEncoder(s: Scope, p: PromptInputs, opts: { side: number; patch: number; embed: number }): PromptMaps {
  const basis = fourierBasis(s.at('pe'), opts.embed);
  const dense = densePositionalEncoding(s.at('pe'), opts.side, basis) as F; // (N, L)
  const pts = pointPromptMaps(s.at('points'), p, opts.side, opts.embed, basis);
  const maskEmb = maskEmbedding(s.at('mask'), p.mask, opts.patch, opts.embed);
  const seg = reshape(slice(p.type, 1, 3, 4) as F, [-1, 1, 1]) as F; // (B, 1, 1)
  const pick = (pointMap: F) => add(dense, add(mul(seg, maskEmb), mul(sub(1, seg) as F, pointMap) as F) as F) as F;
  return { p1: pick(pts.p1), p2: pick(pts.p2) };
});
