// Child process for hostile-compile.test.ts: `compile --config tiny --seed SEED --out OUT`, killed with SIGKILL at the
// K-th rename (fs.renameSync patched before the modules load), or finished when K is past the end.
// Usage: tsx compile-kill.ts OUT SEED K
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [out, seed, k] = process.argv.slice(2);
const realRename = fs.renameSync;
let renames = 0;
fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
  if (++renames > Number(k)) process.kill(process.pid, 'SIGKILL');
  return realRename(from, to);
}) as typeof fs.renameSync;
syncBuiltinESMExports();

const { compileOnePrompt } = await import('../../graphs/oneprompt/compile.js');
compileOnePrompt({ config: 'tiny', seed: Number(seed), out });
