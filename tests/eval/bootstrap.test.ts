// The percentile bootstrap of a mean over tasks (src/app/eval/bootstrap.ts): equal values give a point, a spread
// gives an interval about as wide as 1.96 standard errors each side, and the same seed gives the same interval.
import { describe, expect, it } from 'vitest';
import { bootstrapMeanInterval } from '../../src/app/eval/bootstrap.js';

describe('bootstrapMeanInterval', () => {
  it('equal values: the interval is the value', () => {
    expect(bootstrapMeanInterval([4, 4, 4])).toEqual([4, 4]);
  });

  it('a spread: about ±1.96 standard errors around the mean, the same for the same seed', () => {
    const values = Array.from({ length: 80 }, (_, i) => (i % 2 ? 10 : -10)); // mean 0, sd 10, standard error 10/√80 ≈ 1.12
    const [lo, hi] = bootstrapMeanInterval(values, { seed: 5 });
    expect(lo).toBeLessThan(0);
    expect(hi).toBeGreaterThan(0);
    expect(hi - lo).toBeGreaterThan(2 * 1.96 * 1.12 * 0.85);
    expect(hi - lo).toBeLessThan(2 * 1.96 * 1.12 * 1.15);
    expect(bootstrapMeanInterval(values, { seed: 5 })).toEqual([lo, hi]);
  });

  it('refuses no values and too few resamples', () => {
    expect(() => bootstrapMeanInterval([])).toThrow('bootstrap: no values');
    expect(() => bootstrapMeanInterval([1], { resamples: 10 })).toThrow('resamples must be an integer ≥ 100, got 10');
  });
});
