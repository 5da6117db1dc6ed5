// The loaders' Either results in tests: `right` unwraps a value (throwing the formatted error, as the CLI shows
// it), `message` the formatted error of a result that must have failed.
import * as E from 'fp-ts/lib/Either.js';
import { formatDataError, orThrow, type DataError } from '../../src/app/data/errors.js';

export const right = orThrow;

export const message = (r: E.Either<DataError, unknown>): string => {
  if (E.isRight(r)) throw new Error('expected an error');
  return formatDataError(r.left);
};
