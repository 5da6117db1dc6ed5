// NaN and ±Inf voxels (common in float NIfTI: masked-out regions, divisions by zero in derived maps). Left in, one
// NaN makes every min–max normalisation NaN (an empty mask on every slice) and one Inf squeezes its slice to zero.
// They are replaced where an image is loaded, NaN by 0 (the convention of FSL and most viewers) and ±Inf by the
// largest/smallest finite value, and counted so that the CLI can say how many. Browser-safe.

/** Replace non-finite values in place; returns how many there were. */
export function replaceNonFinite(data: Float32Array): number {
  let count = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0)
      count++; // NaN or ±Inf
    else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (count === 0) return 0;
  if (lo > hi) lo = hi = 0; // nothing finite at all
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) data[i] = v === Infinity ? hi : v === -Infinity ? lo : 0;
  }
  return count;
}

/** The warning the CLI prints for a file with replaced values. */
export const nonFiniteWarning = (file: string, count: number, total: number): string =>
  `warning: ${file}: ${count} of ${total} values are NaN or ±Inf; read NaN as 0 and ±Inf as the largest/smallest finite value`;
