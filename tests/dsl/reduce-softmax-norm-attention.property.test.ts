import { describe, it } from 'vitest';
import { checkShapes } from '../../src/testing/shape-property.js';
import { nnCases } from './reduce-softmax-norm-attention.cases.js';

// Declared shape == ONNX Runtime's shape (== ONNX strict shape inference's where Debian's checker is
// installed, which also validates every emitted model), and values == the plain TypeScript reference
// within 1e-5, over random shapes, axes, symbolic dims, head counts and parameters.
describe('reductions, softmax, layer-norm and attention on ONNX Runtime', () => {
  for (const [name, c] of Object.entries(nnCases)) {
    it(name, async () => {
      await checkShapes({ params: c.params, graph: c.graph, reference: c.reference, tolerance: 1e-5, numRuns: 25 });
    });
  }
});
