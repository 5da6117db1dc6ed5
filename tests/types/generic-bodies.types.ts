// Type tests for module bodies generic in their dims (B, N, L as type parameters), dtype agreement and reshape's -1
// count. Each @ts-expect-error line must be rejected; where the comment reads like a rule (`op: ...`),
// generic-bodies.messages.test.ts also checks the sentence. Accepted lines pin the types the signatures give.
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { ParamStore, type Scope } from '../../src/dsl/params.js';
import {
  add,
  cast,
  concat,
  equal,
  gelu,
  halfDim,
  layerNorm,
  linear,
  matmul,
  mul,
  multiHeadAttention,
  reshape,
  softmax,
  sub,
  transpose,
  type Dim,
  type Shape,
} from '../../src/dsl/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <A, B>(_check: Equals<A, B>): void => undefined;
type ShapeOf<T> = T extends Tensor<infer S, any> ? S : never;
type Emb<B extends Dim, N extends Dim, L extends Dim> = Tensor<readonly [B, N, L], 'float32'>;

// ---- a body generic in B, N, M, L checks: every op below matches its pattern signature ----
export function crossBlock<B extends Dim, N extends Dim, M extends Dim, L extends number>(
  s: Scope,
  x: Emb<B, N, L>,
  kv: Emb<B, M, L>,
  heads: number,
): Emb<B, N, L> {
  const attended = multiHeadAttention(s.at('attn'), x, kv, { heads });
  const h = layerNorm(s.at('norm'), add(x, attended));
  const hidden = gelu(linear(s.at('fc1'), h, 64));
  const back = linear(s.at('fc2'), hidden, x.shape[2]);
  const scores = softmax(mul(matmul(h, transpose(kv, [0, 2, 1])), 0.5), -1); // (B, N, M)
  const pooled = matmul(scores, kv); // (B, N, L)
  return sub(add(add(h, back), pooled), mul(1, x));
}
/** A matrix times a batch, a batch times a matrix, and halves joined along the last axis. */
export function mixes<B extends Dim, N extends Dim, L extends Dim>(
  w: Tensor<readonly [N, N], 'float32'>,
  x: Emb<B, N, L>,
  p: Tensor<readonly [L, L], 'float32'>,
) {
  const mixed = matmul(w, x);
  const projected = matmul(mixed, p);
  const halves = concat([projected, projected], -1);
  return { mixed, projected, halves };
}
const store = new ParamStore(0);
const block = () => crossBlock(store.root().at('b'), input('x', ['B', 64, 32]), input('kv', ['B', 16, 32]), 2);
assertType<ShapeOf<ReturnType<typeof block>>, readonly ['B', 64, 32]>(true);
const mixedTypes = () => mixes(input('w', [64, 64]), input('x2', ['B', 64, 32]), input('p', [32, 32]));
assertType<ShapeOf<ReturnType<typeof mixedTypes>['mixed']>, ['B', 64, 32]>(true);
assertType<ShapeOf<ReturnType<typeof mixedTypes>['halves']>, ['B', 64, 64]>(true);
// literal calls that match a pattern give the same shapes as the rules
assertType<ShapeOf<ReturnType<typeof matmul<['B', 4], 256, 3, 'float32'>>>, ['B', 4, 3]>(true);

// ---- a wrong wire inside a generic body is an error inside the body ----
export function swapped<B extends Dim, N extends Dim, L extends Dim>(x: Emb<B, N, L>, y: Emb<B, L, N>) {
  // @ts-expect-error adding (B, N, L) to (B, L, N) inside a generic body
  return add(x, y);
}
export function untransposed<B extends Dim, N extends Dim, L extends Dim>(x: Emb<B, N, L>, kv: Emb<B, N, L>) {
  // @ts-expect-error (B, N, L) · (B, N, L): the key was not transposed
  return matmul(x, kv);
}

// ---- named dims: a body checked at names gives the rule's sentences ----
export function named(x: Emb<'B', 'N', 'L'>, kv: Emb<'B', 'N', 'L'>) {
  // @ts-expect-error matmul: inner dims differ (L vs N)
  matmul(x, kv);
  // @ts-expect-error add: cannot broadcast L with N
  add(x, transpose(kv, [0, 2, 1]));
  return matmul(x, transpose(kv, [0, 2, 1]));
}
assertType<ShapeOf<ReturnType<typeof named>>, ['B', 'N', 'N']>(true);
// two exact halves of a named dim add up to it again
const halvesOf = (x: Tensor<readonly ['B', 'L'], 'float32'>, w: Tensor<readonly ['L', typeof half], 'float32'>) => concat([matmul(x, w), matmul(x, w)], -1);
declare const half: ReturnType<typeof halfDim<'L'>>;
assertType<ShapeOf<ReturnType<typeof halvesOf>>, ['B', 'L']>(true);
assertType<ReturnType<typeof halfDim<32>>, 16>(true);

// ---- dtypes must agree in element-wise ops ----
const f = input('f', ['B', 4, 256]);
const ids = cast(f, 'int64');
// @ts-expect-error add: dtypes differ (float32 vs int64)
add(f, ids);
// @ts-expect-error mul: dtypes differ (int64 vs float32)
mul(ids, f);
// @ts-expect-error equal: dtypes differ (float32 vs int32)
equal(f, cast(f, 'int32'));
// @ts-expect-error sub: dtypes differ (float32 vs int64) (also when the shapes broadcast)
sub(input('g', [256]), ids);
export const sameDType: Tensor<['B', 4, 256], 'int64'> = add(ids, 1);

// ---- reshape: at most one -1, whatever the input's type ----
const wide = input('wide', ['B', 4, 256]) as Tensor<Shape, 'float32'>;
// @ts-expect-error reshape: at most one dim can be -1, got 2
reshape(wide, [-1, -1]);
// @ts-expect-error reshape: at most one dim can be -1, got 3
reshape(input('n', [2, 3, 4]), [-1, -1, -1]);
export const oneInferred: Tensor<[number, 4], 'float32'> = reshape(wide, [-1, 4]);
