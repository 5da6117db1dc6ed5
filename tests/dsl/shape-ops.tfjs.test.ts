import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useBackend } from '../../src/train/backend.js';
import { TfjsExecutor } from '../../src/train/executor.js';
import type { TF } from '../../src/dsl/graph.js';
import { randomFeeds } from '../../src/testing/shape-property.js';
import { declaredShapes, shapeOpCases } from './shape-ops.cases.js';

// The same random instances as the ONNX Runtime property test, run through each op's tfjs kernel
// (on wasm, the training backend): actual shape == declared shape, values == the reference.
let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('shape ops on tfjs (wasm)', () => {
  for (const [name, c] of Object.entries(shapeOpCases)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(c.params, async (p) => {
          const inst = c.graph(p);
          const feeds = randomFeeds(inst.graph, inst.bindings);
          const exec = new TfjsExecutor(tf, inst.graph);
          try {
            const out = await exec.runHost(feeds);
            const declared = declaredShapes(inst);
            const expected = c.reference(p, feeds);
            for (const o of inst.graph.outputs) {
              expect(out[o.name].dims).toEqual(declared[o.name]);
              expect(Array.from(out[o.name].data as Float32Array)).toEqual(Array.from(expected[o.name], Math.fround));
            }
          } finally {
            exec.dispose();
          }
        }),
        { numRuns: 30, seed: 7 },
      );
    });
  }
});
