// How far a mean over tasks could move with another draw of tasks: the percentile bootstrap (Efron & Tibshirani
// 1993, ch. 13). Resample the tasks with replacement, take each resample's mean, and read the 2.5th and 97.5th
// percentiles. Seeded, so the same scores give the same interval. `eval` puts it on its means, `compare` on the
// task-by-task differences of two reports.
import { mulberry32 } from '../../util/rng.js';

export interface BootstrapOptions {
  /** Resamples (default 10 000; at least 100). */
  readonly resamples?: number;
  /** Seed of the resampling (default 0). */
  readonly seed?: number;
}

export const DEFAULT_RESAMPLES = 10_000;

/** Why `resamples` cannot be used (fewer than 100 give percentiles of a handful of means), or undefined. */
export const resamplesError = (resamples: number): string | undefined =>
  Number.isInteger(resamples) && resamples >= 100 ? undefined : `resamples must be an integer ≥ 100, got ${resamples}`;

/** The 95 % percentile-bootstrap interval [low, high] of the mean of `values` (at least one value). */
export function bootstrapMeanInterval(values: readonly number[], o: BootstrapOptions = {}): readonly [number, number] {
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const bad = resamplesError(resamples);
  if (bad) throw new RangeError(`bootstrap: ${bad}`);
  const n = values.length;
  if (n === 0) throw new RangeError('bootstrap: no values');
  const rand = mulberry32(o.seed ?? 0);
  const means = Float64Array.from({ length: resamples }, () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(rand() * n)];
    return sum / n;
  }).sort();
  const at = (q: number) => means[Math.round(q * (resamples - 1))];
  return [at(0.025), at(0.975)];
}
