// The shipped compiled/oneprompt-tiny.onnx must be what the current code compiles (rebuild: npx tsx scripts/build-compiled.ts).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileOnePrompt, type Manifest } from '../../graphs/oneprompt/compile.js';

describe('compiled/ artefacts', () => {
  it('oneprompt-tiny.onnx is up to date with the code (else run: npx tsx scripts/build-compiled.ts)', () => {
    const shipped = JSON.parse(readFileSync('compiled/oneprompt-tiny.json', 'utf8')) as Manifest;
    const fileHash = createHash('sha256').update(readFileSync('compiled/oneprompt-tiny.onnx')).digest('hex');
    expect(fileHash, 'compiled/oneprompt-tiny.onnx does not match its manifest').toBe(shipped.sha256);
    const dir = mkdtempSync(join(tmpdir(), 'op-stale-'));
    try {
      const { manifest } = compileOnePrompt({ config: 'tiny', seed: 0, out: join(dir, 'oneprompt-tiny.onnx') });
      expect(manifest.sha256, 'compiled/oneprompt-tiny.onnx is stale: run npx tsx scripts/build-compiled.ts').toBe(shipped.sha256);
      expect({ ...manifest, sha256: '', bytes: 0 }).toEqual({ ...shipped, sha256: '', bytes: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the manifest names inputs, outputs, parameters and a per-module breakdown', () => {
    const m = JSON.parse(readFileSync('compiled/oneprompt-tiny.json', 'utf8')) as Manifest;
    expect(m.inputs.map((i) => i.name)).toEqual(['query', 'template', 'prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type']);
    expect(m.outputs).toEqual([{ name: 'mask_logits', shape: ['B', 1, 64, 64], dtype: 'float32' }]);
    expect(Object.values(m.modules).reduce((a, b) => a + b, 0)).toBe(m.parameters);
    expect(m.opset).toBe(17);
  });
});
