// Shapes at the type level: dims, readable errors, and the rules shared by op families.
import type { Add, Cmp, FloorDiv, IsLiteral, Mod, Mul, Product, Sub } from './arith.js';

/** A dim is a number literal (checked by the compiler), `number` (checked at build time) or a named symbolic dim such as 'B'. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/**
 * A shape error the editor shows as a sentence. Ops intersect one of their
 * parameters with `Check<Rule>`; when the rule fails the argument is missing
 * this property and the compiler prints the message, e.g.
 * `... required in type 'ShapeError<"matmul: inner dims differ (256 vs 255)">'`.
 */
export interface ShapeError<Msg extends string> {
  readonly '⛔ shape error': Msg;
}
export type IsError<T> = T extends ShapeError<string> ? true : false;
/** `unknown` when the rule holds (no constraint), the error itself when it fails. */
export type Check<R> = R extends ShapeError<string> ? R : unknown;
/**
 * The result shape of an op whose rule failed: `any`, so that one mistake reports once (the argument already carries
 * the sentence), even where the result meets a declared type such as a module's return.
 */
export type OrWide<R> = R extends ShapeError<string> ? any : R;

export type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
export type IsWideDim<D> = D extends number ? (number extends D ? true : false) : D extends string ? (string extends D ? true : false) : true;

/**
 * Equal dims: literal equality; a wide dim is deferred to build time (true). The same dim agrees with itself first,
 * through a box the compiler resolves even for a type parameter, so `DimsAgree<N, N>` holds in a generic body.
 */
export type DimsAgree<A, B> =
  SameDim<A, B> extends true
    ? true
    : IsWideDim<A> extends true
      ? true
      : IsWideDim<B> extends true
        ? true
        : [A] extends [B]
          ? [B] extends [A]
            ? true
            : false
          : false;
interface DimBox<T> {
  readonly dim: T;
}
type SameDim<A, B> = DimBox<A> extends DimBox<B> ? (DimBox<B> extends DimBox<A> ? true : false) : false;

// ---------- axes ----------
/** Normalise a possibly negative axis against a rank; 'bad' when out of range. */
export type NormAxis<A extends number, R extends number> = `${A}` extends `-${infer N extends number}`
  ? Sub<R, N> extends infer X
    ? X extends number
      ? X
      : 'bad'
    : never
  : Cmp<A, R> extends 'l'
    ? A
    : 'bad';
export type AxisError<Op extends string, A extends number, R extends number> = ShapeError<`${Op}: axis ${A} is out of range for rank ${R}`>;

// ---------- broadcasting (NumPy rules) ----------
type BroadcastDim<A extends Dim, B extends Dim, Op extends string> = A extends 1
  ? B
  : B extends 1
    ? A
    : IsWideDim<A> extends true
      ? IsWideDim<B> extends true
        ? A
        : B
      : IsWideDim<B> extends true
        ? A
        : DimsAgree<A, B> extends true
          ? A
          : ShapeError<`${Op}: cannot broadcast ${A} with ${B}`>;
export type Broadcast<A extends Shape, B extends Shape, Op extends string, Acc extends Dim[] = []> =
  IsTuple<A> extends false
    ? Shape
    : IsTuple<B> extends false
      ? Shape
      : A extends readonly [...infer AI extends Dim[], infer AL extends Dim]
        ? B extends readonly [...infer BI extends Dim[], infer BL extends Dim]
          ? BroadcastDim<AL, BL, Op> extends infer R
            ? R extends ShapeError<string>
              ? R
              : Broadcast<AI, BI, Op, [R & Dim, ...Acc]>
            : never
          : [...A, ...Acc]
        : [...B, ...Acc];

// ---------- sums and products of dims (symbolic dims stay symbolic) ----------
// A wide operand (`number`, `string`) gives a wide result: a template such as `${string}*W` would pass for a name.
type WideOf<A extends Dim, B extends Dim> = [A, B] extends [number, number] ? number : Dim;
// `any` in gives `any` out: the compiler erases a signature's type parameters to it when it compares the signature
// with its implementation's (a body checked at named dims, graphs/oneprompt/embedding.ts).
type IsAny<T> = 0 extends 1 & T ? true : false;
export type DimAdd<A extends Dim, B extends Dim> =
  IsAny<A | B> extends true
    ? any
    : IsWideDim<A> extends true
      ? WideOf<A, B>
      : IsWideDim<B> extends true
        ? WideOf<A, B>
        : A extends number
          ? B extends number
            ? Add<A, B>
            : `${A}+${B}`
          : A extends `${infer X}/2`
            ? [A] extends [B]
              ? X
              : `${A}+${B}`
            : `${A}+${B}`;
/**
 * An exact half: an even number halves, a name N halves to 'N/2' (and two halves add up to N again). An odd number
 * gives a wide dim; halfDim throws for it when the graph is built.
 */
export type HalfDim<A extends Dim> = IsAny<A> extends true ? any : A extends number ? HalfOf<`${A}`> : string extends A ? string : `${A}/2`;
// Halving by a digit table keeps the type shallow where A is still a type parameter (the general division is not).
type HalfOf<D extends string> = D extends `${infer N extends number}`
  ? `${N}` extends `${string}.${string}` | `-${string}`
    ? number
    : HalfDigits<D> extends `${infer H extends number}`
      ? H
      : number
  : number;
type HalfDigits<D extends string, Carry extends 0 | 1 = 0, Acc extends string = ''> = D extends `${infer C extends keyof HalfTable}${infer R}`
  ? HalfDigits<R, HalfTable[C][Carry][1], `${Acc}${HalfTable[C][Carry][0]}`>
  : Carry extends 0
    ? StripLeadingZeros<Acc>
    : 'odd';
// For digit d with a carried 1 (i.e. 10 + d): [half digit, carry out].
interface HalfTable {
  '0': [['0', 0], ['5', 0]];
  '1': [['0', 1], ['5', 1]];
  '2': [['1', 0], ['6', 0]];
  '3': [['1', 1], ['6', 1]];
  '4': [['2', 0], ['7', 0]];
  '5': [['2', 1], ['7', 1]];
  '6': [['3', 0], ['8', 0]];
  '7': [['3', 1], ['8', 1]];
  '8': [['4', 0], ['9', 0]];
  '9': [['4', 1], ['9', 1]];
}
type StripLeadingZeros<S extends string> = S extends `0${infer R}` ? (R extends '' ? '0' : StripLeadingZeros<R>) : S;
export type DimMul<A extends Dim, B extends Dim> =
  IsAny<A | B> extends true
    ? any
    : A extends 1
      ? B
      : B extends 1
        ? A
        : IsWideDim<A> extends true
          ? WideOf<A, B>
          : IsWideDim<B> extends true
            ? WideOf<A, B>
            : A extends number
              ? B extends number
                ? Mul<A, B>
                : `${A}*${B}`
              : `${A}*${B}`;

/** The static part and the symbolic names of a shape, for element-count checks. */
export type StaticDims<S extends Shape, Acc extends number[] = []> = S extends readonly [infer H, ...infer R extends Shape]
  ? H extends number
    ? StaticDims<R, [...Acc, H]>
    : StaticDims<R, Acc>
  : Acc;
export type SymbolicDims<S extends Shape, Acc extends string[] = []> = S extends readonly [infer H, ...infer R extends Shape]
  ? H extends string
    ? SymbolicDims<R, [...Acc, H]>
    : SymbolicDims<R, Acc>
  : Acc;
export type HasWide<S extends Shape> = S extends readonly [infer H, ...infer R extends Shape] ? (IsWideDim<H> extends true ? true : HasWide<R>) : false;
export type StaticCount<S extends Shape> = Product<StaticDims<S>>;

// ---------- convolution arithmetic ----------
/** floor((X + 2P − D(K−1) − 1)/S) + 1, the ONNX/PyTorch output length without ceil mode. */
export type ConvOutLen<X extends Dim, K extends number, S extends number, P extends number, D extends number, Op extends string> = X extends number
  ? IsLiteral<X> extends false
    ? number
    : Sub<Add<X, Mul<2, P>>, Add<Mul<D, Sub<K, 1> & number>, 1>> extends infer Num
      ? Num extends number
        ? Add<FloorDiv<Num, S> & number, 1>
        : ShapeError<`${Op}: kernel ${K} (dilation ${D}) is larger than the padded input ${Add<X, Mul<2, P>>}`>
      : never
  : SymConvOut<X & string, Sub<Mul<2, P>, Mul<D, Sub<K, 1> & number>>, Sub<Mul<D, Sub<K, 1> & number>, Mul<2, P>>, S>;
/**
 * Symbolic output length, written exactly as the runtime's `convOutDim` writes it.
 * C1 = 2P − D(K−1) when non-negative (else N1 = its negation); out = floor((X + C1 − 1)/S) + 1.
 */
type SymConvOut<X extends string, C1, N1, S extends number> = S extends 1
  ? C1 extends 0
    ? X
    : C1 extends number
      ? `${X}+${C1}`
      : `${X}-${N1 & number}`
  : C1 extends 0
    ? `floor((${X}-1)/${S})+1`
    : C1 extends 1
      ? `floor(${X}/${S})+1`
      : C1 extends number
        ? `floor((${X}+${Sub<C1, 1> & number})/${S})+1`
        : `floor((${X}-${Add<N1 & number, 1>})/${S})+1`;

/** (X − 1)·S − 2P + D(K−1) + OP + 1, the ConvTranspose output length. */
export type ConvTransposeOutLen<
  X extends Dim,
  K extends number,
  S extends number,
  P extends number,
  D extends number,
  OP extends number,
  Op extends string,
> = X extends number
  ? IsLiteral<X> extends false
    ? number
    : Sub<Add<Add<Mul<Sub<X, 1> & number, S>, Mul<D, Sub<K, 1> & number>>, Add<OP, 1>>, Mul<2, P>> extends infer R
      ? R extends number
        ? R extends 0
          ? ShapeError<`${Op}: output length would be 0`>
          : R
        : ShapeError<`${Op}: padding ${P} is too large for input ${X}`>
      : never
  : Sub<Add<Mul<D, Sub<K, 1> & number>, Add<OP, 1>>, Add<Mul<2, P>, S>> extends infer C
    ? C extends 0
      ? `${X}*${S}`
      : C extends number
        ? `${X}*${S}+${C}`
        : `${X}*${S}-${Sub<Add<Mul<2, P>, S>, Add<Mul<D, Sub<K, 1> & number>, Add<OP, 1>>> & number}`
    : never;

export type { Add, Sub, Mul, FloorDiv, Mod, Cmp, Product, IsLiteral };
