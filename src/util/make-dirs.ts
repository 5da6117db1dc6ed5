// `mkdir -p` that reports the real reason and never spins: Node 20's mkdirSync(..., { recursive: true }) loops forever
// where mkdir(2) answers ENOENT for a path whose parent exists (inside /proc), and on a read-only file system it
// reports ENOENT instead of EROFS. Creating the missing folders one by one from the nearest existing one gives
// mkdir(2)'s own answer for the folder that failed. Node-only.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Create `dir` and any missing parents; throws the system error of the folder that could not be made. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', path: p });
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue; // made by someone else meanwhile
      throw e;
    }
  }
}
