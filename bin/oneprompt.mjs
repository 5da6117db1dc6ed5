#!/usr/bin/env node
// The `oneprompt` command. Runs the TypeScript sources through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
// `oneprompt inspect m.onnx | head`: a closed pipe ends the output quietly, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/app/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
