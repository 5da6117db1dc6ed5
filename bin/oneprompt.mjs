#!/usr/bin/env node
// The `oneprompt` command. An installed package runs its built JavaScript (dist/). In the repository (src/ beside
// this folder) the TypeScript sources run through tsx instead whenever dist/ is absent or older than any source file,
// so `node bin/oneprompt.mjs` never runs stale code; `npm run build` makes it start fast again.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const built = `${root}dist/src/app/cli/main.js`;

/** The newest modification time under `path` (a file or a folder), 0 when absent. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(`${path}/${name}`)), s.mtimeMs);
}

function fromSources() {
  if (!existsSync(`${root}src`)) return false;
  // For comparisons (bench/cli-start.ts): the sources whatever the state of dist/.
  if (process.env.ONEPROMPT_FROM_SOURCES === '1') return true;
  if (!existsSync(`${root}dist/.built`)) return true;
  const sources = ['src', 'graphs', 'web', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newest(`${root}${p}`));
  return Math.max(...sources) > statSync(`${root}dist/.built`).mtimeMs;
}

// `oneprompt inspect m.onnx | head`: a closed pipe ends the output quietly, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
let main;
if (fromSources()) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/app/cli/main.ts'));
} else ({ main } = await import(built));
const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
