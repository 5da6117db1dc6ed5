import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { input } from '../../src/dsl/tensor.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { emit } from '../../src/onnx/emit.js';
import { Model, hostTensor } from '../../src/runtime/session.js';
import { cudaProviderStatus } from '../../src/runtime/cuda-libs.js';

const providersInstalled = cudaProviderStatus().missing.length === 0;

function smallModel(): Uint8Array {
  const x = input('x', ['B', 4]);
  const y = linear(new ParamStore(3).root().at('fc'), x, 2);
  return emit(build({ inputs: { x }, outputs: { y } }));
}

describe("device 'cuda' on a machine without CUDA", () => {
  it('falls back to CPU with one warning and gives the CPU result', async () => {
    const bytes = smallModel();
    const warnings: string[] = [];
    const cuda = await Model.load(bytes, { device: 'cuda', warn: (w) => warnings.push(w) });
    const cpu = await Model.load(bytes, { device: 'cpu', warn: (w) => warnings.push(`unexpected: ${w}`) });
    const feed = { x: hostTensor(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [2, 4]) };
    const [a, b] = [await cuda.run(feed), await cpu.run(feed)];
    if (cuda.device === 'cuda') {
      // A machine where CUDA works: no fallback, no warning.
      expect(warnings).toEqual([]);
    } else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^warning: CUDA is not available \(.+\); running on CPU\. See docs\/cuda\.md/);
      expect(warnings[0]).not.toContain('\n');
      expect(Array.from(a.y.data as Float32Array)).toEqual(Array.from(b.y.data as Float32Array));
    }
    await cuda.release();
    await cpu.release();
  });

  it.skipIf(providersInstalled)('prints exactly its one-line warning on stderr and nothing else (provider libraries absent)', () => {
    const main = fileURLToPath(new URL('./cuda-fallback-main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', main], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const errLines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/^warning: CUDA is not available \(libonnxruntime_providers_\S+\.so.* not installed; run npm run setup:cuda\); running on CPU/);
    const out = JSON.parse(r.stdout) as { device: string; y: number[] };
    expect(out.device).toBe('cpu');
    expect(out.y).toHaveLength(2);
    expect(out.y.every(Number.isFinite)).toBe(true);
  });
});
