// The Prompt-Parser (paper eqs. 1–3) and its ablations, as pure typed functions plus one module.
//   (1) e_tq = e_t ⊙ (p1 + p2 + e_q)
//   (2) Prompting step, "Stack MLP": M = w · [e_t; p1; p2] · e_qᵀ, w ∈ R^{N×3N}   (B, N, N)
//   (3) Masking step, "Gaussian": a conv maps M to 2 channels (mean, variance) → Gaussian kernel k_G;
//       e_G = max(k_G · e_tq, e_tq); output = e_G ⊙ e_t
// Readings where the paper is vague are written down in docs/architecture.md.
import {
  add, cast, concat, conv2d, defineModule, div, exp, gelu, greater, init, linear, matmul, maximum, mul, reduceSum, reshape, slice, softmax, softplus, sub, transpose,
  type Check, type Dim, type DimsAgree, type Scope, type Shape, type ShapeError, type Tensor,
} from '../../src/dsl/index.js';
import type { MaskingStep, PromptingStep } from './config.js';
import type { Mul } from '../../src/dsl/types/arith.js';

type F = Tensor<Shape, 'float32'>;
/** A token embedding (B, N, L). */
export type Embedding<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> = Tensor<readonly [B, N, L], 'float32'>;

/** Query and template embeddings must have the same token count and length. */
export type SameTokens<Q extends Shape, T extends Shape> = Q extends readonly [Dim, infer NQ, infer LQ]
  ? T extends readonly [Dim, infer NT, infer LT]
    ? DimsAgree<NQ, NT> extends false ? ShapeError<`prompt-parser: the query has ${NQ & Dim} tokens but the template has ${NT & Dim}`>
      : DimsAgree<LQ, LT> extends false ? ShapeError<`prompt-parser: query embeddings have length ${LQ & Dim} but template embeddings ${LT & Dim}`>
      : unknown
    : ShapeError<'prompt-parser: embeddings must be (B, N, L)'>
  : ShapeError<'prompt-parser: embeddings must be (B, N, L)'>;

/** The Stack-MLP mixing weight must be N × 3N. */
export type MixingWeight<W extends Shape, N extends number> = W extends readonly [infer R extends Dim, infer C extends Dim]
  ? DimsAgree<R, N> extends true
    ? DimsAgree<C, Mul<3, N>> extends true ? unknown : ShapeError<`prompt-parser: the mixing weight w must be N × 3N = ${N} × ${Mul<3, N>}, got ${R} × ${C}`>
    : ShapeError<`prompt-parser: the mixing weight w must be N × 3N = ${N} × ${Mul<3, N>}, got ${R} × ${C}`>
  : ShapeError<`prompt-parser: the mixing weight w must be a matrix, got rank ${W['length']}`>;

/** The Gaussian-masking conv must give exactly two channels: mean and variance. */
export type TwoChannels<C> = C extends 2 ? unknown : ShapeError<`gaussian masking: the conv must yield 2 channels (mean, variance), got ${C & Dim}`>;

/** Eq. 1: e_tq = e_t ⊙ (p1 + p2 + e_q). */
export function queryTemplateMix<Q extends Shape, T extends Shape>(eq: Tensor<Q, 'float32'>, et: Tensor<T, 'float32'> & Check<SameTokens<Q, T>>, p1: F, p2: F): Tensor<T, 'float32'> {
  return mul(et as F, add(add(p1, p2), eq as F)) as never;
}

const invSqrt = (l: Dim) => 1 / Math.sqrt(Number(l));
const transposeTokens = (e: F): F => transpose(e, [0, 2, 1]) as F;

/**
 * Eq. 2, "Stack MLP": M = w·[e_t; p1; p2]·e_qᵀ / √L. The stack is along tokens (B, 3N, L), so w must be N × 3N
 * (the compiler rejects any other w through matmul's rule). The 1/√L scale (as in attention) keeps M's
 * spread independent of L; without it the Gaussian kernel saturates at initialisation.
 */
export function stackMlpPrompting<B extends Dim, N extends number, L extends number, W extends Shape>(
  w: Tensor<W, 'float32'> & Check<MixingWeight<W, N>>,
  et: Embedding<B, N, L>,
  p1: Embedding<B, N, L>,
  p2: Embedding<B, N, L>,
  eq: Embedding<B, N, L>,
): Tensor<readonly [B, N, N], 'float32'> {
  const stacked = concat([et, p1, p2] as F[], 1) as F; // (B, 3N, L)
  const mixed = matmul(w as F, stacked) as F; // (B, N, L)
  return mul(matmul(mixed, transposeTokens(eq as F)), invSqrt(eq.shape[2])) as never;
}

/** Ablation "Add": M = (e_t + p1 + p2)·e_qᵀ / √L. */
export function addPrompting(et: F, p1: F, p2: F, eq: F): F {
  return mul(matmul(add(add(et, p1), p2) as F, transposeTokens(eq)), invSqrt(eq.shape[2])) as F;
}

/** Ablation "Concat + MLP": M = MLP([e_t, p1, p2] along features)·e_qᵀ / √L. */
export const concatMlpPrompting = defineModule(function concatMlpPrompting(s: Scope, et: F, p1: F, p2: F, eq: F): F {
  const l = eq.shape[2] as number;
  const h = gelu(linear(s.at('fc1'), concat([et, p1, p2], -1) as F, l) as F) as F;
  const mixed = linear(s.at('fc2'), h, l) as F;
  return mul(matmul(mixed, transposeTokens(eq)), invSqrt(l)) as F;
});

const EPS = 1e-6;
/** Rows of a (B, N, N) map scaled to sum to 1 (ε keeps all-zero rows at zero). */
const rowNormalise = (m: F): F => div(m, add(reduceSum(m, [-1], true), EPS)) as F;

/**
 * Eq. 3, Gaussian masking. conv: M (as a 1-channel N×N image) → (mean μ, raw variance); σ² = softplus(raw) + ε;
 * k_G[n, m] = exp(−(M − μ)² / 2σ²), rows normalised; e_G = max(k_G · e_tq, e_tq) (element-wise max keeps the
 * strongest activation). Returns e_G; the caller multiplies by e_t.
 */
export function gaussianMasking<B extends Dim, N extends number, L extends number, C extends number, K extends number>(
  m: Tensor<readonly [B, N, N], 'float32'>,
  etq: Embedding<B, N, L>,
  weight: Tensor<readonly [C, 1, K, K], 'float32'> & Check<TwoChannels<C>>,
  bias: Tensor<readonly [C], 'float32'>,
): Embedding<B, N, L> {
  const n = m.shape[1];
  const k = weight.shape[2] as number;
  const image = reshape(m as F, [m.shape[0], 1, n, n]) as F;
  const stats = conv2d(image, weight as F, bias as F, { padding: k >> 1 }) as F; // (B, 2, N, N)
  const mean = reshape(slice(stats, 1, 0, 1) as F, [m.shape[0], n, n]) as F;
  const variance = add(softplus(reshape(slice(stats, 1, 1, 2) as F, [m.shape[0], n, n]) as F), EPS) as F;
  const z = sub(m as F, mean) as F;
  const kernel = rowNormalise(exp(div(mul(mul(z, z), -0.5), variance) as F) as F);
  return maximum(matmul(kernel, etq as F), etq as F) as never;
}

/** Masking ablations on the token axis (all act through a row-normalised N×N map, like k_G). */
export function simpleMasking(kind: Exclude<MaskingStep, 'gaussian'>, m: F, etq: F): F {
  switch (kind) {
    case 'add': // add the mask's (softmax-normalised) transfer of the feature to the feature
      return add(etq, matmul(softmax(m, -1) as F, etq)) as F;
    case 'binary': // threshold at 0 (negatives 0, positives 1), then apply
      return matmul(rowNormalise(cast(greater(m, 0), 'float32') as F), etq) as F;
    case 'norm': // normalise the mask, then apply
      return matmul(softmax(m, -1) as F, etq) as F;
  }
}

export interface ParserOptions {
  readonly prompting: PromptingStep;
  readonly masking: MaskingStep;
  /** Tokens N and length L (static). */
  readonly tokens: number;
  readonly embed: number;
  /** Gaussian-masking conv kernel size (odd). */
  readonly kernel?: number;
}

/** The Prompt-Parser module: parameters `w` (Stack MLP), `mlp.*` (Concat+MLP), `masking.weight|bias` (Gaussian). */
export const promptParser = defineModule(function promptParser(s: Scope, p1: F, p2: F, eq: F, et: F, o: ParserOptions): F {
  const etq = queryTemplateMix(eq, et as never, p1, p2) as F;
  let m: F;
  if (o.prompting === 'stack-mlp') {
    const w = s.param('w', [o.tokens, 3 * o.tokens], init.fanIn(3 * o.tokens));
    m = stackMlpPrompting(w as never, et as never, p1 as never, p2 as never, eq as never) as F;
  } else if (o.prompting === 'add') m = addPrompting(et, p1, p2, eq);
  else m = concatMlpPrompting(s.at('mlp'), et, p1, p2, eq);
  let eg: F;
  if (o.masking === 'gaussian') {
    const k = o.kernel ?? 3;
    const ms = s.at('masking');
    const weight = ms.param('weight', [2, 1, k, k], init.fanIn(k * k));
    const bias = ms.param('bias', [2], init.zeros);
    eg = gaussianMasking(m as never, etq as never, weight as never, bias) as F;
  } else eg = simpleMasking(o.masking, m, etq);
  return mul(eg, et) as F;
});
