// Type-level tuple helpers for shape rules: joining for messages, slicing, inserting.
// Ranks are small (≤ ~8), so counting with tuple lengths is cheap here (unlike dim arithmetic).
import type { Dim, Shape } from './shape.js';

/** `[1, 'B', 3]` → `'1, B, 3'`, for error messages. */
export type Join<T extends readonly unknown[], Sep extends string = ', '> = T extends readonly [infer H extends string | number, ...infer R]
  ? R extends readonly []
    ? `${H}`
    : `${H}${Sep}${Join<R, Sep>}`
  : '';

/** The first N dims. */
export type Take<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc['length'] extends N
  ? Acc
  : S extends readonly [infer H extends Dim, ...infer R extends Shape]
    ? Take<R, N, [...Acc, H]>
    : Acc;

/** All but the first N dims. */
export type Drop<S extends Shape, N extends number, C extends 1[] = []> = C['length'] extends N
  ? [...S]
  : S extends readonly [Dim, ...infer R extends Shape]
    ? Drop<R, N, [...C, 1]>
    : [];

export type Includes<T extends readonly unknown[], X> = T extends readonly [infer H, ...infer R] ? ([H] extends [X] ? true : Includes<R, X>) : false;

/** Dim I replaced by D. */
export type ReplaceAt<S extends Shape, I extends number, D extends Dim> = [...Take<S, I>, D, ...Drop<S, Inc<I>>];
/** D inserted before dim I. */
export type InsertAt<S extends Shape, I extends number, D extends Dim> = [...Take<S, I>, D, ...Drop<S, I>];

/** I + 1 for the small numbers that axes are. */
export type Inc<I extends number, C extends 1[] = []> = C['length'] extends I ? [...C, 1]['length'] : Inc<I, [...C, 1]>;
