import { describe, it } from 'vitest';
import { checkShapes } from '../../src/testing/shape-property.js';
import { shapeOpCases } from './shape-ops.cases.js';

// Declared shape == ONNX Runtime's shape (== ONNX strict shape inference's where Debian's checker
// is installed), and values == the plain TypeScript reference, over random shapes, axes and perms.
describe('shape ops on ONNX Runtime', () => {
  for (const [name, c] of Object.entries(shapeOpCases)) {
    it(name, async () => {
      await checkShapes({ params: c.params, graph: c.graph, reference: c.reference, tolerance: 0, numRuns: 30 });
    });
  }
});
