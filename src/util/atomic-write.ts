// Nothing half-written on disk: write a temp file beside the target, flush it, then rename over. A temp file left by a
// killed process (its pid no longer running) is removed by the next write of the same target, and every failure
// names the file it was writing (ENOSPC, EROFS, EACCES...).
import { appendFileSync, closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { clipName } from './clip-name.js';
import { fsReason } from './safe-read.js';
import { isProcessAlive } from './process-alive.js';
import { makeDirs } from './make-dirs.js';

/** A file that could not be written; the message names it and says why in words ("no space left on the device (ENOSPC)"). */
export class FileWriteError extends Error {
  override name = 'FileWriteError';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot write ${clipName(file)}: ${reason}`);
  }
}

export const asFileWriteError = (e: unknown, path: string): FileWriteError =>
  e instanceof FileWriteError ? e : new FileWriteError(path, fsReason(e), (e as NodeJS.ErrnoException)?.code);

const TMP = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;
const tempName = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);

/** Remove temp files of `path` that a killed process left (its pid is not running). */
function removeOrphanTemps(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const n of names) {
    const m = TMP.exec(n);
    if (m && m[1] === basename(path) && Number(m[2]) !== process.pid && !isProcessAlive(Number(m[2]))) rmSync(join(dirname(path), n), { force: true });
  }
}

function mkdirFor(path: string): void {
  try {
    makeDirs(dirname(path));
  } catch (e) {
    throw asFileWriteError(e, (e as NodeJS.ErrnoException).path ?? dirname(path));
  }
}

/** Write `data` to a new temp file beside `path`, flushed to disk; returns the temp file's path. */
function writeTemp(path: string, data: Uint8Array | string | readonly Uint8Array[]): string {
  mkdirFor(path);
  const tmp = tempName(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const parts = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const part of parts) {
      let off = 0;
      while (off < part.byteLength) off += writeSync(fd, part, off, part.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    return tmp;
  } catch (e) {
    if (fd !== undefined)
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    rmSync(tmp, { force: true });
    throw asFileWriteError(e, path);
  }
}

function renameInto(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw asFileWriteError(e, path);
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): void {
  const tmp = writeTemp(path, data);
  renameInto(tmp, path);
  removeOrphanTemps(path);
}

/**
 * Several files that belong together, one of them (`manifest`) describing the others (a model and its JSON with the
 * model's sha256), or several such manifests (a model, its encoder and decoder, each with its JSON): all are written to
 * temp files first; then the old manifests are removed, the others renamed into place, and the manifests renamed last.
 * A kill at any point leaves either the old files, or files without a manifest (the sign of an unfinished write),
 * never a manifest that describes other bytes.
 */
export function writeFilesTogether(
  files: readonly { readonly path: string; readonly data: Uint8Array | string | readonly Uint8Array[] }[],
  manifest: string | readonly string[],
): void {
  const manifests: readonly string[] = typeof manifest === 'string' ? [manifest] : manifest;
  const temps: { tmp: string; path: string }[] = [];
  try {
    for (const f of files) temps.push({ tmp: writeTemp(f.path, f.data), path: f.path });
  } catch (e) {
    for (const t of temps) rmSync(t.tmp, { force: true });
    throw e;
  }
  for (const m of manifests)
    if (existsSync(m)) {
      try {
        rmSync(m);
      } catch (e) {
        for (const t of temps) rmSync(t.tmp, { force: true });
        throw asFileWriteError(e, m);
      }
    }
  const ordered = [...temps.filter((t) => !manifests.includes(t.path)), ...temps.filter((t) => manifests.includes(t.path))];
  for (let i = 0; i < ordered.length; i++) {
    try {
      renameInto(ordered[i].tmp, ordered[i].path);
    } catch (e) {
      for (const t of ordered.slice(i + 1)) rmSync(t.tmp, { force: true });
      throw e;
    }
  }
  for (const f of files) removeOrphanTemps(f.path);
}

/** Append to a log file; a failure (ENOSPC, EROFS) names the file. */
export function appendToFile(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (e) {
    throw asFileWriteError(e, path);
  }
}
