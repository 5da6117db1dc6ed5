// Reading a prompt JSON file and, for SegLab, its mask (relative to the prompt file's folder); or a prompt given
// inline on the command line (`--prompt '{"type": "click", ...}'`, its SegLab mask relative to the working folder).
// Node-only.
import { dirname, isAbsolute, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { clipName, dataError, type DataError } from './errors.js';
import { asFileReadError, MAX_JSON_BYTES, readRegularText } from '../../util/safe-read.js';
import { readMask } from './load.js';
import { parsePromptSpec, validatePrompt, type ImageSize, type Prompt, type PromptSpec } from './prompt.js';

/** A spec's SegLab mask path, resolved against `baseDir` (the folder of the file that names it). */
export const resolveMaskPath = (maskPath: string, baseDir: string): string => (isAbsolute(maskPath) ? maskPath : resolve(baseDir, maskPath));

/** Validate a spec against a template size, reading a SegLab mask from `baseDir` when needed. */
export function resolvePrompt(spec: PromptSpec, size: ImageSize, source: string, baseDir: string): E.Either<DataError, Prompt> {
  if (spec.type !== 'seglab') return validatePrompt(spec, size, source);
  const path = resolveMaskPath(spec.mask, baseDir);
  return pipe(
    readMask(path),
    E.mapLeft((e) => dataError(source, `SegLab mask ${clipName(spec.mask)}: ${e.where ? `${e.message} (${e.where})` : e.message}`, 'mask')),
    E.chain((mask) => validatePrompt(spec, size, source, mask)),
  );
}

/** A prompt's JSON text, parsed and checked against the template; `source` names it in errors. */
const promptFromText = (text: string, templateSize: ImageSize, source: string, baseDir: string): E.Either<DataError, Prompt> =>
  pipe(
    parsePromptSpec(text, source),
    E.chain((spec) => resolvePrompt(spec, templateSize, source, baseDir)),
  );

export function readPromptFile(path: string, templateSize: ImageSize): E.Either<DataError, Prompt> {
  let text: string;
  try {
    text = readRegularText(path, MAX_JSON_BYTES, 'a prompt file');
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  }
  return promptFromText(text, templateSize, path, dirname(path));
}

/** Where an inline prompt's errors point: the option it came from. */
export const INLINE_PROMPT_SOURCE = '--prompt (inline JSON)';

/** A `--prompt` value: the prompt's JSON itself when it starts with "{", else the path of a prompt file. */
export function readPromptArg(value: string, templateSize: ImageSize): E.Either<DataError, Prompt> {
  return value.trimStart().startsWith('{') ? promptFromText(value, templateSize, INLINE_PROMPT_SOURCE, process.cwd()) : readPromptFile(value, templateSize);
}
