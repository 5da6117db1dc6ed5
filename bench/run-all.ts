// Runs every benchmark in turn (each in its own process, so one's memory does not skew the next).
// Benchmarks print measurements; none asserts a time. Pass names to run a subset: npm run bench -- typecheck emit-100m
import { spawnSync } from 'node:child_process';

const all: Record<string, string> = {
  typecheck: 'bench/typecheck.ts',
  'emit-100m': 'bench/emit-100m.ts',
  'ort-throughput': 'bench/ort-throughput.ts',
  model: 'bench/model.ts',
  train: 'bench/train.ts',
  'attention-tfjs': 'bench/attention-tfjs.ts',
  'conv-tfjs': 'bench/conv-tfjs.ts',
  'prompt-reuse': 'bench/prompt-reuse.ts',
  bombs: 'bench/bombs.ts',
  'cli-start': 'bench/cli-start.ts',
};
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
for (const name of chosen) {
  const file = all[name];
  if (!file) {
    console.error(`unknown benchmark '${name}' (choose from ${Object.keys(all).join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== ${name} (${file}) ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) console.error(`${name}: exited with ${r.status}`);
}
