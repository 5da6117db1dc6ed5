// One-Prompt Former block (paper Fig. 2b): a query branch and a template branch, merged.
//   query branch:    a = CrossAttn(q = e_q, kv = e_s) ; a = CrossAttn(q = a, kv = e_t)
//   template branch: t = LN(e_t + p1 + p2 + PromptParser(p, e_q, e_t)) ; t = CrossAttn(q = t, kv = e_q)
//   merge:           m = CrossAttn(q = a, kv = t)       ; m = SelfAttn(m) ; out = FFN(m)
// Each attention is residual with post-LayerNorm (as in SAM's two-way decoder).
import { add, defineModule, gelu, layerNorm, linear, multiHeadAttention, type Scope, type Shape, type Tensor } from '../../src/dsl/index.js';
import { promptParser, type ParserOptions } from './prompt-parser.js';

type F = Tensor<Shape, 'float32'>;

export interface FormerInputs {
  /** This level's query embedding e_i^q (B, N, L). */
  readonly eq: F;
  /** This level's template embedding e_i^t (B, N, L). */
  readonly et: F;
  /** The previous block's output e_{i−1}^s (B, N, L). */
  readonly es: F;
  readonly p1: F;
  readonly p2: F;
}

export interface FormerOptions extends ParserOptions {
  readonly heads: number;
  readonly ffnRatio: number;
}

/** x + Attn(x, kv), then LayerNorm. */
export const residualAttention = defineModule(function residualAttention(s: Scope, x: F, kv: F, heads: number): F {
  const y = multiHeadAttention(s.at('attn'), x as never, kv as never, { heads }) as F;
  return layerNorm(s.at('norm'), add(x, y) as F) as F;
});

export const feedForward = defineModule(function feedForward(s: Scope, x: F, ratio: number): F {
  const l = x.shape[2] as number;
  const h = gelu(linear(s.at('fc1'), x, l * ratio) as F) as F;
  return layerNorm(s.at('norm'), add(x, linear(s.at('fc2'), h, l)) as F) as F;
});

export const formerBlock = defineModule(function formerBlock(s: Scope, i: FormerInputs, o: FormerOptions): F {
  let a = residualAttention(s.at('query_prev'), i.eq, i.es, o.heads);
  a = residualAttention(s.at('query_template'), a, i.et, o.heads);
  // Template branch. The parser's output is added to the template tokens and the prompt maps (residual, then
  // LayerNorm), as every other sub-block here is residual: without it the product e_G ⊙ e_t is the branch's only
  // route and training shuts the prompt out (measured: the prompt moved the logits by < 1e-3; docs/architecture.md).
  const parsed = promptParser(s.at('parser'), i.p1, i.p2, i.eq, i.et, o);
  let t = layerNorm(s.at('template_norm'), add(add(i.et, add(i.p1, i.p2) as F) as F, parsed) as F) as F;
  t = residualAttention(s.at('template_query'), t, i.eq, o.heads);
  let m = residualAttention(s.at('merge'), a, t, o.heads);
  m = residualAttention(s.at('self'), m, m, o.heads);
  return feedForward(s.at('ffn'), m, o.ffnRatio);
});
