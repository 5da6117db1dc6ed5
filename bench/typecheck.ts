// Type-check time of a 300-op graph file (bench/fixtures/graph300.ts) against a baseline with the same imports
// and no ops, both with tsc (TypeScript 7, native) --extendedDiagnostics, median of several runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env.RUNS ?? 5);
const tsc = resolve('node_modules/.bin/tsc');

function check(file: string): { wall: number; check: number; instantiations: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tc-'));
  const cfg = join(dir, 'tsconfig.json');
  writeFileSync(cfg, JSON.stringify({ extends: resolve('tsconfig.json'), include: [resolve(file)], compilerOptions: { noEmit: true, typeRoots: [resolve('node_modules/@types')] } }));
  try {
    const t0 = performance.now();
    const out = execFileSync(tsc, ['-p', cfg, '--extendedDiagnostics'], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    const num = (label: string) => Number(new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(out)?.[1] ?? NaN);
    return { wall, check: num('Check time'), instantiations: num('Instantiations') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { graph: [] as ReturnType<typeof check>[], base: [] as ReturnType<typeof check>[] };
for (let i = 0; i < RUNS; i++) {
  runs.base.push(check('bench/fixtures/baseline.ts'));
  runs.graph.push(check('bench/fixtures/graph300.ts'));
}
const m = (k: 'graph' | 'base', f: 'wall' | 'check' | 'instantiations') => median(runs[k].map((r) => r[f]));
console.log(`type-check of a 300-op graph file (tsc 7, median of ${RUNS}):`);
console.log(`  whole run:      ${m('graph', 'wall').toFixed(2)} s  (baseline with no ops ${m('base', 'wall').toFixed(2)} s)`);
console.log(`  check phase:    ${m('graph', 'check').toFixed(2)} s  (baseline ${m('base', 'check').toFixed(2)} s) → the 300 ops add ${(m('graph', 'check') - m('base', 'check')).toFixed(2)} s`);
console.log(`  instantiations: ${m('graph', 'instantiations')}  (baseline ${m('base', 'instantiations')})`);
