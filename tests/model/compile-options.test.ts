// compile --dtype float16 and --triton, through the same function the CLI calls.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { summariseModel } from '../../src/onnx/inspect.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { readTritonConfig } from '../../src/compile/triton.js';
import { Model } from '../../src/runtime/session.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';

describe('compile options', () => {
  it('float16: inspect reports the dtype, the checker passes, outputs agree with float32 (≤ 1e-2 of the output scale)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'op-fp16-'));
    try {
      const f32 = compileOnePrompt({ config: 'tiny', seed: 3, out: join(dir, 'm32.onnx') });
      const f16 = compileOnePrompt({ config: 'tiny', seed: 3, out: join(dir, 'm16.onnx'), dtype: 'float16' });
      expect(f16.manifest.dtype).toBe('float16');
      expect(f16.manifest.bytes).toBeLessThan(0.6 * f32.manifest.bytes);
      expect(summariseModel(readFileSync(join(dir, 'm16.onnx'))).dtype).toBe('float16');
      if (onnxCheckerAvailable()) expect(checkModels([join(dir, 'm16.onnx')])[0].error).toBeNull();
      const feeds = randomModelInputs(configs.tiny, 3, 9);
      const run = async (p: string) => {
        const m = await Model.load(p, { threads: 1 });
        const y = (await m.run(feeds)).mask_logits.data as Float32Array;
        await m.release();
        return y;
      };
      const [a, b] = [await run(join(dir, 'm32.onnx')), await run(join(dir, 'm16.onnx'))];
      const scale = Math.max(1, ...Array.from(a, Math.abs));
      const maxDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      expect(maxDiff / scale).toBeLessThan(1e-2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--triton writes a repository whose config parses against Triton's schema and names every input and output", () => {
    const dir = mkdtempSync(join(tmpdir(), 'op-triton-'));
    try {
      const { manifest } = compileOnePrompt({
        config: 'tiny',
        out: join(dir, 'oneprompt-tiny.onnx'),
        triton: { dir: join(dir, 'repo'), device: 'cpu', maxBatch: 4 },
      });
      const cfg = readTritonConfig(readFileSync(join(dir, 'repo', 'oneprompt-tiny', 'config.pbtxt'), 'utf8')) as {
        input: { name: string }[];
        output: { name: string }[];
        max_batch_size: number;
      };
      expect(cfg.input.map((i) => i.name)).toEqual(manifest.inputs.map((i) => i.name));
      expect(cfg.output.map((o) => o.name)).toEqual(['mask_logits']);
      expect(cfg.max_batch_size).toBe(4);
      expect(readFileSync(join(dir, 'repo', 'oneprompt-tiny', '1', 'model.onnx')).equals(readFileSync(join(dir, 'oneprompt-tiny.onnx')))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
