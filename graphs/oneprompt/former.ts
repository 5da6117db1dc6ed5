// One-Prompt Former block (paper Fig. 2b): a query branch and a template branch, merged.
//   query branch:    a = CrossAttn(q = e_q, kv = e_s) ; a = CrossAttn(q = a, kv = e_t)
//   template branch: t = LN(e_t + p1 + p2 + PromptParser(p, e_q, e_t)) ; t = CrossAttn(q = t, kv = e_q)
//   merge:           m = CrossAttn(q = a, kv = t)       ; [aligned: m = LN(m + W·t)] ; m = SelfAttn(m) ; out = FFN(m)
// Each attention is residual with post-LayerNorm (as in SAM's two-way decoder). Bodies are checked at the dims'
// names B (batch), N and M (tokens), L (embedding length), H (hidden width); embedding.ts says why.
import { add, defineModule, gelu, layerNorm, linear, mulDims, multiHeadAttention, type Check, type Dim, type DimsAgree, type Scope, type Shape, type ShapeError, type Tensor } from '../../src/dsl/index.js';
import type { IsLiteral, Mod } from '../../src/dsl/types/shape.js';
import type { Embedding, EmbeddingAgrees, EmbeddingOf, IsEmbedding } from './embedding.js';
import { promptParser, type ParserOptions } from './prompt-parser.js';

export interface FormerInputs<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> {
  /** This level's query embedding e_i^q (B, N, L). */
  readonly eq: Embedding<B, N, L>;
  /** This level's template embedding e_i^t (B, N, L). */
  readonly et: Embedding<B, N, L>;
  /** The previous block's output e_{i−1}^s (B, N, L). */
  readonly es: Embedding<B, N, L>;
  readonly p1: Embedding<B, N, L>;
  readonly p2: Embedding<B, N, L>;
}
/** The inputs with B, N and L taken from e_q alone: every other one must match it. */
export type FormerWires<B extends Dim, N extends Dim, L extends Dim> = { readonly eq: Embedding<B, N, L> } & NoInfer<FormerInputs<B, N, L>>;

export interface FormerOptions<H extends number = number> extends ParserOptions {
  /** Attention heads; they divide L. */
  readonly heads: H;
  /** Feed-forward hidden width as a multiple of L. */
  readonly ffnRatio: number;
  /** The aligned route: the template branch's token at each grid cell is added to the query branch's (config.ts). */
  readonly aligned?: boolean;
}

/** Every input of a Former block agrees with e_q. */
export type FormerInputsRule<I> = I extends { readonly eq: { readonly shape: infer Q extends Shape } }
  ? IsEmbedding<'former', Q> extends infer E extends ShapeError<string> ? E
    : Agree<Q, I, 'et', 'template'> extends infer E extends ShapeError<string> ? E
    : Agree<Q, I, 'es', "previous block's output"> extends infer E extends ShapeError<string> ? E
    : Agree<Q, I, 'p1', 'p1'> extends infer E extends ShapeError<string> ? E
    : Agree<Q, I, 'p2', 'p2'>
  : unknown;
type Agree<Q extends Shape, I, K extends string, Name extends string> = I extends { readonly [k in K]: { readonly shape: infer S extends Shape } } ? EmbeddingAgrees<'former', Q, 'query', S, Name> : unknown;

/** The heads divide the embedding length L (when both are literals). */
export type HeadsDivide<H extends number, L> = IsLiteral<H> extends true
  ? IsLiteral<L> extends true ? (Mod<L & number, H> extends 0 ? unknown : ShapeError<`former: ${H} heads do not divide the embedding length ${L & number}`>) : unknown
  : unknown;
type LengthOf<I> = I extends { readonly eq: { readonly shape: readonly [Dim, Dim, infer L] } } ? L : number;

/** The key/value of an attention has the query's batch and length (its token count is free). */
type KeyValueRule<X extends Shape, KV extends Shape> = number extends KV['length'] ? unknown
  : KV extends readonly [infer KB, Dim, infer KL]
    ? X extends readonly [infer B, Dim, infer L]
      ? DimsAgree<KL, L> extends false ? ShapeError<`attention: the query has length ${L & Dim} but the key/value ${KL & Dim}`>
        : DimsAgree<KB, B> extends false ? ShapeError<`attention: the query has batch ${B & Dim} but the key/value ${KB & Dim}`>
        : unknown
      : unknown
    : ShapeError<'attention: the key/value must be (B, M, L)'>;
type F<S extends Shape> = Tensor<S, 'float32'>;

/** x + Attn(x, kv), then LayerNorm. Parameters `attn.{q,k,v,out}`, `norm`. */
function residualAttentionModule<B extends Dim, N extends Dim, M extends Dim, L extends Dim>(s: Scope, x: Embedding<B, N, L>, kv: Embedding<NoInfer<B>, M, NoInfer<L>>, heads: number): Embedding<B, N, L>;
function residualAttentionModule<X extends Shape, KV extends Shape>(s: Scope, x: F<X> & Check<IsEmbedding<'attention', X>>, kv: F<KV> & Check<KeyValueRule<X, KV>>, heads: number): EmbeddingOf<X>;
function residualAttentionModule(s: Scope, x: Embedding<'B', 'N', 'L'>, kv: Embedding<'B', 'M', 'L'>, heads: number): Embedding<'B', 'N', 'L'> {
  const y = multiHeadAttention(s.at('attn'), x, kv, { heads });
  return layerNorm(s.at('norm'), add(x, y));
}
export const residualAttention = defineModule(residualAttentionModule);

/** x + W₂·GELU(W₁·x), then LayerNorm; the hidden width H is the caller's (L · ffnRatio). Parameters `fc1`, `fc2`, `norm`. */
function feedForwardModule<B extends Dim, N extends Dim, L extends Dim, H extends Dim>(s: Scope, x: Embedding<B, N, L>, hidden: H): Embedding<B, N, L>;
function feedForwardModule(s: Scope, x: Embedding<'B', 'N', 'L'>, hidden: 'H'): Embedding<'B', 'N', 'L'> {
  const h = gelu(linear(s.at('fc1'), x, hidden));
  return layerNorm(s.at('norm'), add(x, linear(s.at('fc2'), h, x.shape[2])));
}
export const feedForward = defineModule(feedForwardModule);

/** One One-Prompt Former block: (B, N, L) → (B, N, L). */
function formerBlockModule<B extends Dim, N extends Dim, L extends Dim, H extends number>(s: Scope, i: FormerWires<B, N, L>, o: FormerOptions<H> & Check<HeadsDivide<H, L>>): Embedding<B, N, L>;
function formerBlockModule<I extends FormerInputs, H extends number>(s: Scope, i: I & Check<FormerInputsRule<I>>, o: FormerOptions<H> & Check<HeadsDivide<H, LengthOf<I>>>): Embedding;
function formerBlockModule(s: Scope, i: FormerWires<'B', 'N', 'L'>, o: FormerOptions<number>): Embedding<'B', 'N', 'L'> {
  let a = residualAttention(s.at('query_prev'), i.eq, i.es, o.heads);
  a = residualAttention(s.at('query_template'), a, i.et, o.heads);
  // Template branch. The parser's output is added to the template tokens and the prompt maps (residual, then
  // LayerNorm), as every other sub-block here is residual: without it the product e_G ⊙ e_t is the branch's only
  // route and training shuts the prompt out (measured: the prompt moved the logits by < 1e-3; docs/architecture.md).
  const parsed = promptParser(s.at('parser'), i.p1, i.p2, i.eq, i.et, o);
  let t: Embedding<'B', 'N', 'L'> = layerNorm(s.at('template_norm'), add(add(i.et, add(i.p1, i.p2)), parsed));
  t = residualAttention(s.at('template_query'), t, i.eq, o.heads);
  let m = residualAttention(s.at('merge'), a, t, o.heads);
  // The aligned route: the template token of the same cell, projected, added (residual, then LayerNorm). The merge's
  // attention starts uniform over the N template tokens, so a prompt on one or two cells reaches the query at 1/N of
  // its strength; this route carries it where it lies, and attention can still learn to look elsewhere.
  if (o.aligned) m = layerNorm(s.at('aligned').at('norm'), add(m, linear(s.at('aligned').at('proj'), t, m.shape[2])));
  m = residualAttention(s.at('self'), m, m, o.heads);
  return feedForward(s.at('ffn'), m, mulDims(m.shape[2], o.ffnRatio));
}
export const formerBlock = defineModule(formerBlockModule);
