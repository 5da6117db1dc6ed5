// Multi-head attention on tfjs-wasm (the training backend): our kernel against the alternatives it was
// chosen over, forward and forward+backward, printed as times, GFLOP/s and ratios to our kernel.
//   npx tsx bench/attention-tfjs.ts [variant name filter]   (ROUNDS=3: medians over interleaved rounds)
import type * as tfjs from '@tensorflow/tfjs';
import { useBackend } from '../src/train/tfjs/backend.js';
import { tfjsKernels } from '../src/train/tfjs/kernels.js';
import { attentionOp } from '../src/dsl/ops/attention.js';

const { tf } = await useBackend('wasm');
type T = tfjs.Tensor;
type Attention = (q: T, k: T, v: T, heads: number) => T;

/** (b, n, w) → (b·H, n, w/H). */
const splitHeads = (x: T, heads: number) => {
  const [b, n, w] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [b, n, heads, w / heads]), [0, 2, 1, 3]), [b * heads, n, w / heads]) as tfjs.Tensor3D;
};
const mergeHeads = (o: T, b: number, heads: number) => {
  const [, n, w] = o.shape;
  return tf.reshape(tf.transpose(tf.reshape(o, [b, heads, n, w]), [0, 2, 1, 3]), [b, n, heads * w]);
};
const scaleOf = (q: T, heads: number) => 1 / Math.sqrt(q.shape[2]! / heads);

const variants: Record<string, Attention> = {
  /** The textbook form: one batched matMul with a transposed operand, then another; tfjs autodiff. */
  'batched tf.matMul (transposeB)': (q, k, v, heads) => {
    const s = tf.matMul(splitHeads(tf.mul(q, scaleOf(q, heads)), heads), splitHeads(k, heads), false, true);
    return mergeHeads(tf.matMul(tf.softmax(s), splitHeads(v, heads)), q.shape[0], heads);
  },
  /** Batched, with k transposed explicitly (no transposed operand). */
  'batched tf.matMul (kᵀ explicit)': (q, k, v, heads) => {
    const kt = tf.transpose(splitHeads(k, heads), [0, 2, 1]) as tfjs.Tensor3D;
    const s = tf.matMul(splitHeads(tf.mul(q, scaleOf(q, heads)), heads), kt);
    return mergeHeads(tf.matMul(tf.softmax(s), splitHeads(v, heads)), q.shape[0], heads);
  },
  /** Per (batch, head) plain 2-D tf.matMul; tfjs's own gradient (transposed products). */
  'per-head 2-D tf.matMul': (q, k, v, heads) => {
    const qs = tf.unstack(splitHeads(tf.mul(q, scaleOf(q, heads)), heads));
    const kts = tf.unstack(tf.transpose(splitHeads(k, heads), [0, 2, 1]));
    const vs = tf.unstack(splitHeads(v, heads));
    const outs = qs.map((qi, i) => tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(qi as tfjs.Tensor2D, kts[i] as tfjs.Tensor2D)), vs[i] as tfjs.Tensor2D)));
    return mergeHeads(tf.stack(outs), q.shape[0], heads);
  },
  /** Ours: per-head 2-D matMuls whose gradients are plain 2-D matMuls too (src/dsl/ops/attention.ts). */
  'oneprompt kernel': (q, k, v, heads) => attentionOp.tfjs(tf, [q, k, v], { heads }, undefined as never, tfjsKernels(tf))[0],
};

/** Milliseconds of one run (its tensors read back, then freed). */
function once(f: () => T | T[]): number {
  const t0 = performance.now();
  tf.tidy(() => {
    const r = f();
    for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
  });
  return performance.now() - t0;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Rounds interleave the variants, so that load from other processes drifting over time hits all alike. */
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const configs = [
  { name: 'self, 1024 tokens', b: 2, nq: 1024, nk: 1024, d: 256, heads: 8 },
  { name: 'cross, 4096 → 256 tokens', b: 1, nq: 4096, nk: 256, d: 256, heads: 8 },
  { name: 'self, 256 tokens, 1 head', b: 4, nq: 256, nk: 256, d: 128, heads: 1 },
];
const only = process.argv[2];

console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
for (const c of configs) {
  const q = tf.randomNormal([c.b, c.nq, c.d]);
  const k = tf.randomNormal([c.b, c.nk, c.d]);
  const v = tf.randomNormal([c.b, c.nk, c.d]);
  const flop = 2 * 2 * c.b * c.nq * c.nk * c.d; // q·kᵀ and p·v
  const reference = variants['batched tf.matMul (transposeB)'](q, k, v, c.heads);
  console.log(`\n${c.name}: q [${q.shape}], k/v [${k.shape}], ${c.heads} heads; ${(flop / 1e9).toFixed(2)} GFLOP forward`);
  const chosen = Object.entries(variants).filter(([name]) => !only || name.includes(only) || name === 'oneprompt kernel');
  const runs = chosen.map(([name, f]) => {
    const grads = tf.grads((a: T, b: T, d: T) => tf.sum(f(a, b, d, c.heads)));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(f(q, k, v, c.heads), reference))).dataSync()[0]);
    once(() => f(q, k, v, c.heads)); // warm-up
    return { name, fwd: () => once(() => f(q, k, v, c.heads)), both: () => once(() => grads([q, k, v])), diff, fwdMs: [] as number[], bothMs: [] as number[] };
  });
  for (let r = 0; r < ROUNDS; r++)
    for (const run of runs) {
      run.fwdMs.push(run.fwd());
      run.bothMs.push(run.both());
    }
  const rows = runs.map((r) => ({ name: r.name, fwd: median(r.fwdMs), both: median(r.bothMs), diff: r.diff }));
  const ours = rows.find((r) => r.name === 'oneprompt kernel');
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(32)} forward ${r.fwd.toFixed(1).padStart(8)} ms (${(flop / r.fwd / 1e6).toFixed(1).padStart(5)} GFLOP/s, ${ours ? (r.fwd / ours.fwd).toFixed(2) : '-'}× ours)` +
        `   fwd+bwd ${r.both.toFixed(1).padStart(8)} ms (${ours ? (r.both / ours.both).toFixed(2) : '-'}× ours)   max |Δ| vs textbook ${r.diff.toExponential(1)}`,
    );
  tf.dispose([q, k, v, reference]);
}
