// Plain TypeScript references for value checks: row-major arrays, no cleverness.
export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/** NumPy-broadcast element-wise op. */
export function broadcastBinary(
  a: ArrayLike<number>,
  as: readonly number[],
  b: ArrayLike<number>,
  bs: readonly number[],
  f: (x: number, y: number) => number,
): { data: Float64Array; shape: number[] } {
  const n = Math.max(as.length, bs.length);
  const pa = [...Array(n - as.length).fill(1), ...as];
  const pb = [...Array(n - bs.length).fill(1), ...bs];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = stridesOf(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = stridesOf(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const out = new Float64Array(prod(shape));
  const idx = new Array(n).fill(0);
  for (let k = 0; k < out.length; k++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < n; d++) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    out[k] = f(a[ia], b[ib]);
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape };
}

/** Batched matmul with broadcasting over batch dims, in float64. */
export function matmulRef(a: ArrayLike<number>, as: readonly number[], b: ArrayLike<number>, bs: readonly number[]): { data: Float64Array; shape: number[] } {
  const [n, k] = as.slice(-2);
  const m = bs[bs.length - 1];
  const ab = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...Array(r - ab.length).fill(1), ...ab];
  const pb = [...Array(r - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = stridesOf(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = stridesOf(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const nb = prod(batch);
  const out = new Float64Array(nb * n * m);
  const idx = new Array(r).fill(0);
  for (let t = 0; t < nb; t++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < r; d++) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    oa *= n * k;
    ob *= k * m;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[oa + i * k + q] * b[ob + q * m + j];
        out[t * n * m + i * m + j] = s;
      }
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: [...batch, n, m] };
}
