import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/train/tfjs/backend.js';
import type { TF } from '../../src/dsl/graph.js';
import { shapeOpCases } from './shape-ops.cases.js';
import { checkCaseOnTfjs } from './op-cases.js';

// The same random instances as the ONNX Runtime property test, run through each op's tfjs kernel
// (on wasm, the training backend): actual shape == declared shape, values == the reference.
let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('shape ops on tfjs (wasm)', () => {
  for (const [name, c] of Object.entries(shapeOpCases)) {
    it(name, async () => {
      await checkCaseOnTfjs(tf, c, (name, actual, expected) => expect(Array.from(actual), name).toEqual(Array.from(expected, Math.fround)), {
        numRuns: 30,
        seed: 7,
      });
    });
  }
});
