// Child process for outputs.test.ts: one OutputRun that writes `files` new outputs into DIR and kills itself with
// SIGKILL at the K-th rename (fs.renameSync patched before the module loads), or finishes when K is past the end.
// Usage: tsx output-run-kill.ts DIR K TAG FILE...
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [dir, k, tag, ...files] = process.argv.slice(2);
const realRename = fs.renameSync;
let renames = 0;
fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
  if (++renames > Number(k)) process.kill(process.pid, 'SIGKILL');
  return realRename(from, to);
}) as typeof fs.renameSync;
syncBuiltinESMExports();

const { OutputRun } = await import('../../src/util/output-run.js');
const run = new OutputRun({ dir, manifest: 'run.json', command: 'test-run' });
run.checkTargets(files);
for (const f of files) run.write(f, `${tag} ${f}\n`);
run.commit({ tag });
