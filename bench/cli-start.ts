// How long `oneprompt --help` takes: the built package (dist/, what an installed package runs: `npm run build`
// first) against the sources through tsx (what every start cost before the package was built, and what
// `node bin/oneprompt.mjs` still does in the repository when dist/ is stale), alternating in one run.
// Wall time of the whole process, N runs each; medians and bests. A second argument names another checkout whose
// `node bin/oneprompt.mjs --help` joins the alternation (e.g. the tree before the package was built).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const N = Number(process.argv[2] ?? 9);
if (!existsSync('dist/.built')) {
  console.error('cli-start: no dist/ (run `npm run build` first)');
  process.exit(2);
}
const other = process.argv[3];
const time = (env: Record<string, string>, cwd = '.'): number => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/oneprompt.mjs', '--help'], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes('segment')) throw new Error(`--help failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};
const built: number[] = [];
const sources: number[] = [];
const others: number[] = [];
for (let i = 0; i < N; i++) {
  built.push(time({ ONEPROMPT_FROM_SOURCES: '0' }));
  sources.push(time({ ONEPROMPT_FROM_SOURCES: '1' }));
  if (other) others.push(time({}, other));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]) => Math.min(...xs);
console.log(`oneprompt --help, ${N} runs each, alternating (wall time of the process):`);
console.log(`  sources through tsx   median ${median(sources).toFixed(2)} s, best ${best(sources).toFixed(2)} s`);
console.log(`  built package (dist)  median ${median(built).toFixed(2)} s, best ${best(built).toFixed(2)} s`);
console.log(`  ratio of medians      ${(median(sources) / median(built)).toFixed(1)}×`);
if (other)
  console.log(
    `  ${other}: median ${median(others).toFixed(2)} s, best ${best(others).toFixed(2)} s (${(median(others) / median(built)).toFixed(1)}× the built package's median)`,
  );
