// Learning-rate schedules: linear warm-up, then cosine decay to a floor.

/** Learning rate for a 0-based step. */
export type LrSchedule = (step: number) => number;

export interface WarmupCosine {
  /** Peak learning rate, reached at the end of warm-up. */
  readonly lr: number;
  readonly totalSteps: number;
  /** Steps of linear warm-up from lr/warmupSteps (default: 5% of totalSteps, at least 1 when totalSteps > 1). */
  readonly warmupSteps?: number;
  /** The rate the cosine ends at, as a fraction of lr (default 0.01). */
  readonly minFactor?: number;
}

export function warmupCosine(s: WarmupCosine): LrSchedule {
  if (!(s.lr > 0)) throw new Error(`warmupCosine: lr must be positive, got ${s.lr}`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new Error(`warmupCosine: totalSteps must be a positive integer, got ${s.totalSteps}`);
  const warm = s.warmupSteps ?? (s.totalSteps > 1 ? Math.max(1, Math.round(0.05 * s.totalSteps)) : 0);
  if (!Number.isInteger(warm) || warm < 0 || warm > s.totalSteps)
    throw new Error(`warmupCosine: warmupSteps must be an integer in [0, ${s.totalSteps}], got ${warm}`);
  const floor = s.lr * (s.minFactor ?? 0.01);
  const decaySteps = s.totalSteps - warm;
  return (step) => {
    if (step < warm) return (s.lr * (step + 1)) / warm;
    if (decaySteps <= 1) return s.lr;
    const progress = Math.min(1, (step - warm) / (decaySteps - 1));
    return floor + 0.5 * (s.lr - floor) * (1 + Math.cos(Math.PI * progress));
  };
}

export const constantLr =
  (lr: number): LrSchedule =>
  () =>
    lr;
