import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as runtime from '../../src/runtime/index.js';
import * as compile from '../../src/compile/index.js';
import * as testing from '../../src/testing/index.js';
import * as train from '../../src/train/index.js';
import * as model from '../../graphs/oneprompt/index.js';
import * as inference from '../../src/app/inference/index.js';
import * as cli from '../../src/app/cli/index.js';

const functions = (m: object, names: string[]) => names.filter((n) => typeof (m as Record<string, unknown>)[n] !== 'function');

describe('public API (the package entries of package.json "exports")', () => {
  it('the main entry (browser-safe) exports the DSL, build, emission and the float16 pass', () => {
    expect(
      functions(api, ['input', 'build', 'matmul', 'conv2d', 'attention', 'linear', 'ParamStore', 'emit', 'emitChunks', 'summariseModel', 'toFloat16']),
    ).toEqual([]);
  });

  it('the subpath entries export the runtime, the compile step, the property helper, training, the model, inference and the CLI', () => {
    expect(functions(runtime, ['Model', 'hostTensor', 'profileFlops', 'tritonClient'])).toEqual([]);
    expect(functions(compile, ['saveModel', 'compileGraphs', 'writeTritonRepository'])).toEqual([]);
    expect(functions(testing, ['checkShapes', 'randomFeeds', 'checkParity'])).toEqual([]);
    expect(functions(train, ['runTrainingJob', 'registerTask', 'gradients', 'useBackend', 'TfjsExecutor'])).toEqual([]);
    expect(functions(model, ['buildOnePrompt', 'buildOnePromptPair', 'compileOnePrompt', 'geometryFromInputs', 'pairContract'])).toEqual([]);
    expect(functions(inference, ['loadSegmenter', 'oneFileModelSegmenter', 'pairModelSegmenter', 'segmentQueries', 'decodePairs'])).toEqual([]);
    expect(functions(cli, ['main', 'buildProgram'])).toEqual([]);
  });
});
