// Child process for hostile-compile.test.ts: `compile --config tiny --seed SEED --out OUT [--split]`, killed with
// SIGKILL at the K-th rename (fs.renameSync patched before the modules load), or finished when K is past the end.
// Usage: tsx compile-kill.ts OUT SEED K [split]
import { killAtRename } from './kill-at-rename.js';

const [out, seed, k, split] = process.argv.slice(2);
killAtRename(Number(k));

const { compileOnePrompt } = await import('../../graphs/oneprompt/compile.js');
compileOnePrompt({ config: 'tiny', seed: Number(seed), out, split: split === 'split' });
