// The tfjs backend's fast paths as the ops' tfjs kernel entries receive them (TfjsKernels, src/dsl/graph.ts): the
// convolutions of conv.ts and the plain 2-D matMul of matmul2d.ts, bound to one tfjs instance.
import type { TF, TfjsKernels } from '../../dsl/graph.js';
import { convNHWC, convTransposeNHWC } from './conv.js';
import { matMul2d } from './matmul2d.js';

const byTf = new WeakMap<TF, TfjsKernels>();

/** The kernels for `tf` (made once per tfjs instance). */
export function tfjsKernels(tf: TF): TfjsKernels {
  let k = byTf.get(tf);
  if (!k) {
    k = {
      conv: (x, w, g) => convNHWC(tf, x, w, g),
      convTranspose: (y, w, g, size) => convTransposeNHWC(tf, y, w, g, size),
      matMul2d: (a, b) => matMul2d(tf, a, b),
    };
    byTf.set(tf, k);
  }
  return k;
}
