import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
function time(name: string, f: () => tf.Tensor | tf.Tensor[]) {
  const run = () => { const r = f(); const rs = Array.isArray(r) ? r : [r]; rs.forEach(t => t.dataSync()); rs.forEach(t => t.dispose()); };
  run();
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 2000 || n < 2) { run(); n++; }
  const dt = (performance.now() - t0) / n;
  console.log(name.padEnd(28), dt.toFixed(1), 'ms');
  return dt;
}
const mm2d = tf.customGrad((a: tf.Tensor, b: tf.Tensor, save: any) => {
  save([a, b]);
  return { value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb) as tf.Tensor2D), tf.matMul(tf.transpose(sa) as tf.Tensor2D, dy as tf.Tensor2D)] };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const [Bt, N, D, H] = [2, 1024, 256, 8];
const dh = D / H, scale = 1 / Math.sqrt(dh);
type Att = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;
const split = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [Bt, -1, H, dh]), [0, 2, 1, 3]); // [B,H,N,dh]
const merge = (o: tf.Tensor) => tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [Bt, -1, D]);
const naive: Att = (q, k, v) => {
  const qs = tf.reshape(split(tf.mul(q, scale)), [Bt * H, -1, dh]), ks = tf.reshape(split(k), [Bt * H, -1, dh]), vs = tf.reshape(split(v), [Bt * H, -1, dh]);
  const p = tf.softmax(tf.matMul(qs as tf.Tensor3D, ks as tf.Tensor3D, false, true));
  return merge(tf.reshape(tf.matMul(p as tf.Tensor3D, vs as tf.Tensor3D), [Bt, H, -1, dh]));
};
const mk = (mm: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, tidy: boolean): Att => (q, k, v) => {
  const qs = tf.unstack(tf.reshape(split(tf.mul(q, scale)), [Bt * H, -1, dh]));
  const kt = tf.unstack(tf.reshape(tf.transpose(tf.reshape(k, [Bt, -1, H, dh]), [0, 2, 3, 1]), [Bt * H, dh, -1]));
  const vs = tf.unstack(tf.reshape(split(v), [Bt * H, -1, dh]));
  const outs = qs.map((qi, i) => { const f = () => mm(tf.softmax(mm(qi, kt[i])), vs[i]); return tidy ? tf.tidy(f) : f(); });
  return merge(tf.reshape(tf.stack(outs), [Bt, H, -1, dh]));
};
const slices: Att = (q, k, v) => {
  const out: tf.Tensor[] = [];
  for (let b = 0; b < Bt; b++) {
    const q2 = tf.reshape(tf.slice(tf.mul(q, scale), [b, 0, 0], [1, -1, -1]), [-1, D]);
    const kT = tf.transpose(tf.reshape(tf.slice(k, [b, 0, 0], [1, -1, -1]), [-1, D]));
    const v2 = tf.reshape(tf.slice(v, [b, 0, 0], [1, -1, -1]), [-1, D]);
    const heads: tf.Tensor[] = [];
    for (let h = 0; h < H; h++) heads.push(mm2d(tf.softmax(mm2d(tf.slice(q2, [0, h * dh], [-1, dh]), tf.slice(kT, [h * dh, 0], [dh, -1]))), tf.slice(v2, [0, h * dh], [-1, dh])));
    out.push(tf.concat(heads, 1));
  }
  return tf.stack(out);
};
const q = tf.randomNormal([Bt, N, D]), k = tf.randomNormal([Bt, N, D]), v = tf.randomNormal([Bt, N, D]);
const ref = naive(q, k, v);
const variants: Record<string, Att> = { naive, unstack_plain: mk((a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), true), unstack_mm2d: mk(mm2d, false), slices };
for (const [name, f] of Object.entries(variants)) {
  const d = tf.max(tf.abs(tf.sub(f(q, k, v), ref))).dataSync()[0];
  time(`${name} fwd (maxdiff ${d.toExponential(1)})`, () => f(q, k, v));
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), f === naive ? 1 : 1)));
  time(`${name} fwd+bwd`, () => tf.tidy(() => g([q, k, v])));
}
