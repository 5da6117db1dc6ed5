// Every op's gradient rule (`vjp`), through the backward graphs src/autodiff builds from them: emitted to ONNX
// and run on ONNX Runtime, and run on tfjs with each op's kernel (the gradient ops' too), both against tfjs
// autodiff through the forward kernels and central differences. The cases are gradients.test.ts's.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TF } from '../../src/dsl/graph.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { checkVjp } from '../../src/testing/vjp-check.js';
import { gradientCases } from '../train/gradient-cases.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('backward graphs on ONNX Runtime and tfjs == tfjs autodiff == central differences', () => {
  for (const [name, make] of Object.entries(gradientCases)) {
    const c = make();
    it.skipIf(c.noVjp)(name, async () => {
      const r = await checkVjp({ tf, graph: c.graph, feeds: c.feeds, finiteDifferences: { maxElements: c.maxElements ?? 24 } });
      expect(r.fdChecked).toBeGreaterThan(0);
      expect(r.worstOrt).toBeLessThanOrEqual(1e-4);
      expect(r.worstTfjs).toBeLessThanOrEqual(1e-4);
    });
  }
});
