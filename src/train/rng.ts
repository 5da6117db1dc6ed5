// The data-order generator: small, seedable, and with a state that fits in a checkpoint,
// so a resumed run draws exactly the batches the uninterrupted run would have drawn.
import { mulberry32Advance, mulberry32Value } from '../util/rng.js';

export class DataRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** The whole state: one uint32 (mulberry32). */
  get state(): number {
    return this.s;
  }
  static fromState(state: number): DataRng {
    return new DataRng(state);
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = mulberry32Advance(this.s);
    return mulberry32Value(this.s);
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** One element chosen uniformly. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('DataRng.pick: empty list');
    return xs[this.int(xs.length)];
  }
  /** A fresh Fisher–Yates permutation of 0..n−1. */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}
