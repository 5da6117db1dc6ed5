// Type-check time, with tsc (TypeScript 7, native) --extendedDiagnostics, median of several runs:
//   - the whole project (tsconfig.json: src, graphs, tests, bench, scripts, web), as `npm run typecheck` checks it;
//   - the model files alone (graphs/**, with the DSL they import): the One-Prompt model, every configuration's
//     entry point and the example variant;
//   - a 300-op graph file (bench/fixtures/graph300.ts) against a baseline with the same imports and no ops.
// Also reports whether any run hit TS2589 ("excessively deep"), the failure of type-level arithmetic.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env.RUNS ?? 5);
const tsc = resolve('node_modules/.bin/tsc');

interface Run {
  wall: number;
  check: number;
  instantiations: number;
  files: number;
  deep: boolean;
}

function check(include: string[], project?: string): Run {
  const dir = mkdtempSync(join(tmpdir(), 'tc-'));
  const cfg = project ?? join(dir, 'tsconfig.json');
  if (!project)
    writeFileSync(
      cfg,
      JSON.stringify({
        extends: resolve('tsconfig.json'),
        include: include.map((f) => resolve(f)),
        compilerOptions: { noEmit: true, typeRoots: [resolve('node_modules/@types')] },
      }),
    );
  try {
    const t0 = performance.now();
    let out: string;
    try {
      out = execFileSync(tsc, ['-p', cfg, '--noEmit', '--extendedDiagnostics'], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? '');
      if (!/Check time/.test(out)) throw e;
    }
    const wall = (performance.now() - t0) / 1000;
    const num = (label: string) => Number(new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(out)?.[1] ?? NaN);
    return { wall, check: num('Check time'), instantiations: num('Instantiations'), files: num('Files'), deep: /TS2589/.test(out) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = {
  project: () => check([], resolve('tsconfig.json')),
  model: () => check(['graphs/**/*.ts']),
  base: () => check(['bench/fixtures/baseline.ts']),
  graph: () => check(['bench/fixtures/graph300.ts']),
};
const runs: Record<keyof typeof cases, Run[]> = { project: [], model: [], base: [], graph: [] };
for (let i = 0; i < RUNS; i++) for (const k of Object.keys(cases) as (keyof typeof cases)[]) runs[k].push(cases[k]());

const m = (k: keyof typeof cases, f: 'wall' | 'check' | 'instantiations' | 'files') => median(runs[k].map((r) => r[f]));
const deep = Object.values(runs).some((rs) => rs.some((r) => r.deep));
console.log(`type-check with tsc 7 (median of ${RUNS} runs; wall includes starting tsc):`);
console.log(
  `  whole project:      ${m('project', 'wall').toFixed(2)} s wall, ${m('project', 'check').toFixed(2)} s check, ${m('project', 'instantiations')} instantiations, ${m('project', 'files')} files`,
);
console.log(
  `  model files alone:  ${m('model', 'wall').toFixed(2)} s wall, ${m('model', 'check').toFixed(2)} s check, ${m('model', 'instantiations')} instantiations (graphs/** and the DSL they import)`,
);
console.log(
  `  300-op graph file:  ${m('graph', 'check').toFixed(2)} s check (baseline with no ops ${m('base', 'check').toFixed(2)} s) → the 300 ops add ${(m('graph', 'check') - m('base', 'check')).toFixed(2)} s; ${m('graph', 'instantiations')} instantiations (baseline ${m('base', 'instantiations')})`,
);
console.log(`  TS2589 (excessively deep): ${deep ? 'YES' : 'none'}`);
