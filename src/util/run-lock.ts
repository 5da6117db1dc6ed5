// One process at a time in a run folder. Two `train` runs on the same --out both "succeeded" and mixed their files
// (interleaved loss.jsonl, run.json of one, weights of the other). The lock is a file created with O_EXCL holding the
// owner's pid, host and process start time; a second run refuses with a message naming the owner. A lock whose
// process is gone (kill -9, a crash, a reboot: the pid is not running, or is running but started at another time,
// i.e. was reused) is stale and taken over, with a note. Node-only.
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from './make-dirs.js';
import { isProcessAlive, processStartTime } from './process-alive.js';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  /** /proc start time of the pid, to tell a reused pid from the owner. */
  readonly startTime?: string;
  readonly command: string;
}

export class RunLockError extends Error {
  override name = 'RunLockError';
}

export interface RunLock {
  readonly path: string;
  /** A stale lock that was taken over (its owner's pid), for a note. */
  readonly tookOverFrom?: number;
  release(): void;
}

export const LOCK_FILE = 'train.lock';

/** Locks this process holds (a second run in the same process is refused too). */
const held = new Set<string>();

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

const isOwnerAlive = (l: LockInfo): boolean =>
  isProcessAlive(l.pid) && (l.startTime === undefined || processStartTime(l.pid) === undefined || processStartTime(l.pid) === l.startTime);

/**
 * Create `path` holding `text`, atomically: false when it already exists. Where the file system has no hard links,
 * falls back to O_EXCL create-then-write (a reader can then see it empty for a moment).
 */
function createWhole(path: string, text: string): boolean {
  const staged = `${path}.${process.pid}.staged`;
  writeFileSync(staged, text);
  try {
    linkSync(staged, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  } finally {
    rmSync(staged, { force: true });
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Take the lock of `dir` (created if missing) for `command`; throws RunLockError when another live process holds it. */
export function acquireRunLock(dir: string, command: string, file = LOCK_FILE): RunLock {
  makeDirs(dir);
  const path = join(dir, file);
  if (held.has(path)) throw new RunLockError(`${dir} is in use by another ${command} run in this process; wait for it to finish or choose another --out`);
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), startTime: processStartTime(process.pid), command };
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!createWhole(path, JSON.stringify(me) + '\n')) {
      const owner = readLock(path);
      if (owner && owner.host !== me.host) {
        throw new RunLockError(
          `${dir} is locked by ${owner.command} (pid ${owner.pid}) on host ${owner.host} since ${owner.started}; if that run is over, delete ${path}`,
        );
      }
      if (owner && owner.pid !== process.pid && isOwnerAlive(owner)) {
        throw new RunLockError(
          `${dir} is in use by another \`oneprompt ${owner.command}\` (pid ${owner.pid}, started ${owner.started}); wait for it to finish or choose another --out`,
        );
      }
      // Stale (its process is gone) or unreadable (damaged, or left by the create-then-write fallback): take it over.
      // Not guarded: two runs taking over the same stale lock at the same instant can both succeed.
      tookOverFrom = owner?.pid;
      rmSync(path, { force: true });
      continue;
    }
    held.add(path);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.delete(path);
      process.off('exit', release);
      if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
    };
    process.on('exit', release);
    return { path, ...(tookOverFrom !== undefined ? { tookOverFrom } : {}), release };
  }
  throw new RunLockError(`${dir}: could not take ${path} (another process keeps creating it)`);
}
