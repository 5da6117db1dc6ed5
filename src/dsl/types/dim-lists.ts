// Type-level comparisons and text of whole dim lists, for rules that relate several shapes.
import type { Dim, DimsAgree, Shape } from './shape.js';

/** Same length and every dim agrees (a wide dim agrees with anything; checked at build time). */
export type DimsAllAgree<A extends Shape, B extends Shape> = A extends readonly [infer a, ...infer ra extends Shape]
  ? B extends readonly [infer b, ...infer rb extends Shape]
    ? DimsAgree<a, b> extends true
      ? DimsAllAgree<ra, rb>
      : false
    : false
  : B extends readonly []
    ? true
    : false;

/** `[1, 'B', 3]` → `'1, B, 3'`, the way runtime messages print shapes inside brackets. */
export type JoinDims<S extends Shape> = S extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? R extends readonly []
    ? `${H}`
    : `${H}, ${JoinDims<R>}`
  : '';
