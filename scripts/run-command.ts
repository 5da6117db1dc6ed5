// Running the command line from the scripts: print the command, run it, stop on failure, optionally capture stdout.
import { spawnSync } from 'node:child_process';

/** `node bin/oneprompt.mjs ARGS...` as an argument list. */
export const cli = (...args: string[]): string[] => ['node', 'bin/oneprompt.mjs', ...args];

/** Run a command (printed first, on stderr); throws when it fails; returns stdout when `capture`. */
export function run(cmd: string[], capture = false): string {
  console.error(`$ ${cmd.join(' ')}`);
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`'${cmd.join(' ')}' exited with ${r.status}`);
  return r.stdout ?? '';
}
