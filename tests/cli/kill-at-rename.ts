// For child processes of kill tests: SIGKILL this process at its K-th fs.renameSync (the step that makes a write
// visible), so a test can stop a command at every step of writing its files. Call before importing the code under
// test: the patched function is synced into node:fs's ES module exports.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export function killAtRename(k: number): void {
  const realRename = fs.renameSync;
  let renames = 0;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    if (++renames > k) process.kill(process.pid, 'SIGKILL');
    return realRename(from, to);
  }) as typeof fs.renameSync;
  syncBuiltinESMExports();
}
