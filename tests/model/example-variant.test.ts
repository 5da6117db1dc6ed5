// The documented example of a user's own variant (graphs/examples/gated-tiny.ts) builds, passes Debian's ONNX checker
// where installed, and runs in ONNX Runtime with the declared output shape.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGatedTiny, gatedTiny } from '../../graphs/examples/gated-tiny.js';
import { emit } from '../../src/onnx/emit.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { Model } from '../../src/runtime/session.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';

describe('example variant graphs/examples/gated-tiny.ts', () => {
  it('builds with its own gate parameters, checks and runs at B = 1 and B = 2', async () => {
    const { graph } = buildGatedTiny(0);
    const names = graph.params.map((p) => p.name);
    expect(names).toContain('gate.0.gate.weight');
    expect(names).toContain('gate.1.gate.bias');
    expect(names).toContain('refine.weight');
    expect(graph.outputs.map((o) => [o.name, o.value.shape])).toEqual([[OUTPUT_NAME, ['B', 1, 64, 64]]]);
    const bytes = emit(graph);
    if (onnxCheckerAvailable()) {
      const dir = mkdtempSync(join(tmpdir(), 'op-example-'));
      try {
        writeFileSync(join(dir, 'gated.onnx'), bytes);
        const [r] = checkModels([join(dir, 'gated.onnx')]);
        expect(r.error).toBeNull();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const model = await Model.load(bytes, { threads: 2 });
    try {
      for (const B of [1, 2]) {
        const out = (await model.run(randomModelInputs(gatedTiny, B, 5)))[OUTPUT_NAME];
        expect(out.dims).toEqual([B, 1, 64, 64]);
        expect((out.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    } finally {
      await model.release();
    }
  });
});
