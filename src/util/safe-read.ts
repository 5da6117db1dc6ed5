// Reading only what is a regular file, and only up to a size. A prompt file is meant to be shared, and what it names
// is read: "/dev/zero" as a SegLab mask grew memory without bound, and a FIFO as --query or as a sample set's
// templates.json blocked the process (and its signal handlers) forever. So: open without blocking (O_NONBLOCK: a
// FIFO's open returns at once instead of waiting for a writer), fstat the open descriptor (no race with a rename),
// refuse anything that is not a regular file with a message naming the file and what it is, refuse files over the
// cap before reading a byte, and read at most the size fstat saw. Node-only.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { clipName } from './clip-name.js';

/** A file that cannot or may not be read; the message names it. `code` is the system error code, if any. */
export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(
    readonly file: string,
    /** What is wrong, without the file name (for messages that put the name first themselves). */
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`${clipName(file)}: ${reason}`);
  }
}

const KIND: [(s: Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'is a folder, expected a file'],
  [(s) => s.isFIFO(), 'is a named pipe (FIFO), not a regular file; refusing to read it (it could block forever)'],
  [(s) => s.isCharacterDevice(), 'is a character device, not a regular file; refusing to read it'],
  [(s) => s.isBlockDevice(), 'is a block device, not a regular file; refusing to read it'],
  [(s) => s.isSocket(), 'is a socket, not a regular file; refusing to read it'],
];

/** Why a regular file is wanted and this is something else, or undefined for a regular file. */
export const notRegularReason = (s: Stats): string | undefined => (s.isFile() ? undefined : (KIND.find(([is]) => is(s))?.[1] ?? 'is not a regular file'));

const WORDS: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the name is too long for the file system',
  ELOOP: 'too many levels of symbolic links (a link loop?)',
  EMFILE: 'too many open files',
  EEXIST: 'already exists',
  EIO: 'input/output error (a failing disk or network file system?)',
  EFBIG: 'the file is too large for the file system',
  EBUSY: 'the file is busy',
  ENXIO: 'no such device (a FIFO or socket without a peer?)',
};

/** A system error as words with its code ("permission denied (EACCES)"), without the path. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code && WORDS[err.code]) return `${WORDS[err.code]} (${err.code})`;
  const message = err instanceof Error ? err.message : String(e);
  // Node's own messages end with the path in quotes; the caller names the file itself.
  return message.replace(/, \w+ '.*'$/s, '');
}

/** The reason a missing file is missing: a dangling symbolic link says where it points. */
function missingReason(path: string): string {
  try {
    if (lstatSync(path).isSymbolicLink()) return `is a symbolic link to ${clipName(readlinkSync(path))}, which does not exist (a dangling link)`;
  } catch {
    /* not there at all */
  }
  return 'file not found';
}

/** Turn any error from opening or reading `path` into a FileReadError naming it. */
export function asFileReadError(e: unknown, path: string): FileReadError {
  if (e instanceof FileReadError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  return new FileReadError(path, code === 'ENOENT' ? missingReason(path) : fsReason(e), code);
}

export interface OpenedFile {
  readonly fd: number;
  readonly size: number;
}

/** Open a regular file for reading, without blocking on FIFOs; throws FileReadError for anything else. */
export function openRegularFile(path: string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw asFileReadError(e, path);
  }
  try {
    const st = fstatSync(fd);
    const why = notRegularReason(st);
    if (why) throw new FileReadError(path, why);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw asFileReadError(e, path);
  }
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1)} MiB`;

/**
 * The bytes of a regular file of at most `maxBytes` bytes. `what` names the kind of file for the refusal ("a prompt
 * file"). Throws FileReadError naming the file.
 */
export function readRegularFile(path: string, maxBytes: number, what = 'this kind of file'): Uint8Array {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > maxBytes) throw new FileReadError(path, `is ${mib(size)} (${size} bytes), more than the ${mib(maxBytes)} allowed for ${what}`);
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, out, at, size - at, null);
      if (n === 0) break; // shrank while we read: what is there is what we have
      at += n;
    }
    return at === size ? out : out.subarray(0, at);
  } catch (e) {
    throw asFileReadError(e, path);
  } finally {
    closeSync(fd);
  }
}

/** A text file (UTF-8) read with readRegularFile. */
export const readRegularText = (path: string, maxBytes: number, what?: string): string =>
  new TextDecoder('utf-8').decode(readRegularFile(path, maxBytes, what));

/** Chunks of an open file, for streaming parsers (the first `first` bytes, if given, come first). */
export function fileChunks(file: OpenedFile, chunkBytes = 1 << 16): () => Uint8Array | undefined {
  let position = 0;
  const buf = new Uint8Array(chunkBytes);
  return () => {
    const n = readSync(file.fd, buf, 0, buf.length, position);
    if (n === 0) return undefined;
    position += n;
    return buf.subarray(0, n);
  };
}

/** Largest prompt or listing JSON file read (a prompt with thousands of doodle points is well under 1 MiB). */
export const MAX_JSON_BYTES = 16 * 2 ** 20;
