// Dice overlap in percent, and mean ± std over runs. Browser-safe.
import type { Mask } from '../data/image.js';

/**
 * Dice = 2|A ∩ B| / (|A| + |B|) × 100. Two empty masks agree perfectly (100): predicting "nothing" for an image
 * without the structure is right.
 */
export function dice(prediction: Mask, target: Mask): number {
  if (prediction.width !== target.width || prediction.height !== target.height) {
    throw new RangeError(`dice: prediction is ${prediction.width}×${prediction.height}, target is ${target.width}×${target.height}`);
  }
  let inter = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < target.data.length; i++) {
    const p = prediction.data[i] ? 1 : 0;
    const t = target.data[i] ? 1 : 0;
    inter += p & t;
    a += p;
    b += t;
  }
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
