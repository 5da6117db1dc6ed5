// The Prompt-Parser (paper eqs. 1–3) and its ablations, as pure typed functions plus one module.
//   (1) e_tq = e_t ⊙ (p1 + p2 + e_q)
//   (2) Prompting step, "Stack MLP": M = w · [e_t; p1; p2] · e_qᵀ, w ∈ R^{N×3N}   (B, N, N)
//   (3) Masking step, "Gaussian": a conv maps M to 2 channels (mean, variance) → Gaussian kernel k_G;
//       e_G = max(k_G · e_tq, e_tq); output = e_G ⊙ e_t
// Readings where the paper is vague are written down in docs/architecture.md. Each function has a generic signature,
// a last one that states a wrong call as a sentence, and a body checked at the dims' names (embedding.ts says why).
import {
  add, addDims, cast, concat, conv2d, defineModule, dimValue, div, exp, gelu, greater, init, linear, matmul, maximum, mul, reduceSum, reshape, slice, softmax, softplus, sub, transpose,
  type Check, type Dim, type DimsAgree, type Scope, type Shape, type ShapeError, type Tensor,
} from '../../src/dsl/index.js';
import type { MaskingStep, PromptingStep } from './config.js';
import type { Embedding, EmbeddingAgrees, EmbeddingFitsMap, EmbeddingOf, IsEmbedding, IsTokenMap, Stacked, TokenMap } from './embedding.js';

export type { Embedding, TokenMap } from './embedding.js';

/** The Stack-MLP weight w ∈ R^{N×3N} (eq. 2). */
export type MixingWeight<N extends Dim = Dim> = Tensor<readonly [N, Stacked<N>], 'float32'>;
/** The Gaussian-masking conv: M (one channel) → mean and variance (two channels), a k × k kernel. */
export type MaskingConv = Tensor<readonly [2, 1, number, number], 'float32'>;

/** The Stack-MLP mixing weight must be N × 3N, N the template's tokens. */
export type MixingWeightRule<W extends Shape, T extends Shape> = T extends readonly [Dim, infer N extends Dim, Dim]
  ? W extends readonly [infer R extends Dim, infer C extends Dim]
    ? DimsAgree<R, N> extends true
      ? DimsAgree<C, Stacked<N>> extends true ? unknown : ShapeError<`prompt-parser: the mixing weight w must be N × 3N = ${N} × ${Stacked<N>}, got ${R} × ${C}`>
      : ShapeError<`prompt-parser: the mixing weight w must be N × 3N = ${N} × ${Stacked<N>}, got ${R} × ${C}`>
    : ShapeError<`prompt-parser: the mixing weight w must be a matrix, got rank ${W['length']}`>
  : unknown;

/** The Gaussian-masking conv must give exactly two channels: mean and variance. */
export type TwoChannels<W extends Shape> = W extends readonly [infer C, ...Dim[]]
  ? C extends 2 ? unknown : ShapeError<`gaussian masking: the conv must yield 2 channels (mean, variance), got ${C & Dim}`>
  : unknown;

type TokenMapOf<S extends Shape> = S extends readonly [infer B extends Dim, infer N extends Dim, Dim] ? TokenMap<B, N> : TokenMap;
type F<S extends Shape> = Tensor<S, 'float32'>;

const invSqrt = (l: Dim) => 1 / Math.sqrt(dimValue(l, 'the embedding length'));
const transposeTokens = (e: Embedding<'B', 'N', 'L'>) => transpose(e, [0, 2, 1]); // (B, L, N)

/** Eq. 1: e_tq = e_t ⊙ (p1 + p2 + e_q). */
export function queryTemplateMix<B extends Dim, N extends Dim, L extends Dim>(eq: Embedding<B, N, L>, et: NoInfer<Embedding<B, N, L>>, p1: NoInfer<Embedding<B, N, L>>, p2: NoInfer<Embedding<B, N, L>>): Embedding<B, N, L>;
export function queryTemplateMix<Q extends Shape, T extends Shape, P1 extends Shape, P2 extends Shape>(
  eq: F<Q> & Check<IsEmbedding<'prompt-parser', Q>>,
  et: F<T> & Check<EmbeddingAgrees<'prompt-parser', Q, 'query', T, 'template'>>,
  p1: F<P1> & Check<EmbeddingAgrees<'prompt-parser', Q, 'query', P1, 'p1'>>,
  p2: F<P2> & Check<EmbeddingAgrees<'prompt-parser', Q, 'query', P2, 'p2'>>,
): EmbeddingOf<Q>;
export function queryTemplateMix(eq: Embedding<'B', 'N', 'L'>, et: Embedding<'B', 'N', 'L'>, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>): Embedding<'B', 'N', 'L'> {
  return mul(et, add(add(p1, p2), eq));
}

/**
 * Eq. 2, "Stack MLP": M = w·[e_t; p1; p2]·e_qᵀ / √L. The stack is along tokens (B, 3N, L), so w must be N × 3N
 * (matmul's rule rejects any other w in the body). The 1/√L scale (as in attention) keeps M's spread independent
 * of L; without it the Gaussian kernel saturates at initialisation.
 */
export function stackMlpPrompting<B extends Dim, N extends Dim, L extends Dim>(w: NoInfer<MixingWeight<N>>, et: Embedding<B, N, L>, p1: NoInfer<Embedding<B, N, L>>, p2: NoInfer<Embedding<B, N, L>>, eq: NoInfer<Embedding<B, N, L>>): TokenMap<B, N>;
export function stackMlpPrompting<W extends Shape, T extends Shape, P1 extends Shape, P2 extends Shape, Q extends Shape>(
  w: F<W> & Check<MixingWeightRule<W, T>>,
  et: F<T> & Check<IsEmbedding<'prompt-parser', T>>,
  p1: F<P1> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P1, 'p1'>>,
  p2: F<P2> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P2, 'p2'>>,
  eq: F<Q> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', Q, 'query'>>,
): TokenMapOf<T>;
export function stackMlpPrompting(w: MixingWeight<'N'>, et: Embedding<'B', 'N', 'L'>, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>, eq: Embedding<'B', 'N', 'L'>): TokenMap<'B', 'N'> {
  const stacked = concat([et, p1, p2], 1); // (B, 3N, L)
  const mixed = matmul(w, stacked); // (B, N, L)
  return mul(matmul(mixed, transposeTokens(eq)), invSqrt(eq.shape[2]));
}

/** Ablation "Add": M = (e_t + p1 + p2)·e_qᵀ / √L. */
export function addPrompting<B extends Dim, N extends Dim, L extends Dim>(et: Embedding<B, N, L>, p1: NoInfer<Embedding<B, N, L>>, p2: NoInfer<Embedding<B, N, L>>, eq: NoInfer<Embedding<B, N, L>>): TokenMap<B, N>;
export function addPrompting<T extends Shape, P1 extends Shape, P2 extends Shape, Q extends Shape>(
  et: F<T> & Check<IsEmbedding<'prompt-parser', T>>,
  p1: F<P1> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P1, 'p1'>>,
  p2: F<P2> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P2, 'p2'>>,
  eq: F<Q> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', Q, 'query'>>,
): TokenMapOf<T>;
export function addPrompting(et: Embedding<'B', 'N', 'L'>, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>, eq: Embedding<'B', 'N', 'L'>): TokenMap<'B', 'N'> {
  return mul(matmul(add(add(et, p1), p2), transposeTokens(eq)), invSqrt(eq.shape[2]));
}

/** Ablation "Concat + MLP": M = MLP([e_t, p1, p2] along features)·e_qᵀ / √L. Parameters `fc1`, `fc2`. */
function concatMlpModule<B extends Dim, N extends Dim, L extends Dim>(s: Scope, et: Embedding<B, N, L>, p1: NoInfer<Embedding<B, N, L>>, p2: NoInfer<Embedding<B, N, L>>, eq: NoInfer<Embedding<B, N, L>>): TokenMap<B, N>;
function concatMlpModule<T extends Shape, P1 extends Shape, P2 extends Shape, Q extends Shape>(
  s: Scope,
  et: F<T> & Check<IsEmbedding<'prompt-parser', T>>,
  p1: F<P1> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P1, 'p1'>>,
  p2: F<P2> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', P2, 'p2'>>,
  eq: F<Q> & Check<EmbeddingAgrees<'prompt-parser', T, 'template', Q, 'query'>>,
): TokenMapOf<T>;
function concatMlpModule(s: Scope, et: Embedding<'B', 'N', 'L'>, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>, eq: Embedding<'B', 'N', 'L'>): TokenMap<'B', 'N'> {
  const l = eq.shape[2];
  const h = gelu(linear(s.at('fc1'), concat([et, p1, p2], -1), l)); // (B, N, 3L) → (B, N, L)
  const mixed = linear(s.at('fc2'), h, l);
  return mul(matmul(mixed, transposeTokens(eq)), invSqrt(l));
}
export const concatMlpPrompting = defineModule(concatMlpModule);

const EPS = 1e-6;
/** Rows of a (B, N, N) map scaled to sum to 1 (ε keeps all-zero rows at zero). */
const rowNormalise = (m: TokenMap<'B', 'N'>) => div(m, add(reduceSum(m, [-1], true), EPS));

/**
 * Eq. 3, Gaussian masking. conv: M (as a 1-channel N×N image) → (mean μ, raw variance); σ² = softplus(raw) + ε;
 * k_G[n, m] = exp(−(M − μ)² / 2σ²), rows normalised; e_G = max(k_G · e_tq, e_tq) (element-wise max keeps the
 * strongest activation). Returns e_G; the caller multiplies by e_t.
 */
export function gaussianMasking<B extends Dim, N extends Dim, L extends Dim>(m: TokenMap<B, N>, etq: Embedding<NoInfer<B>, NoInfer<N>, L>, weight: MaskingConv, bias: Tensor<readonly [2], 'float32'>): Embedding<B, N, L>;
export function gaussianMasking<M extends Shape, E extends Shape, W extends Shape>(
  m: F<M> & Check<IsTokenMap<'gaussian masking', M>>,
  etq: F<E> & Check<EmbeddingFitsMap<'gaussian masking', M, E>>,
  weight: F<W> & Check<TwoChannels<W>>,
  bias: Tensor<readonly [2], 'float32'>,
): EmbeddingOf<E>;
export function gaussianMasking(m: TokenMap<'B', 'N'>, etq: Embedding<'B', 'N', 'L'>, weight: MaskingConv, bias: Tensor<readonly [2], 'float32'>): Embedding<'B', 'N', 'L'> {
  const [b, n] = m.shape;
  const k = dimValue(weight.shape[2], 'the masking kernel');
  const image = reshape(m, [b, 1, n, n]);
  const stats = conv2d(image, weight, bias, { padding: k >> 1 }); // (B, 2, N, N)
  const mean = reshape(slice(stats, 1, 0, 1), [b, n, n]);
  const variance = add(softplus(reshape(slice(stats, 1, 1, 2), [b, n, n])), EPS);
  const z = sub(m, mean);
  const kernel = rowNormalise(exp(div(mul(mul(z, z), -0.5), variance)));
  return maximum(matmul(kernel, etq), etq);
}

/** Masking ablations on the token axis (all act through a row-normalised N×N map, like k_G). */
export function simpleMasking<B extends Dim, N extends Dim, L extends Dim>(kind: Exclude<MaskingStep, 'gaussian'>, m: TokenMap<B, N>, etq: Embedding<NoInfer<B>, NoInfer<N>, L>): Embedding<B, N, L>;
export function simpleMasking<M extends Shape, E extends Shape>(kind: Exclude<MaskingStep, 'gaussian'>, m: F<M> & Check<IsTokenMap<'masking', M>>, etq: F<E> & Check<EmbeddingFitsMap<'masking', M, E>>): EmbeddingOf<E>;
export function simpleMasking(kind: Exclude<MaskingStep, 'gaussian'>, m: TokenMap<'B', 'N'>, etq: Embedding<'B', 'N', 'L'>): Embedding<'B', 'N', 'L'> {
  switch (kind) {
    case 'add': // add the mask's (softmax-normalised) transfer of the feature to the feature
      return add(etq, matmul(softmax(m, -1), etq));
    case 'binary': // threshold at 0 (negatives 0, positives 1), then apply
      return matmul(rowNormalise(cast(greater(m, 0), 'float32')), etq);
    case 'norm': // normalise the mask, then apply
      return matmul(softmax(m, -1), etq);
  }
}

export interface ParserOptions {
  readonly prompting: PromptingStep;
  readonly masking: MaskingStep;
  /** Gaussian-masking conv kernel size (odd). */
  readonly kernel?: number;
}

/**
 * The Prompt-Parser module: e_G ⊙ e_t for the chosen prompting and masking steps. Parameters `w` (Stack MLP, N × 3N,
 * sized by the embeddings' N), `mlp.*` (Concat+MLP), `masking.weight|bias` (Gaussian).
 */
function promptParserModule<B extends Dim, N extends Dim, L extends Dim>(s: Scope, p1: Embedding<B, N, L>, p2: NoInfer<Embedding<B, N, L>>, eq: NoInfer<Embedding<B, N, L>>, et: NoInfer<Embedding<B, N, L>>, o: ParserOptions): Embedding<B, N, L>;
function promptParserModule<P1 extends Shape, P2 extends Shape, Q extends Shape, T extends Shape>(
  s: Scope,
  p1: F<P1> & Check<IsEmbedding<'prompt-parser', P1>>,
  p2: F<P2> & Check<EmbeddingAgrees<'prompt-parser', P1, 'p1', P2, 'p2'>>,
  eq: F<Q> & Check<EmbeddingAgrees<'prompt-parser', P1, 'p1', Q, 'query'>>,
  et: F<T> & Check<EmbeddingAgrees<'prompt-parser', P1, 'p1', T, 'template'>>,
  o: ParserOptions,
): EmbeddingOf<P1>;
function promptParserModule(s: Scope, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>, eq: Embedding<'B', 'N', 'L'>, et: Embedding<'B', 'N', 'L'>, o: ParserOptions): Embedding<'B', 'N', 'L'> {
  const etq = queryTemplateMix(eq, et, p1, p2);
  let m: TokenMap<'B', 'N'>;
  if (o.prompting === 'stack-mlp') {
    const n = et.shape[1];
    const w = s.param('w', [n, addDims(addDims(n, n), n)], init.fanIn(3 * dimValue(n, 'the token count')));
    m = stackMlpPrompting(w, et, p1, p2, eq);
  } else if (o.prompting === 'add') m = addPrompting(et, p1, p2, eq);
  else m = concatMlpPrompting(s.at('mlp'), et, p1, p2, eq);
  let eg: Embedding<'B', 'N', 'L'>;
  if (o.masking === 'gaussian') {
    const k = o.kernel ?? 3;
    const ms = s.at('masking');
    const weight = ms.param('weight', [2, 1, k, k], init.fanIn(k * k));
    const bias = ms.param('bias', [2], init.zeros);
    eg = gaussianMasking(m, etq, weight, bias);
  } else eg = simpleMasking(o.masking, m, etq);
  return mul(eg, et);
}
export const promptParser = defineModule(promptParserModule);
