// The calibration (config.ts `typeBias`, `compile --type-bias`): a constant logit offset per prompt type in the graph.
// It adds no parameter, shifts each item's logits by exactly its type's offset, is recorded in the manifest, and
// survives a re-emit from the manifest (compiledConfig), so build-compiled keeps what was shipped.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tiny } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { compiledConfig, compileOnePrompt, resolveConfig } from '../../graphs/oneprompt/compile.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';
import { parseTypeBias } from '../../src/app/cli/compile.js';
import { emit } from '../../src/onnx/emit.js';
import { hostTensor, type HostTensor } from '../../src/runtime/session.js';
import { graphLogits, runPair } from './run-model.js';

const BIAS = [0.5, 0, -0.5, -2] as const;
const S = tiny.size;

/** A batch of four, item b prompted with type b (click, bbox, doodle, seglab). */
const oneOfEach = (): Record<string, HostTensor> => ({
  ...randomModelInputs(tiny, 4, 5),
  prompt_type: hostTensor(
    Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)),
    [4, 4],
  ),
});

describe('the per-type logit calibration', () => {
  it('adds no parameter and shifts each item by its own type’s offset', async () => {
    const plain = buildOnePrompt(tiny, 3).graph;
    const biased = buildOnePrompt({ ...tiny, typeBias: BIAS }, 3).graph;
    expect(biased.params.map((p) => p.name)).toEqual(plain.params.map((p) => p.name));
    const inputs = oneOfEach();
    const [a, b] = [await graphLogits(plain, inputs), await graphLogits(biased, inputs)];
    for (let item = 0; item < 4; item++) {
      let worst = 0;
      for (let i = item * S * S; i < (item + 1) * S * S; i++) worst = Math.max(worst, Math.abs(b[i] - a[i] - BIAS[item]));
      expect(worst, `item ${item}`).toBeLessThan(1e-5);
    }
  });

  it('is recorded in the manifest and kept by a re-emit from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'op-bias-'));
    try {
      const out = join(dir, 'm.onnx');
      const first = compileOnePrompt({ config: 'tiny', typeBias: BIAS, seed: 3, out, split: true });
      expect(first.manifest.config.typeBias).toEqual(BIAS);
      const config = compiledConfig(out);
      expect(config.typeBias).toEqual(BIAS);
      expect(config.name).toBe('tiny');
      const weights = new Map(first.model.graph.params.map((p) => [p.name, p.values()]));
      const again = compileOnePrompt({ config, weights, out: join(dir, 'again.onnx') });
      expect(again.manifest.sha256).toBe(first.manifest.sha256);
      const plain = compileOnePrompt({ config: 'tiny', seed: 3, out: join(dir, 'plain.onnx') });
      expect(plain.manifest.sha256).not.toBe(first.manifest.sha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lives in the pair’s decoder too: the pair gives the one-file model’s logits', async () => {
    const c = { ...tiny, typeBias: BIAS };
    const model = buildOnePrompt(c, 3);
    const pair = buildOnePromptPair(c, model.store);
    const inputs = oneOfEach();
    const fromPair = await runPair(
      emit(pair.encoder.graph),
      emit(pair.decoder.graph),
      inputs,
      pair.decoder.graph.inputs.map((v) => v.name),
    );
    const one = await graphLogits(model.graph, inputs);
    let worst = 0;
    for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(one[i] - fromPair[i]) / Math.max(1, Math.abs(one[i])));
    expect(worst).toBeLessThan(1e-5);
  });

  it('is refused when it is not four finite offsets', () => {
    expect(() => buildOnePrompt({ ...tiny, typeBias: [1, 2, 3] as never }, 0)).toThrow(/typeBias needs 4 finite logit offsets/);
    expect(() => buildOnePrompt({ ...tiny, typeBias: [0, 0, Number.NaN, 0] }, 0)).toThrow(/typeBias needs 4 finite/);
    expect(resolveConfig({ config: 'tiny' }).typeBias).toBeUndefined();
  });
});

describe('compile --type-bias', () => {
  it('reads type=offset pairs in any order, unnamed types 0', () => {
    expect(parseTypeBias('seglab=-2,click=0.5')).toEqual([0.5, 0, 0, -2]);
    expect(parseTypeBias('bbox=1, doodle = -0.25')).toEqual([0, 1, -0.25, 0]);
  });
  it('refuses an unknown type, a repeat, a missing or non-finite number, in --prompt-mix’s words', () => {
    expect(() => parseTypeBias('box=1')).toThrow("unknown prompt type 'box' in 'box=1' (expected click, bbox, doodle, seglab)");
    expect(() => parseTypeBias('click=1,click=2')).toThrow('click is given twice');
    expect(() => parseTypeBias('click')).toThrow("expected TYPE=OFFSET items, comma-separated (e.g. click=3,bbox=1), got 'click'");
    expect(() => parseTypeBias('click=')).toThrow("expected TYPE=OFFSET items, comma-separated (e.g. click=3,bbox=1), got 'click='");
    expect(() => parseTypeBias('click=inf')).toThrow("the offset of click must be a finite number, got 'inf'");
    expect(() => parseTypeBias('click=1=2')).toThrow("the offset of click must be a finite number, got '1=2'");
  });
});
