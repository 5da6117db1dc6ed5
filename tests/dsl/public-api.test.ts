import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

describe('public API (package entry src/index.ts)', () => {
  it('exports the DSL, build, emission, the runtime and the property helper', () => {
    for (const name of ['input', 'build', 'matmul', 'conv2d', 'attention', 'linear', 'ParamStore', 'emit', 'saveModel', 'Model', 'checkShapes', 'toFloat16']) expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
  });
});
