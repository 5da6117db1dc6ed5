// A JSON file read the safe way (src/util/safe-read.ts: a regular file, up to MAX_JSON_BYTES) and parsed with the
// position of any syntax error (src/util/json.ts). Dataset listings, templates files and eval reports read this way.
import * as E from 'fp-ts/lib/Either.js';
import { parseJson, type Json } from '../../util/json.js';
import { asFileReadError, MAX_JSON_BYTES, readRegularText } from '../../util/safe-read.js';
import { dataError, type DataError } from './errors.js';

/** The JSON value in `path`; `what` names the kind of file in a refusal ("a templates file"). */
export function readJsonFile(path: string, what: string): E.Either<DataError, Json> {
  let text: string;
  try {
    text = readRegularText(path, MAX_JSON_BYTES, what);
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  }
  const json = parseJson(text);
  return E.isLeft(json)
    ? E.left(dataError(path, `malformed JSON: ${json.left.message}`, `line ${json.left.line}, column ${json.left.column}, offset ${json.left.offset}`))
    : json;
}
