// ONNX Runtime throughput of a 1024³ matmul and a 3×3 conv, as a fraction of this machine's measured FMA peak.
import { build, input, matmul, conv2d } from '../src/dsl/index.js';
import { emit } from '../src/onnx/emit.js';
import { Model, hostTensor } from '../src/runtime/session.js';
import { measureFmaPeak } from './lib/peak.js';

const threads = Number(process.env.THREADS ?? 2);

async function gflops(name: string, bytes: Uint8Array, feeds: Record<string, ReturnType<typeof hostTensor>>, flop: number, reps = 10) {
  const m = await Model.load(bytes, { threads });
  await m.run(feeds); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await m.run(feeds);
  const secs = (performance.now() - t0) / 1000 / reps;
  await m.release();
  return { name, secs, gflops: flop / secs / 1e9 };
}

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const peak = measureFmaPeak(threads);

const N = 1024;
const a = input('a', [N, N]);
const b = input('b', [N, N]);
const mm = await gflops(
  'matmul 1024³',
  emit(build({ inputs: { a, b }, outputs: { c: matmul(a, b) } })),
  { a: hostTensor(rand(N * N), [N, N]), b: hostTensor(rand(N * N), [N, N]) },
  2 * N ** 3,
);

const [C, H, O] = [256, 64, 256];
const x = input('x', [1, C, H, H]);
const w = input('w', [O, C, 3, 3]);
const cv = await gflops(
  `conv 3×3, ${C}→${O} channels, ${H}×${H}`,
  emit(build({ inputs: { x, w }, outputs: { y: conv2d(x, w, undefined, { padding: 1 }) } })),
  { x: hostTensor(rand(C * H * H), [1, C, H, H]), w: hostTensor(rand(O * C * 9), [O, C, 3, 3]) },
  2 * O * H * H * C * 9,
);

console.log(
  `FMA peak (fp32, ${peak.threads} threads, ${peak.simdWidth}-wide): ${peak.gflops.toFixed(1)} GFLOP/s ${peak.measured ? '(measured now)' : '(not measured: no C compiler; reference figure)'}`,
);
for (const r of [mm, cv])
  console.log(
    `${r.name.padEnd(36)} ${(r.secs * 1000).toFixed(1).padStart(7)} ms  ${r.gflops.toFixed(1).padStart(6)} GFLOP/s  ${((100 * r.gflops) / peak.gflops).toFixed(0).padStart(3)}% of peak`,
  );
