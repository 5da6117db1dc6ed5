import { describe, it } from 'vitest';
import { checkShapes } from '../../src/testing/shape-property.js';
import { windowOpCases } from './conv.cases.js';

// conv2d, convTranspose2d, pools and resize over random N/C/H/W, kernels, strides, paddings,
// dilations, groups and symbolic B/H: declared shape == ONNX Runtime's shape (== ONNX strict shape
// inference's where Debian's checker is installed), values == the plain TypeScript reference (1e-5).
describe('window ops on ONNX Runtime', () => {
  for (const [name, c] of Object.entries(windowOpCases)) {
    it(name, async () => {
      await checkShapes({ params: c.params, graph: c.graph, reference: c.reference, tolerance: 1e-5, numRuns: 30 });
    });
  }
});
