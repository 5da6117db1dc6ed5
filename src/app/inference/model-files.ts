// Which files a `--model NAME.onnx` stands for: the encoder/decoder pair beside it (NAME.encoder.onnx and
// NAME.decoder.onnx, written by `compile --split`) when there is one compiled with this very NAME.onnx, else the
// one-file model. A pair compiled with another NAME.onnx (the model recompiled since, without --split) would give
// another model's masks: it is passed over with a note saying so. `--model NAME.encoder.onnx` (or .decoder.onnx)
// asks for the pair itself.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { summariseModel, type ModelSummary } from '../../onnx/inspect.js';
import { MAX_ONNX_BYTES } from '../../onnx/proto.js';
import { asFileReadError, readRegularFile } from '../../util/safe-read.js';
import { pairFiles, PAIR_OF_KEY } from '../../../graphs/oneprompt/contract.js';

/** A model file's bytes: only a regular file, at most 2 GiB; errors name it ("no such model file 'X'", "model X: is a folder…"). */
export function readModelFile(file: string): Uint8Array {
  try {
    return readRegularFile(file, MAX_ONNX_BYTES, 'an ONNX model (the protobuf limit)');
  } catch (e) {
    const err = asFileReadError(e, file);
    throw new Error(err.reason === 'file not found' ? `no such model file '${file}'` : `model ${err.message}`);
  }
}

export interface PairFile {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly summary: ModelSummary;
}

export interface ModelFiles {
  /** The one-file model (absent when only the pair was asked for, or only the pair exists). */
  readonly oneFile?: string;
  /** The pair to use, read and summarised. */
  readonly pair?: { readonly encoder: PairFile; readonly decoder: PairFile };
  /** Why a pair beside the model is not used (for a one-line warning). */
  readonly note?: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function readPart(file: string): PairFile {
  const bytes = readModelFile(file);
  let summary: ModelSummary;
  try {
    summary = summariseModel(bytes);
  } catch (e) {
    throw new Error(`${file}: not a readable ONNX model (${(e as Error).message})`);
  }
  return { file, bytes, summary };
}

/**
 * The files for `--model FILE`. `use`: 'auto' takes a matching pair when there is one, 'one-file' never, 'pair'
 * requires one. Errors name the files.
 */
export function modelFiles(file: string, use: 'auto' | 'one-file' | 'pair' = 'auto'): ModelFiles {
  const half = /\.(encoder|decoder)\.onnx$/.exec(file);
  const oneFile = half ? file.slice(0, half.index) + '.onnx' : file;
  const asked = half ? 'pair' : use;
  const { encoder, decoder } = pairFiles(oneFile);
  const haveOne = existsSync(oneFile);
  const haveEncoder = existsSync(encoder);
  const haveDecoder = existsSync(decoder);
  // The one-file model is read (and any error about it given, by name) by whoever loads it.
  if (asked === 'one-file' || (asked === 'auto' && !haveEncoder && !haveDecoder)) return { oneFile };
  if (!haveEncoder || !haveDecoder) {
    const what = `${haveEncoder ? encoder : decoder} has no ${haveEncoder ? decoder : encoder} beside it`;
    if (asked === 'pair')
      throw new Error(!haveEncoder && !haveDecoder ? `no encoder/decoder pair for '${oneFile}' (${encoder}, ${decoder}; compile with --split)` : what);
    if (!haveOne) throw new Error(`no such model file '${oneFile}' (${what})`);
    return { oneFile, note: `${what}: using ${oneFile}` };
  }
  const pair = { encoder: readPart(encoder), decoder: readPart(decoder) };
  const ofEncoder = pair.encoder.summary.metadata[PAIR_OF_KEY];
  const ofDecoder = pair.decoder.summary.metadata[PAIR_OF_KEY];
  const mismatch =
    ofEncoder !== ofDecoder
      ? `${encoder} and ${decoder} were compiled from different models`
      : haveOne && ofEncoder !== sha256(readModelFile(oneFile))
        ? `${encoder} and ${decoder} were compiled with another ${oneFile} (recompile it with --split)`
        : undefined;
  if (mismatch) {
    if (asked === 'pair' || !haveOne) throw new Error(mismatch);
    return { oneFile, note: `${mismatch}: using ${oneFile}` };
  }
  return { oneFile: haveOne ? oneFile : undefined, pair };
}
