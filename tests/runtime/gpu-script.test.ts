import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

// bench/gpu.sh needs a GPU for its point (CPU vs CUDA); its CPU half and its refusal run anywhere.
const hasGpu = spawnSync('nvidia-smi', ['-L']).status === 0;
const gpuSh = (...args: string[]) => spawnSync('bash', ['bench/gpu.sh', ...args], { encoding: 'utf8', timeout: 600_000 });

describe('bench/gpu.sh', () => {
  it.skipIf(hasGpu)('says it needs a GPU and exits 3 where there is none', () => {
    const r = gpuSh('compiled/oneprompt-tiny.onnx');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('bench/gpu.sh: no NVIDIA GPU here (nvidia-smi missing or failing); this check needs one (--cpu-only runs its CPU half)');
  });

  it('with --cpu-only runs a model in float32 and float16 on the CPU, checks agreement and prints images/s', () => {
    const r = gpuSh('--cpu-only', '--seconds', '0.2', 'compiled/oneprompt-tiny.onnx');
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\s+cpu float(32|16)\s/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const [, , batch, ips, maxRel, sign, verdict] = row.trim().split(/\s+/);
      expect([batch, verdict], row).toEqual(['1', 'ok']);
      expect(Number(ips), row).toBeGreaterThan(0);
      expect(Number(maxRel), row).toBeLessThanOrEqual(0.05);
      expect(sign, row).toMatch(/^\d+\.\d\d%$/);
    }
    // The reference is itself: float32 on the CPU agrees exactly; float16 only approximately.
    expect(rows[0]).toMatch(/0\.00e\+0\s+100\.00%/);
    expect(rows[1]).not.toMatch(/\s0\.00e\+0\s/);
    expect(r.stderr).not.toContain('onnxruntime');
  });
});
