// Refinement blocks (graphs/oneprompt/encoder.ts `refineBlock`, config.ts `refineLevels`, brain128d): a residual
// branch after the encoder's levels 1 and 2 whose output conv starts at zero. Checked here: brain128d adds only the
// blocks' parameters to brain128r, their output convs at zero, so brain128r's weights give brain128r's logits (how
// brain128d is fine-tuned from the shipped model); once trained, the blocks change the output, and the encoder/decoder
// pair carries them (they live in the encoder); the configuration's rules name what is wrong.
import { describe, expect, it } from 'vitest';
import { brain128d, brain128g, brain128r, validateConfig, type OnePromptConfig } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';
import { emit } from '../../src/onnx/emit.js';
import { mulberry32 } from '../../src/util/rng.js';
import { addedParams } from './added-params.js';
import { graphLogits, maxDiff, runPair } from './run-model.js';

describe('refinement blocks (brain128d)', () => {
  it('add only encoder.refine.{1,2} to brain128r, hidden 2·widths[j] wide, whose output convs start at zero: brain128r’s logits', async () => {
    const plain = buildOnePrompt(brain128r, 4).graph;
    const refined = buildOnePrompt(brain128d, 4).graph;
    const added = addedParams(plain, refined);
    const parts = ['conv1.weight', 'conv1.bias', 'norm.weight', 'norm.bias', 'conv2.weight', 'conv2.bias'];
    expect(added.map((p) => p.name).sort()).toEqual([1, 2].flatMap((j) => parts.map((x) => `encoder.refine.${j}.${x}`)).sort());
    const shape = (name: string) => added.find((p) => p.name === name)?.shape;
    expect(shape('encoder.refine.2.conv1.weight')).toEqual([2 * brain128d.widths[2], brain128d.widths[2], 3, 3]);
    expect(shape('encoder.refine.1.conv2.weight')).toEqual([brain128d.widths[1], 2 * brain128d.widths[1], 3, 3]);
    const zero = (name: string) =>
      added
        .find((p) => p.name === name)!
        .values()
        .every((v) => v === 0);
    for (const j of [1, 2]) {
      expect(zero(`encoder.refine.${j}.conv2.weight`) && zero(`encoder.refine.${j}.conv2.bias`)).toBe(true);
      expect(zero(`encoder.refine.${j}.conv1.weight`)).toBe(false); // the branch can learn from the first step
    }

    const feeds = randomModelInputs(brain128d, 2, 5);
    expect(maxDiff(await graphLogits(plain, feeds), await graphLogits(refined, feeds))).toBeLessThan(1e-5);
  });

  it('once trained, change the logits, and the pair (the blocks in its encoder) gives the one-file logits', async () => {
    const model = buildOnePrompt(brain128d, 3);
    const feeds = randomModelInputs(brain128d, 2, 9);
    const before = await graphLogits(model.graph, feeds);
    const r = mulberry32(3);
    for (const p of model.graph.params.filter((x) => x.name.includes('.refine.') && x.name.includes('.conv2.')))
      p.set(Float32Array.from({ length: p.values().length }, () => (r() - 0.5) * 0.2));
    const after = await graphLogits(model.graph, feeds);
    expect(maxDiff(before, after)).toBeGreaterThan(1e-3);

    const pair = buildOnePromptPair(brain128d, model.store);
    expect(pair.encoder.graph.params.some((p) => p.name === 'encoder.refine.2.conv2.weight')).toBe(true);
    const decoderInputs = pair.decoder.graph.inputs.map((i) => i.name);
    const got = await runPair(emit(pair.encoder.graph), emit(pair.decoder.graph), feeds, decoderInputs);
    expect(maxDiff(got, after) / Math.max(1, ...after.map(Math.abs))).toBeLessThan(1e-5);
  });

  it('gated (brain128g): a zero gate per block, the output convs drawn as any other; brain128r’s logits until the gate moves', async () => {
    const plain = buildOnePrompt(brain128r, 4).graph;
    const model = buildOnePrompt(brain128g, 4);
    const added = addedParams(plain, model.graph);
    const gates = added.filter((p) => p.name.endsWith('.gate'));
    expect(gates.map((p) => p.name).sort()).toEqual(['encoder.refine.1.gate', 'encoder.refine.2.gate']);
    for (const g of gates) expect(g.values()).toEqual(new Float32Array([0]));
    expect(
      added
        .find((p) => p.name === 'encoder.refine.2.conv2.weight')!
        .values()
        .some((v) => v !== 0),
    ).toBe(true);

    const feeds = randomModelInputs(brain128g, 2, 5);
    const before = await graphLogits(model.graph, feeds);
    expect(maxDiff(await graphLogits(plain, feeds), before)).toBeLessThan(1e-5);
    for (const g of gates) g.set(new Float32Array([0.5]));
    expect(maxDiff(before, await graphLogits(model.graph, feeds))).toBeGreaterThan(1e-3);
  });

  it('refuses levels outside the encoder, repeated levels, a non-integer expansion and a ViT encoder, naming the configuration', () => {
    const bad = (patch: Partial<OnePromptConfig>) => () => validateConfig({ ...brain128d, ...patch });
    expect(bad({ refineLevels: [1, 4] })).toThrow("config 'brain128d': refineLevels must be distinct encoder levels in 0..3, got [1, 4]");
    expect(bad({ refineLevels: [2, 2] })).toThrow(/refineLevels must be distinct encoder levels in 0\.\.3, got \[2, 2\]/);
    expect(bad({ refineExpansion: 0 })).toThrow(/refineExpansion must be a positive integer, got 0/);
    expect(bad({ refineExpansion: 1.5 })).toThrow(/refineExpansion must be a positive integer, got 1\.5/);
    expect(bad({ encoder: 'vit' })).toThrow(/refineLevels refine the CNN encoder's levels; encoder is 'vit'/);
    expect(bad({})).not.toThrow();
  });
});
