// The One-Prompt configurations: compile time and peak memory, ONNX size, parameters, ONNX Runtime forward time
// per image on 2 threads, achieved GFLOP/s against this machine's measured FMA peak.
// Targets (issue 3): base compiles in < 10 s with < 3 GB peak; its forward reaches ≥ 40% of peak FLOP/s.
// CONFIGS=tiny,small to skip base (a base forward takes about a minute on 2 cores).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configs, type ConfigName } from '../graphs/oneprompt/config.js';
import { Model } from '../src/runtime/session.js';
import { randomModelInputs } from '../graphs/oneprompt/random-inputs.js';
import { measureFmaPeak } from './lib/peak.js';
import { profileFlops } from '../src/runtime/profile-flops.js';

const names = (process.env.CONFIGS ?? 'tiny,small,base').split(',') as ConfigName[];
const dir = mkdtempSync(join(tmpdir(), 'bench-model-'));
const peak = measureFmaPeak(2);
console.log(`FMA peak (2 threads): ${peak.gflops.toFixed(1)} GFLOP/s${peak.measured ? '' : ' (reference figure, not measured)'}`);
console.log('config  compile   peak RSS   ONNX size   params    FLOP/img   forward/img   GFLOP/s  % of peak');
try {
  for (const name of names) {
    const out = join(dir, `${name}.onnx`);
    const c = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/lib/compile-child.ts', name, out], { encoding: 'utf8' }).trim().split('\n').pop()!,
    );
    const bytes = new Uint8Array(readFileSync(out));
    const flops = Object.values(await profileFlops(bytes, { B: 1 })).reduce((a, x) => a + x.flops, 0);
    const model = await Model.load(bytes, { threads: 2 });
    const feeds = randomModelInputs(configs[name], 1, 1);
    await model.run(feeds); // warm-up
    const reps = name === 'tiny' ? 20 : name === 'small' ? 5 : 1;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await model.run(feeds);
    const secs = (performance.now() - t0) / 1000 / reps;
    await model.release();
    const gflops = flops / secs / 1e9;
    console.log(
      `${name.padEnd(6)} ${c.secs.toFixed(2).padStart(6)} s ${c.maxRssMiB.toFixed(0).padStart(6)} MiB ${(c.bytes / 2 ** 20).toFixed(1).padStart(8)} MiB ${(c.parameters / 1e6).toFixed(2).padStart(7)} M ${(flops / 1e9).toFixed(2).padStart(8)} G ${(secs * 1000).toFixed(1).padStart(10)} ms ${gflops.toFixed(1).padStart(8)} ${((100 * gflops) / peak.gflops).toFixed(0).padStart(8)}%`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
