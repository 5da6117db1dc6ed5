// Child process for outputs.test.ts: one OutputRun that writes `files` new outputs into DIR and kills itself with
// SIGKILL at the K-th rename (fs.renameSync patched before the module loads), or finishes when K is past the end.
// Usage: tsx output-run-kill.ts DIR K TAG FILE...
import { killAtRename } from './kill-at-rename.js';

const [dir, k, tag, ...files] = process.argv.slice(2);
killAtRename(Number(k));

const { OutputRun } = await import('../../src/util/output-run.js');
const run = new OutputRun({ dir, manifest: 'run.json', command: 'test-run' });
run.checkTargets(files);
for (const f of files) run.write(f, `${tag} ${f}\n`);
run.commit({ tag });
