// Lists of axes at the type level: each normalised (negative counts from the end), none repeated.
import type { IsLiteral, NormAxis, ShapeError } from './shape.js';
import type { Includes } from './tuple.js';

/** Normalised axes, or the first ShapeError; `number[]` when an axis is not a literal (checked at build time). */
export type NormAxes<Ax extends readonly number[], R extends number, Op extends string, Acc extends number[] = []> = Ax extends readonly [
  infer H extends number,
  ...infer T extends readonly number[],
]
  ? IsLiteral<H> extends false
    ? number[]
    : NormAxis<H, R> extends infer A
      ? A extends number
        ? Includes<Acc, A> extends true
          ? ShapeError<`${Op}: axis ${H} is repeated`>
          : NormAxes<T, R, Op, [...Acc, A]>
        : ShapeError<`${Op}: axis ${H} is out of range for rank ${R}`>
      : never
  : number extends Ax['length']
    ? number[]
    : Acc;

/** One axis or a list of axes, as a list. */
export type AxisList<Ax extends number | readonly number[]> = Ax extends number ? [Ax] : Ax;
