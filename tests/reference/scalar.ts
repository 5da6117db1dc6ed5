// Scalar references.

/** erf to ~1e-7 (Abramowitz–Stegun 7.1.26 is too coarse for 1e-5 checks; this uses a series/continued fraction). */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series, converges fast for |x| < 2.5.
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
