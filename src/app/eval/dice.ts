// Dice overlap in percent, and mean ± std over runs. Browser-safe.
import type { Mask } from '../data/image.js';

/** Foreground counts of two masks of one size and of their intersection (non-zero = foreground). */
export function overlapCounts(a: Mask, b: Mask, what: string): { readonly inter: number; readonly a: number; readonly b: number } {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`${what}: masks are ${a.width}×${a.height} and ${b.width}×${b.height}`);
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] ? 1 : 0;
    const y = b.data[i] ? 1 : 0;
    inter += x & y;
    na += x;
    nb += y;
  }
  return { inter, a: na, b: nb };
}

/**
 * Dice = 2|A ∩ B| / (|A| + |B|) × 100. Two empty masks agree perfectly (100): predicting "nothing" for an image
 * without the structure is right.
 */
export function dice(prediction: Mask, target: Mask): number {
  if (prediction.width !== target.width || prediction.height !== target.height) {
    throw new RangeError(`dice: prediction is ${prediction.width}×${prediction.height}, target is ${target.width}×${target.height}`);
  }
  const { inter, a, b } = overlapCounts(prediction, target, 'dice');
  return a + b === 0 ? 100 : (200 * inter) / (a + b);
}

export interface MeanStd {
  readonly mean: number;
  /** Population standard deviation (over the runs we have, not an estimate for more). */
  readonly std: number;
  readonly n: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance), n };
}

/** "81.3 ± 4.2" */
export const formatMeanStd = (m: MeanStd, digits = 1): string => `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;
