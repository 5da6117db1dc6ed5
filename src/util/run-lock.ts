// One process at a time in a run folder. Two `train` runs on the same --out both "succeeded" and mixed their files
// (interleaved loss.jsonl, run.json of one, weights of the other). The lock is a file holding the owner's pid, host
// and process start time; a second run refuses with a message naming the owner. It is published whole: written under
// a private name, then hard-linked into place (a link fails when the lock exists), so no reader sees it empty (created
// with O_EXCL and then written, it was empty for a moment, and a second run looking then took it for torn and took
// it over from a live owner). A lock whose process is gone (kill -9, a crash, a reboot: the pid is not running, or
// is running but started at another time, i.e. was reused) is stale and taken over, with a note: one process at a
// time, holding a second lock file (`<lock>.takeover`), replaces it with its own lock in one rename, so two runs
// finding the same stale lock cannot both win, and the folder is never without a lock in between. Node-only.
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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

/** The lock's text, or undefined when there is none. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseLock(text: string | undefined): LockInfo | undefined {
  try {
    const v = JSON.parse(text ?? '') as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

const readLock = (path: string): LockInfo | undefined => parseLock(readText(path));

const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const isOwnerAlive = (l: LockInfo): boolean =>
  isProcessAlive(l.pid) && (l.startTime === undefined || processStartTime(l.pid) === undefined || processStartTime(l.pid) === l.startTime);

/** `text` written beside `path` under this process's own name, ready to be linked or renamed into place. */
function writeStaged(path: string, text: string): string {
  const staged = `${path}.${process.pid}.staged`;
  writeFileSync(staged, text);
  return staged;
}

/**
 * Create `path` holding `text`, atomically: false when it already exists. Where the file system has no hard links,
 * falls back to O_EXCL create-then-write (a reader can then see it empty for a moment).
 */
function createWhole(path: string, text: string): boolean {
  const staged = writeStaged(path, text);
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

/**
 * Replace the stale lock at `path`, whose text was `staleText`, with `text` in one rename, if it is still that one,
 * holding `<path>.takeover` while doing so. 'changed': it is no longer the stale lock (look again); 'busy': another
 * live process is taking it over (wait, then look again).
 */
function replaceStale(path: string, staleText: string, text: string): 'taken' | 'changed' | 'busy' {
  const guard = `${path}.takeover`;
  if (!createWhole(guard, text)) {
    const guardText = readText(guard);
    const holder = parseLock(guardText);
    // Gone already, or a live holder: wait. Left by a process that died while taking over: remove it, if unchanged.
    if (guardText === undefined || (holder && isOwnerAlive(holder))) return 'busy';
    if (readText(guard) === guardText) rmSync(guard, { force: true });
    return 'changed';
  }
  try {
    if (readText(path) !== staleText) return 'changed';
    renameSync(writeStaged(path, text), path);
    return 'taken';
  } finally {
    rmSync(guard, { force: true });
  }
}

/** Put this process's lock at `path`, taking a stale one over; throws RunLockError when a live process holds it. */
function takeLock(dir: string, path: string, me: LockInfo): { readonly tookOverFrom?: number } {
  const mine = JSON.stringify(me) + '\n';
  // Each failed round saw a lock released or changed since (looked again) or a takeover in progress (waited for).
  for (let round = 0; round < 200; round++) {
    if (createWhole(path, mine)) return {};
    const text = readText(path);
    if (text === undefined) continue; // released since: try again
    const owner = parseLock(text);
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
    const r = replaceStale(path, text, mine);
    if (r === 'taken') return owner ? { tookOverFrom: owner.pid } : {};
    if (r === 'busy') pause(10);
  }
  throw new RunLockError(`${dir}: could not take ${path} (another process keeps creating it)`);
}

/** Take the lock of `dir` (created if missing) for `command`; throws RunLockError when another live process holds it. */
export function acquireRunLock(dir: string, command: string, file = LOCK_FILE): RunLock {
  makeDirs(dir);
  const path = join(dir, file);
  if (held.has(path)) throw new RunLockError(`${dir} is in use by another ${command} run in this process; wait for it to finish or choose another --out`);
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), startTime: processStartTime(process.pid), command };
  const taken = takeLock(dir, path, me);
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
  return { path, ...taken, release };
}
