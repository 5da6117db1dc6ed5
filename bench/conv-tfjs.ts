// conv2d / convTranspose2d on tfjs-wasm (the training backend): our kernels (src/train/tfjs/conv.ts) against
// tfjs's own conv ops (forward only: wasm has no Conv2DBackpropFilter, so tf.conv2d cannot train there),
// printed as times, GFLOP/s and ratios to our kernel.
//   npx tsx bench/conv-tfjs.ts
import type * as tfjs from '@tensorflow/tfjs';
import { useBackend } from '../src/train/tfjs/backend.js';
import { tfjsKernels } from '../src/train/tfjs/kernels.js';
import { conv2dOp, convTranspose2dOp } from '../src/dsl/ops/conv.js';

const { tf } = await useBackend('wasm');
type T = tfjs.Tensor;

function time(f: () => T | T[], minMs = 1500, minReps = 2): number {
  const once = () =>
    tf.tidy(() => {
      const r = f();
      for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
    });
  once(); // warm-up
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || reps < minReps) {
    once();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

const nhwc = (x: T) => tf.transpose(x, [0, 2, 3, 1]) as tfjs.Tensor4D;
const nchw = (x: T) => tf.transpose(x, [0, 3, 1, 2]);
const one = [1, 1] as const;
const convAttrs = (stride: number, padding: number) => ({ stride: [stride, stride] as const, padding: [padding, padding] as const, dilation: one, groups: 1 });

const configs = [
  { name: 'conv 3×3, 64→64, 64×64', n: 2, c: 64, o: 64, h: 64, k: 3, s: 1, p: 1 },
  { name: 'conv 3×3 stride 2, 32→64, 128×128', n: 2, c: 32, o: 64, h: 128, k: 3, s: 2, p: 1 },
  { name: 'patchify 16×16 stride 16, 3→256, 512×512', n: 1, c: 3, o: 256, h: 512, k: 16, s: 16, p: 0 },
];

console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
for (const c of configs) {
  const x = tf.randomNormal([c.n, c.c, c.h, c.h]);
  const w = tf.randomNormal([c.o, c.c, c.k, c.k]);
  const oh = Math.floor((c.h + 2 * c.p - c.k) / c.s) + 1;
  const flop = 2 * c.n * c.o * oh * oh * c.c * c.k * c.k;
  const a = convAttrs(c.s, c.p);
  const ours = (xx: T, ww: T) => conv2dOp.tfjs(tf, [xx, ww], a, undefined as never, tfjsKernels(tf))[0];
  const builtin = (xx: T, ww: T) =>
    nchw(
      tf.conv2d(nhwc(xx), tf.transpose(ww, [2, 3, 1, 0]) as tfjs.Tensor4D, c.s, [
        [0, 0],
        [c.p, c.p],
        [c.p, c.p],
        [0, 0],
      ]),
    );
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours(x, w), builtin(x, w)))).dataSync()[0]);
  const fwd = time(() => ours(x, w));
  const fwdBuiltin = time(() => builtin(x, w));
  const both = time(() => tf.grads((xx: T, ww: T) => tf.sum(ours(xx, ww)))([x, w]));
  console.log(`\n${c.name}: x [${x.shape}], w [${w.shape}]; ${(flop / 1e9).toFixed(2)} GFLOP forward`);
  console.log(
    `  oneprompt kernel         forward ${fwd.toFixed(1).padStart(8)} ms (${(flop / fwd / 1e6).toFixed(1).padStart(5)} GFLOP/s)   fwd+bwd ${both.toFixed(1).padStart(8)} ms (${((3 * flop) / both / 1e6).toFixed(1)} GFLOP/s)`,
  );
  console.log(
    `  tf.conv2d (NHWC)         forward ${fwdBuiltin.toFixed(1).padStart(8)} ms (${(flop / fwdBuiltin / 1e6).toFixed(1).padStart(5)} GFLOP/s, ${(fwdBuiltin / fwd).toFixed(2)}× ours)   fwd+bwd: not on wasm   max |Δ| ${diff.toExponential(1)}`,
  );
  tf.dispose([x, w]);
}

{
  // Decoder-style upsampling: stride-2 2×2 transposed conv.
  const [n, c, o, h] = [2, 128, 64, 64];
  const x = tf.randomNormal([n, c, h, h]);
  const w = tf.randomNormal([c, o, 2, 2]);
  const flop = 2 * n * c * h * h * o * 4;
  const a = { stride: [2, 2] as const, padding: [0, 0] as const, dilation: one, outputPadding: [0, 0] as const };
  const ours = (xx: T, ww: T) => convTranspose2dOp.tfjs(tf, [xx, ww], a, undefined as never, tfjsKernels(tf))[0];
  const builtin = (xx: T, ww: T) => nchw(tf.conv2dTranspose(nhwc(xx), tf.transpose(ww, [2, 3, 1, 0]) as tfjs.Tensor4D, [n, 2 * h, 2 * h, o], 2, 'valid'));
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours(x, w), builtin(x, w)))).dataSync()[0]);
  const fwd = time(() => ours(x, w));
  const fwdBuiltin = time(() => builtin(x, w));
  const both = time(() => tf.grads((xx: T, ww: T) => tf.sum(ours(xx, ww)))([x, w]));
  console.log(`\nconvTranspose 2×2 stride 2, ${c}→${o}, ${h}×${h}: ${(flop / 1e9).toFixed(2)} GFLOP forward`);
  console.log(
    `  oneprompt kernel         forward ${fwd.toFixed(1).padStart(8)} ms (${(flop / fwd / 1e6).toFixed(1).padStart(5)} GFLOP/s)   fwd+bwd ${both.toFixed(1).padStart(8)} ms (${((3 * flop) / both / 1e6).toFixed(1)} GFLOP/s)`,
  );
  console.log(
    `  tf.conv2dTranspose       forward ${fwdBuiltin.toFixed(1).padStart(8)} ms (${(flop / fwdBuiltin / 1e6).toFixed(1).padStart(5)} GFLOP/s, ${(fwdBuiltin / fwd).toFixed(2)}× ours)   max |Δ| ${diff.toExponential(1)}`,
  );
  tf.dispose([x, w]);
}
