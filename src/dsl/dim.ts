// Runtime dims: the same rules as the type level, for dims only known at build time.
import type { Dim } from './types/shape.js';

export type { Dim };
export type RuntimeShape = readonly Dim[];

export const isStatic = (d: Dim): d is number => typeof d === 'number';
export const fmtDim = (d: Dim): string => (typeof d === 'number' ? String(d) : d);
export const fmtShape = (s: RuntimeShape): string => `[${s.map(fmtDim).join(', ')}]`;
export const dimsEqual = (a: Dim, b: Dim): boolean => a === b;

export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? rank + axis : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RuleError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A shape rule failed; `apply` adds the op, the tensors and the user's source line. */
export class RuleError extends Error {}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'string' && a === b && a.endsWith('/2')) return a.slice(0, -2); // two halves (halfDim) add up
  return typeof a === 'number' && typeof b === 'number' ? a + b : `${fmtDim(a)}+${fmtDim(b)}`;
}
/** An exact half: an even number halves, a name N halves to 'N/2' (see dimAdd). */
export function dimHalf(a: Dim): Dim {
  if (typeof a === 'string') return `${a}/2`;
  if (!Number.isInteger(a) || a % 2 !== 0) throw new RuleError(`half: ${a} is odd`);
  return a / 2;
}
export function dimMul(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  return typeof a === 'number' && typeof b === 'number' ? a * b : `${fmtDim(a)}*${fmtDim(b)}`;
}

/** NumPy broadcasting of two shapes (right-aligned). */
export function broadcastShapes(a: RuntimeShape, b: RuntimeShape, op: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === 1) out.push(db);
    else if (db === 1 || da === db) out.push(da);
    else throw new RuleError(`${op}: cannot broadcast ${fmtDim(da)} with ${fmtDim(db)}`);
  }
  return out;
}

/** floor((x + 2p − d(k−1) − 1)/s) + 1; symbolic dims give the expression the type level writes. */
export function convOutDim(x: Dim, k: number, s: number, p: number, d: number, op: string): Dim {
  const c1 = 2 * p - d * (k - 1);
  if (typeof x === 'number') {
    if (x + c1 < 1) throw new RuleError(`${op}: kernel ${k} (dilation ${d}) is larger than the padded input ${x + 2 * p}`);
    return Math.floor((x + c1 - 1) / s) + 1;
  }
  if (s === 1) return c1 === 0 ? x : c1 > 0 ? `${x}+${c1}` : `${x}-${-c1}`;
  const c = c1 - 1;
  return c === 0 ? `floor(${x}/${s})+1` : c > 0 ? `floor((${x}+${c})/${s})+1` : `floor((${x}-${-c})/${s})+1`;
}

/** (x − 1)·s − 2p + d(k−1) + outputPadding + 1. */
export function convTransposeOutDim(x: Dim, k: number, s: number, p: number, d: number, outPad: number, op: string): Dim {
  if (typeof x === 'number') {
    const r = (x - 1) * s - 2 * p + d * (k - 1) + outPad + 1;
    if (r < 0) throw new RuleError(`${op}: padding ${p} is too large for input ${x}`);
    if (r === 0) throw new RuleError(`${op}: output length would be 0`);
    return r;
  }
  const c = d * (k - 1) + outPad + 1 - 2 * p - s;
  return c === 0 ? `${x}*${s}` : c > 0 ? `${x}*${s}+${c}` : `${x}*${s}-${-c}`;
}

/** Evaluate a dim (number, name or expression written by the rules above) under bindings of the names. */
export function evalDim(d: Dim, bindings: Readonly<Record<string, number>>): number {
  if (typeof d === 'number') return d;
  if (d in bindings) return bindings[d];
  const src = d.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) => {
    if (name === 'floor') return 'Math.floor';
    if (!(name in bindings)) throw new Error(`evalDim: no value bound for symbolic dim '${name}' in '${d}'`);
    return `(${bindings[name]})`;
  });
  if (!/^[0-9+\-*/(). Mathflor]*$/.test(src)) throw new Error(`evalDim: cannot evaluate '${d}'`);
  return Function(`return (${src});`)() as number;
}

export const evalShape = (s: RuntimeShape, bindings: Readonly<Record<string, number>>): number[] => s.map((d) => evalDim(d, bindings));

/**
 * Two spellings of one dim ('H*1' and 'H', 'H-2+2' and 'H') are the same dim when they agree under a few
 * bindings of their names (the rules above write expressions without simplifying them).
 */
export function sameDim(a: Dim, b: Dim): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return false;
  const names = [...new Set(`${a} ${b}`.match(/[A-Za-z_][A-Za-z0-9_]*/g)?.filter((n) => n !== 'floor') ?? [])];
  try {
    return [3, 7, 64].every((k) => {
      const bindings = Object.fromEntries(names.map((n, i) => [n, k * (i + 2) + i]));
      return evalDim(a, bindings) === evalDim(b, bindings);
    });
  } catch {
    return false;
  }
}
