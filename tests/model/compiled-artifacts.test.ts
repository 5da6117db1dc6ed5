// The shipped compiled/oneprompt-tiny.onnx must be what the current code compiles, and the default model's
// encoder/decoder pair what the code compiles from the default model's own weights (rebuild both: npx tsx scripts/build-compiled.ts).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledConfig, compileOnePrompt, type Manifest } from '../../graphs/oneprompt/compile.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { onnx } from '../../src/onnx/proto.js';
import { summariseModel } from '../../src/onnx/inspect.js';
import { loadInitialWeights } from '../../src/train/init-weights.js';
import { graphSha256 } from './model-numbers.js';
import { PAIR_OF_KEY } from '../../graphs/oneprompt/contract.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const initializers = (b: Uint8Array) => new Map((onnx.ModelProto.decode(b).graph!.initializer ?? []).map((t) => [t.name!, Buffer.from(t.rawData!)]));

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

  it('oneprompt-default ships its encoder/decoder pair: the same weights byte for byte, compiled with this very file, up to date', () => {
    const one = readFileSync('compiled/oneprompt-default.onnx');
    const enc = readFileSync('compiled/oneprompt-default.encoder.onnx');
    const dec = readFileSync('compiled/oneprompt-default.decoder.onnx');
    for (const [file, bytes] of [
      ['encoder', enc],
      ['decoder', dec],
    ] as const) {
      const m = JSON.parse(readFileSync(`compiled/oneprompt-default.${file}.json`, 'utf8')) as Manifest;
      expect(sha256(bytes), `oneprompt-default.${file}.onnx does not match its manifest`).toBe(m.sha256);
      expect(m.pair).toEqual({ part: file, of: { file: 'oneprompt-default.onnx', sha256: sha256(one) } });
      expect(summariseModel(bytes).metadata[PAIR_OF_KEY]).toBe(sha256(one));
      expect(m.weights).toBe('trained');
    }
    const w = initializers(one);
    const pairWeights = new Map([...initializers(enc), ...initializers(dec)]);
    // The configuration the shipped weights were trained in, and their calibration, as the manifest records them.
    const config = compiledConfig('compiled/oneprompt-default.onnx');
    const params = buildOnePrompt(config, 0).graph.params;
    for (const p of params) expect(pairWeights.get(p.name)?.equals(w.get(p.name)!), p.name).toBe(true);

    // What the code compiles from the default model's weights: the same graphs (source locations aside).
    loadInitialWeights('compiled/oneprompt-default.onnx', params);
    const dir = mkdtempSync(join(tmpdir(), 'op-pair-'));
    try {
      const r = compileOnePrompt({
        config,
        weights: new Map(params.map((p) => [p.name, p.values()])),
        out: join(dir, 'oneprompt-default.onnx'),
        split: true,
      });
      expect(graphSha256(readFileSync(r.pair!.encoder.path)), 'stale: run npx tsx scripts/build-compiled.ts').toBe(graphSha256(enc));
      expect(graphSha256(readFileSync(r.pair!.decoder.path)), 'stale: run npx tsx scripts/build-compiled.ts').toBe(graphSha256(dec));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
