// The float16 pass on the One-Prompt model itself (tiny and small configurations, initialised weights):
// Debian's ONNX checker accepts the fp16 model, and its mask logits agree with the fp32 model's.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { toModelProto } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { modelDtype, toFloat16 } from '../../src/onnx/float16.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import { randomFeeds } from '../../src/testing/shape-property.js';

// Stated tolerance: max |Δ| ≤ 1e-2 · max(1, max|logit32|), mean |Δ| ≤ 1e-3, and the mask decision
// (logit > 0) the same on ≥ 99.5% of pixels. Measured here: max 1.6e-3, mean ≈ 2e-4, ≥ 99.97% (tiny, small).
const MAX_REL = 1e-2;
const MEAN_ABS = 1e-3;
const MIN_SAME_MASK = 0.995;

async function logits(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<Float32Array> {
  const m = await Model.load(bytes);
  try {
    return (await m.run(feeds)).mask_logits.data as Float32Array;
  } finally {
    await m.release();
  }
}

describe('float16 One-Prompt model vs float32', () => {
  for (const [name, batch] of [
    ['tiny', 2],
    ['small', 1],
  ] as const)
    it(`${name}: passes the ONNX checker and agrees within the stated tolerance`, async () => {
      const model = buildOnePrompt(configs[name], 0);
      const m32 = toModelProto(model.graph);
      const warnings: string[] = [];
      const m16 = toFloat16(m32, { warn: (w) => warnings.push(w) });
      expect(warnings).toEqual([]); // every op the model uses is described
      expect(modelDtype(m16)).toBe('float16');
      const b16 = onnx.ModelProto.encode(m16).finish();

      const feeds = randomFeeds(model.graph, { B: batch }, 7);
      const y32 = await logits(onnx.ModelProto.encode(m32).finish(), feeds);
      const y16 = await logits(b16, feeds);
      let scale = 1;
      for (const v of y32) scale = Math.max(scale, Math.abs(v));
      let max = 0;
      let sum = 0;
      let same = 0;
      for (let i = 0; i < y32.length; i++) {
        const d = Math.abs(y16[i] - y32[i]);
        max = Math.max(max, d);
        sum += d;
        if (y16[i] > 0 === y32[i] > 0) same++;
      }
      expect(max / scale).toBeLessThan(MAX_REL);
      expect(sum / y32.length).toBeLessThan(MEAN_ABS);
      expect(same / y32.length).toBeGreaterThanOrEqual(MIN_SAME_MASK);

      if (onnxCheckerAvailable()) {
        const dir = mkdtempSync(join(tmpdir(), 'oneprompt-f16-op-'));
        try {
          const path = join(dir, `${name}-fp16.onnx`);
          writeFileSync(path, b16);
          const [r] = checkModels([path]);
          expect(r.error).toBeNull();
          expect(r.outputs.mask_logits).toEqual(model.graph.outputs[0].value.shape);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });
});
