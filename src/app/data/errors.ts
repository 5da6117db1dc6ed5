// Loading errors that say what is wrong and where (file, byte offset or tag), carried in fp-ts Either.
// Browser-safe: no node imports.
import * as E from 'fp-ts/lib/Either.js';
import { clipName } from '../../util/clip-name.js';

export { clipName };

export interface DataError {
  /** The file (or prompt, or dataset folder) the problem is in. */
  readonly file: string;
  /** Where inside it: "offset 344", "tag (0028,0010)", "points[2]", "line 3, column 7"... */
  readonly where?: string;
  readonly message: string;
}

export const dataError = (file: string, message: string, where?: string): DataError => (where === undefined ? { file, message } : { file, where, message });

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
