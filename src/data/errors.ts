// Loading errors that say what is wrong and where (file, byte offset or tag), carried in fp-ts Either.
// Browser-safe: no node imports.
import * as E from 'fp-ts/lib/Either.js';

export interface DataError {
  /** The file (or prompt, or dataset folder) the problem is in. */
  readonly file: string;
  /** Where inside it: "offset 344", "tag (0028,0010)", "points[2]", "line 3, column 7"... */
  readonly where?: string;
  readonly message: string;
}

export const dataError = (file: string, message: string, where?: string): DataError =>
  where === undefined ? { file, message } : { file, where, message };

/**
 * A name as messages show it: whole up to `max` characters, else its start and end with the length said (a 5 MB
 * mask name in a prompt file must not be echoed whole). Invisible characters are shown as escapes.
 */
export function clipName(name: string, max = 240): string {
  // eslint-disable-next-line no-control-regex
  const visible = name.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (visible.length <= max) return visible;
  const half = Math.floor((max - 40) / 2);
  return `${visible.slice(0, half)}…${visible.slice(-half)} (a name of ${name.length} characters)`;
}

export const formatDataError = (e: DataError): string => `${clipName(e.file)}${e.where ? ` (${clipName(e.where)})` : ''}: ${e.message}`;

/** The thrown form of a DataError, for callers that do not want Either (CLI, scripts). */
export class DataLoadError extends Error {
  constructor(readonly detail: DataError) {
    super(formatDataError(detail));
    this.name = 'DataLoadError';
  }
}

export const orThrow = <T>(result: E.Either<DataError, T>): T => {
  if (E.isLeft(result)) throw new DataLoadError(result.left);
  return result.right;
};

/**
 * Inside a binary parser, failures are thrown as ParseFailure (every bounds check would otherwise thread an Either
 * through each byte read); `parseWith` turns them into a Left at the public boundary. Anything else that escapes a
 * parser (a library's own exception on bad input) becomes a Left too, so corrupt files never crash the caller.
 */
export class ParseFailure extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(message);
  }
}

export const parseWith = <T>(file: string, parse: () => T): E.Either<DataError, T> => {
  try {
    return E.right(parse());
  } catch (e) {
    if (e instanceof ParseFailure) return E.left(dataError(file, e.message, e.where));
    if (e instanceof DataLoadError) return E.left(e.detail);
    const message = e instanceof Error ? e.message : String(e);
    return E.left(dataError(file, `cannot decode: ${message}`));
  }
};
