// Request target → path segments, or a refusal. The static server maps segments onto its roots only after this
// check, so nothing outside a root can be named: `..` and `.` segments, encoded separators (%2f, %5c), NUL and
// control characters, backslashes, malformed or double percent-encoding and hidden names (.git, .env) are all
// refused here, before any file system call. Pure (no I/O).
import * as E from 'fp-ts/lib/Either.js';

export interface PathRefusal {
  /** 400 malformed, 403 traversal or hidden name, 414 too long. */
  readonly status: 400 | 403 | 414;
  readonly reason: string;
}

/** Longest request target (path and query) accepted. */
export const DEFAULT_MAX_URL_BYTES = 2048;

const refuse = (status: PathRefusal['status'], reason: string): E.Either<PathRefusal, never> => E.left({ status, reason });

// Control characters (including NUL and DEL) never name a file we serve.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Split a raw request target (`req.url`) into decoded path segments. The last segment is '' for a path ending in
 * '/' (the root is ['']). The query string and fragment are ignored.
 */
export function requestSegments(rawUrl: string, maxUrlBytes = DEFAULT_MAX_URL_BYTES): E.Either<PathRefusal, readonly string[]> {
  if (Buffer.byteLength(rawUrl, 'utf8') > maxUrlBytes) return refuse(414, `request target longer than ${maxUrlBytes} bytes`);
  if (!rawUrl.startsWith('/')) return refuse(400, 'request target must be an absolute path');
  const raw = rawUrl.split(/[?#]/, 1)[0];
  if (raw.includes('\\')) return refuse(400, 'backslash in path');
  if (CONTROL.test(raw)) return refuse(400, 'control character in path');
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return refuse(400, 'malformed percent-encoding');
  // An encoded separator or NUL would survive the split below as part of one segment: refuse it outright.
  if (/%(2f|5c|00)/i.test(raw)) return refuse(400, 'encoded separator or NUL in path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return refuse(400, 'percent-encoding is not valid UTF-8');
  }
  // What is left with a '%' was encoded twice (%252e → %2e): a second decoder further on would see '..'.
  if (decoded.includes('%')) return refuse(400, 'double percent-encoding');
  if (decoded.includes('\\')) return refuse(400, 'backslash in path');
  if (CONTROL.test(decoded)) return refuse(400, 'control character in path');
  const segments = decoded.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s === '' && i < segments.length - 1) return refuse(400, 'empty path segment');
    if (s === '.' || s === '..') return refuse(403, 'path traversal');
    if (s.startsWith('.')) return refuse(403, 'hidden file');
  }
  return E.right(segments);
}
