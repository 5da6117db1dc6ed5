// Type-level natural-number arithmetic on decimal digit strings.
//
// Why digits: counting with tuple lengths costs O(n) instantiations and hits
// TS2589 ("excessively deep") past a few hundred; digit-wise tables keep the
// cost proportional to the number of digits, so 1024² images and 4096-token
// grids check as fast as 64² ones. All entry points take and return number
// literals; a non-literal `number` in gives `number` out (checked at build time).
import type { AddTable, DigitCmp, MulTable, SubTable } from './digit-tables.js';

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

type Reverse<S extends string, Acc extends string = ''> = S extends `${infer H}${infer T}` ? Reverse<T, `${H}${Acc}`> : Acc;
type Head<S extends string> = S extends `${infer H extends Digit}${string}` ? H : '0';
type Tail<S extends string> = S extends `${string}${infer T}` ? T : '';
type StripZeros<S extends string> = S extends `0${infer R}` ? (R extends '' ? '0' : StripZeros<R>) : S;
type Hi<P extends string> = P extends `${infer H extends Digit}${string}` ? H : '0';
type Lo<P extends string> = P extends `${string}${infer L extends Digit}` ? L : '0';

/** A number literal's digits, or never for non-literals, negatives and fractions. */
type Digits<N extends number> = number extends N
  ? never
  : `${N}` extends `${'-' | ''}${infer _}.${string}`
    ? never
    : `${N}` extends `-${string}`
      ? never
      : `${N}`;
type ToNum<S extends string> = S extends `${infer N extends number}` ? N : never;
export type IsLiteral<N> = N extends number ? (number extends N ? false : true) : false;

// ---- addition (reversed strings, least significant digit first) ----
type AddR<A extends string, B extends string, C extends '0' | '1' = '0', Acc extends string = ''> = A extends ''
  ? B extends ''
    ? C extends '1'
      ? `${Acc}1`
      : Acc
    : AddStep<A, B, C, Acc>
  : AddStep<A, B, C, Acc>;
type AddStep<
  A extends string,
  B extends string,
  C extends '0' | '1',
  Acc extends string,
> = AddTable[C][Head<A>][Head<B>] extends `${infer NC extends '0' | '1'}${infer Dg}` ? AddR<Tail<A>, Tail<B>, NC, `${Acc}${Dg}`> : never;
export type AddS<A extends string, B extends string> = Reverse<AddR<Reverse<A>, Reverse<B>>>;

// ---- subtraction: 'neg' when B > A ----
type SubR<A extends string, B extends string, Br extends '0' | '1' = '0', Acc extends string = ''> = A extends ''
  ? B extends ''
    ? Br extends '1'
      ? 'neg'
      : Acc
    : 'neg'
  : SubTable[Br][Head<A>][Head<B>] extends `${infer NB extends '0' | '1'}${infer Dg}`
    ? SubR<Tail<A>, Tail<B>, NB, `${Acc}${Dg}`>
    : never;
export type SubS<A extends string, B extends string> =
  SubR<Reverse<A>, Reverse<B>> extends infer R extends string ? (R extends 'neg' ? 'neg' : StripZeros<Reverse<R>>) : never;

// ---- comparison of normalised strings ----
type LenCmp<A extends string, B extends string> = A extends `${string}${infer AT}`
  ? B extends `${string}${infer BT}`
    ? LenCmp<AT, BT>
    : 'g'
  : B extends ''
    ? 'e'
    : 'l';
type LexCmp<A extends string, B extends string> = A extends `${infer a extends Digit}${infer AT}`
  ? B extends `${infer b extends Digit}${infer BT}`
    ? DigitCmp[a][b] extends 'e'
      ? LexCmp<AT, BT>
      : DigitCmp[a][b]
    : 'g'
  : 'e';
export type CmpS<A extends string, B extends string> = LenCmp<A, B> extends 'e' ? LexCmp<A, B> : LenCmp<A, B>;

// ---- multiplication ----
type MulDigitR<A extends string, D extends Digit, C extends Digit = '0', Acc extends string = ''> = A extends ''
  ? C extends '0'
    ? Acc
    : `${Acc}${C}`
  : MulTable[Head<A>][D] extends infer P extends string
    ? AddTable['0'][Lo<P>][C] extends infer L extends string
      ? MulDigitR<Tail<A>, D, Lo<AddTable['0'][Hi<P>][Hi<L>]>, `${Acc}${Lo<L>}`>
      : never
    : never;
type MulR<A extends string, B extends string, Shift extends string = '', Acc extends string = '0'> = B extends `${infer b extends Digit}${infer BT}`
  ? MulR<A, BT, `${Shift}0`, AddR<Acc, `${Shift}${MulDigitR<A, b>}`>>
  : Acc;
export type MulS<A extends string, B extends string> = StripZeros<Reverse<MulR<Reverse<A>, Reverse<B>>>>;

// ---- floor division and remainder (long division, most significant first) ----
type Inc = { '0': '1'; '1': '2'; '2': '3'; '3': '4'; '4': '5'; '5': '6'; '6': '7'; '7': '8'; '8': '9'; '9': '9' };
type CountSub<R extends string, B extends string, Q extends Digit = '0'> = CmpS<R, B> extends 'l' ? [Q, R] : CountSub<SubS<R, B> & string, B, Inc[Q]>;
type DivLoop<A extends string, B extends string, R extends string = '0', Q extends string = ''> = A extends `${infer a}${infer AT}`
  ? CountSub<StripZeros<`${R}${a}`>, B> extends [infer q extends string, infer r extends string]
    ? DivLoop<AT, B, r, `${Q}${q}`>
    : never
  : [StripZeros<Q>, R];

// ---- public, on number literals ----
export type Add<A extends number, B extends number> =
  IsLiteral<A> extends true ? (IsLiteral<B> extends true ? ToNum<AddS<Digits<A>, Digits<B>>> : number) : number;
/** A − B, or the string 'neg' when the result would be negative. */
export type Sub<A extends number, B extends number> =
  IsLiteral<A> extends true
    ? IsLiteral<B> extends true
      ? SubS<Digits<A>, Digits<B>> extends infer R extends string
        ? R extends 'neg'
          ? 'neg'
          : ToNum<R>
        : never
      : number
    : number;
export type Mul<A extends number, B extends number> =
  IsLiteral<A> extends true ? (IsLiteral<B> extends true ? ToNum<MulS<Digits<A>, Digits<B>>> : number) : number;
/** ⌊A / B⌋; 'div0' for B = 0. */
export type FloorDiv<A extends number, B extends number> = B extends 0
  ? 'div0'
  : IsLiteral<A> extends true
    ? IsLiteral<B> extends true
      ? ToNum<DivLoop<Digits<A>, Digits<B>>[0]>
      : number
    : number;
export type Mod<A extends number, B extends number> = B extends 0
  ? 'div0'
  : IsLiteral<A> extends true
    ? IsLiteral<B> extends true
      ? ToNum<DivLoop<Digits<A>, Digits<B>>[1]>
      : number
    : number;
/** 'l' | 'e' | 'g' for literals, 'unknown' otherwise. */
export type Cmp<A extends number, B extends number> =
  IsLiteral<A> extends true ? (IsLiteral<B> extends true ? CmpS<Digits<A>, Digits<B>> : 'unknown') : 'unknown';

/** Product of a tuple of number literals (1 for the empty tuple). */
export type Product<T extends readonly number[], Acc extends number = 1> = T extends readonly [infer H extends number, ...infer R extends readonly number[]]
  ? Product<R, Mul<Acc, H>>
  : Acc;
