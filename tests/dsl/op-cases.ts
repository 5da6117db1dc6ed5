// What the op families' random test cases share: the case shape, declared output shapes, and the tfjs property
// (the same instances as the ONNX Runtime property tests, run through each op's tfjs kernel).
import { expect } from 'vitest';
import fc from 'fast-check';
import { evalShape } from '../../src/dsl/dim.js';
import type { TF } from '../../src/dsl/graph.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { randomFeeds, type GraphInstance } from '../../src/testing/shape-property.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';

export interface OpCase<P> {
  readonly params: fc.Arbitrary<P>;
  readonly graph: (p: P) => GraphInstance;
  readonly reference: (p: P, feeds: Readonly<Record<string, HostTensor>>) => Record<string, ArrayLike<number>>;
}

/** The declared shape of each output under the instance's bindings. */
export const declaredShapes = (inst: GraphInstance): Record<string, number[]> =>
  Object.fromEntries(inst.graph.outputs.map((o) => [o.name, evalShape(o.value.shape, inst.bindings ?? {})]));

/** On tfjs: actual shape == declared shape, and `compare(name, actual, expected)` on every output. */
export async function checkCaseOnTfjs<P>(
  tf: TF,
  c: OpCase<P>,
  compare: (name: string, actual: Float32Array, expected: ArrayLike<number>) => void,
  run: { numRuns: number; seed: number },
): Promise<void> {
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
          compare(o.name, out[o.name].data as Float32Array, expected[o.name]);
        }
      } finally {
        exec.dispose();
      }
    }),
    run,
  );
}
