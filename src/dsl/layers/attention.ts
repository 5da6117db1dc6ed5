// Multi-head attention with learned projections (SAM's Attention): q, k, v project to `width`
// (default: the query's width), `heads` heads attend, `out` projects back to the query's width.
import type { Check, Dim, IsLiteral, IsTuple, Mod, Shape, ShapeError } from '../types/shape.js';
import type { DimsAllAgree, JoinDims } from '../types/dim-lists.js';
import { defineModule } from '../module.js';
import type { Scope } from '../params.js';
import type { Tensor } from '../tensor.js';
import { linear } from './linear.js';
import { attention } from '../ops/attention.js';
import { RuleError } from '../dim.js';

type Parts<S extends Shape> = S extends readonly [...infer B extends Dim[], infer N extends Dim, infer W extends Dim]
  ? { batch: B; tokens: N; width: W }
  : undefined;
type QueryWidth<S extends Shape> = Parts<S> extends { width: infer W extends number } ? W : number;

/**
 * The key/value input against the query: ranks and batch dims. The widths size the projections, so they must be
 * numbers when the graph is built; a named width passes here (a module body's name for a number) and a width that
 * stays symbolic is reported when the graph is built.
 */
export type MultiHeadKeyValueCheck<Q extends Shape, KV extends Shape> =
  IsTuple<Q> extends false
    ? unknown
    : IsTuple<KV> extends false
      ? unknown
      : Parts<Q> extends { batch: infer QB extends Shape }
        ? Parts<KV> extends { batch: infer KB extends Shape }
          ? DimsAllAgree<KB, QB> extends true
            ? unknown
            : ShapeError<`multiHeadAttention: key/value batch dims [${JoinDims<KB>}] differ from query batch dims [${JoinDims<QB>}]`>
          : ShapeError<`multiHeadAttention: key/value needs rank ≥ 2, got rank ${KV['length']}`>
        : ShapeError<`multiHeadAttention: query needs rank ≥ 2, got rank ${Q['length']}`>;

/** `heads` divides the attention width. */
export type MultiHeadWidthCheck<H extends number, W extends number> =
  IsLiteral<H> extends false
    ? unknown
    : IsLiteral<W> extends false
      ? unknown
      : `${H}` extends `-${string}` | '0' | `${string}.${string}`
        ? ShapeError<`multiHeadAttention: heads must be a positive integer, got ${H}`>
        : Mod<W, H> extends 0
          ? unknown
          : ShapeError<`multiHeadAttention: ${H} heads do not divide width ${W}`>;

export interface MultiHeadAttentionOptions<H extends number, W extends number> {
  readonly heads: H;
  /** Width of q, k, v inside the block (default: the query's width; SAM's downsample_rate divides it). */
  readonly width?: W;
}

/** query (…, Nq, C), keyValue (…, Nk, Ckv) → (…, Nq, C). Parameters: q, k, v, out (each a `linear`). */
export const multiHeadAttention = defineModule(function multiHeadAttention<
  Q extends Shape,
  KV extends Shape,
  const H extends number,
  const W extends number = QueryWidth<Q>,
>(
  s: Scope,
  query: Tensor<Q, 'float32'>,
  keyValue: Tensor<KV, 'float32'> & Check<MultiHeadKeyValueCheck<Q, KV>>,
  opts: MultiHeadAttentionOptions<H, W> & Check<MultiHeadWidthCheck<H, W>>,
): Tensor<[...Q], 'float32'> {
  const c = query.shape[query.shape.length - 1];
  if (typeof c !== 'number') throw new RuleError(`multiHeadAttention '${s.path}': the query width must be static to size the projections, got '${c}'`);
  const width = opts.width ?? c;
  const wide = <T>(t: T) => t as Tensor<Shape, 'float32'>;
  const q = linear(s.at('q'), wide(query), width);
  const k = linear(s.at('k'), wide(keyValue), width);
  const v = linear(s.at('v'), wide(keyValue), width);
  const o = attention(wide(q), wide(k), wide(v), { heads: opts.heads as number });
  return linear(s.at('out'), wide(o), c) as never;
});
