// Element counts at the type level, for reshape and flatten: a shape's count is a product of
// symbolic factors and a static number. A symbolic dim that is a plain product ('H*W*4') is split
// into its factors, so flattening and un-flattening symbolic dims cancel; any other expression
// ('H+1', 'floor((H-1)/2)+1') is one opaque factor. Mirrors src/dsl/element-count.ts exactly.
import type { FloorDiv, Mod, Product } from './arith.js';
import type { Dim, HasWide, Shape, ShapeError, StaticDims, SymbolicDims } from './shape.js';
import type { Join } from './tuple.js';

type Opaque = `${string}${'+' | '-' | '(' | ')' | '/' | ' '}${string}`;
type Factor<A extends string> = A extends `${infer N extends number}` ? N : A;
type SplitStar<S extends string> = S extends `${infer A}*${infer R}` ? [Factor<A>, ...SplitStar<R>] : [Factor<S>];

/** The factors of one dim: itself, or the parts of a plain product. */
export type DimFactors<D extends Dim> = D extends number ? [D] : D extends Opaque ? [D] : SplitStar<D & string>;
export type ShapeFactors<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? ShapeFactors<R, [...Acc, ...DimFactors<H>]>
  : Acc;

/** [symbolic factors, static product] of a shape's element count. */
export type CountOf<S extends Shape> = ShapeFactors<S> extends infer F extends Shape ? [SymbolicDims<F>, Product<StaticDims<F>>] : never;

/** A count as one dim, written as the runtime's `productDim` writes it: names in order, then the static part. */
export type ProductDim<Names extends readonly string[], P extends number> = P extends 0
  ? 0
  : Names extends readonly []
    ? P
    : P extends 1
      ? Join<Names, '*'>
      : `${Join<Names, '*'>}*${P}`;
export type CountStr<S extends Shape> = CountOf<S> extends [infer N extends string[], infer P extends number] ? `${ProductDim<N, P>}` : never;

/** The product of dims as one dim (flatten); wide dims give a wide result. */
export type DimProduct<S extends Shape> =
  HasWide<S> extends true
    ? S[number] extends number
      ? number
      : Dim
    : CountOf<S> extends [infer N extends string[], infer P extends number]
      ? ProductDim<N, P>
      : never;

// ---- multiset cancellation of symbolic factors ----
type RemoveFirst<L extends readonly string[], X extends string, Acc extends string[] = []> = L extends readonly [
  infer H extends string,
  ...infer R extends string[],
]
  ? [H] extends [X]
    ? [...Acc, ...R]
    : RemoveFirst<R, X, [...Acc, H]>
  : false;
/** [names left in A, names left in B] after removing the names they share. */
export type Cancel<A extends string[], B extends string[], BLeft extends string[] = []> = B extends [infer H extends string, ...infer R extends string[]]
  ? RemoveFirst<A, H> extends infer A2 extends string[]
    ? Cancel<A2, R, BLeft>
    : Cancel<A, R, [...BLeft, H]>
  : [A, BLeft];

// ---- reshape ----
type NegCount<T extends Shape, C extends 1[] = []> = T extends readonly [infer H, ...infer R extends Shape]
  ? NegCount<R, [H] extends [-1] ? [...C, 1] : C>
  : C['length'];
type WithoutNeg<T extends Shape, Acc extends Dim[] = []> = T extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? WithoutNeg<R, [H] extends [-1] ? Acc : [...Acc, H]>
  : Acc;
type FillNeg<T extends Shape, D extends Dim, Acc extends Dim[] = []> = T extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? FillNeg<R, D, [...Acc, [H] extends [-1] ? D : H]>
  : Acc;
type IsTupleShape<S extends Shape> = number extends S['length'] ? false : true;
/** The first literal dim below -1, or never. */
type BadTargetDim<T extends Shape> = T extends readonly [infer H, ...infer R extends Shape]
  ? H extends number
    ? `${H}` extends `-${string}`
      ? [H] extends [-1]
        ? BadTargetDim<R>
        : H
      : BadTargetDim<R>
    : BadTargetDim<R>
  : never;

/**
 * The shape `reshape(x: S, T)` gives: T with a -1 inferred, or a ShapeError. Static counts must
 * agree; symbolic factors cancel between the two sides; a name only in the target is a new dim
 * (checked by ONNX Runtime when the model runs), but input names may not vanish without one.
 */
export type ReshapeShape<S extends Shape, T extends Shape> =
  IsTupleShape<T> extends false
    ? Shape
    : NegCount<T> extends infer NC extends number
      ? [BadTargetDim<T>] extends [never]
        ? ReshapeCounted<S, T, NC>
        : ShapeError<`reshape: target dim ${BadTargetDim<T>} is not a size (use -1 to infer one dim)`>
      : never;

// The target alone decides how many dims are inferred, so two -1 are rejected whatever the input's type.
type ReshapeCounted<S extends Shape, T extends Shape, NC extends number> = NC extends 0 | 1
  ? IsTupleShape<S> extends false
    ? FillNeg<T, number>
    : HasWide<S> extends true
      ? FillNeg<T, number>
      : HasWide<WithoutNeg<T>> extends true
        ? FillNeg<T, number>
        : ReshapeKnown<S, T, NC, CountOf<S>, CountOf<WithoutNeg<T>>>
  : ShapeError<`reshape: at most one dim can be -1, got ${NC}`>;

type ReshapeKnown<S extends Shape, T extends Shape, NC, CS, CT> = CS extends [infer SN extends string[], infer PS extends number]
  ? CT extends [infer TN extends string[], infer PT extends number]
    ? Cancel<SN, TN> extends [infer SL extends string[], infer TL extends string[]]
      ? NC extends 0
        ? SL extends []
          ? TL extends []
            ? [PS] extends [PT]
              ? [...T]
              : ShapeError<`reshape: ${CountStr<S>} elements cannot be viewed as [${Join<T>}] (${CountStr<T>})`>
            : ShapeError<`reshape: ${CountStr<S>} elements cannot be viewed as [${Join<T>}] (${CountStr<T>})`>
          : TL extends []
            ? ShapeError<`reshape: ${CountStr<S>} elements cannot be viewed as [${Join<T>}] (${CountStr<T>})`>
            : [...T]
        : TL extends []
          ? Mod<PS, PT> extends infer R
            ? R extends 0
              ? FillNeg<T, ProductDim<SL, FloorDiv<PS, PT> & number>>
              : R extends 'div0'
                ? ShapeError<'reshape: -1 cannot be inferred next to a zero-size dim'>
                : ShapeError<`reshape: ${CountStr<S>} elements cannot be viewed as [${Join<T>}] (not a multiple of ${CountStr<WithoutNeg<T>>})`>
            : never
          : ShapeError<`reshape: [${Join<T>}] leaves more than one dim to infer from [${Join<S>}]`>
      : never
    : never
  : never;
