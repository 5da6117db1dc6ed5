// The encoder/decoder pair (graphs/oneprompt/split.ts) is the one-file model cut in two: for tiny, its 12 Prompt-Parser
// variants, its ViT encoder and small, decoder(encoder(query), encoder(template), prompt) gives the one-file model's
// mask logits within 1e-5 · max(1, |logit|) in ONNX Runtime, and the two files' weights are the one-file model's,
// byte for byte, every one of its parameters in exactly one of them (the grid's Fourier basis, a buffer the tokens'
// PE and the prompt encoder share, in the decoder).
import { describe, expect, it } from 'vitest';
import { configs } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';
import { emit } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { VARIANTS, variantConfig, variantKey } from './model-numbers.js';
import { OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';
import { runPair } from './run-model.js';

const TOLERANCE = 1e-5;

/** Initializers by name, as raw little-endian bytes. */
function initializers(bytes: Uint8Array): Map<string, Uint8Array> {
  const g = onnx.ModelProto.decode(bytes).graph!;
  return new Map((g.initializer ?? []).map((t) => [t.name!, t.rawData!]));
}

const run = (bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => Model.runOnce(bytes, feeds);

describe('the encoder/decoder pair is the one-file model in two files', () => {
  for (const v of VARIANTS.filter((x) => x.run))
    it(`${variantKey(v)}: same logits (1e-5), same weights (byte for byte)`, async () => {
      const c = variantConfig(v);
      const model = buildOnePrompt(c, 0);
      const pair = buildOnePromptPair(c, model.store);
      const one = emit(model.graph);
      const enc = emit(pair.encoder.graph);
      const dec = emit(pair.decoder.graph);

      // Weights: every parameter of the one-file model in exactly one of the two files, with its bytes.
      const w = initializers(one);
      const we = initializers(enc);
      const wd = initializers(dec);
      const params = model.graph.params.map((p) => p.name);
      const inPair = [...pair.encoder.graph.params, ...pair.decoder.graph.params].map((p) => p.name);
      expect([...inPair].sort()).toEqual([...params].sort());
      for (const name of params) {
        const got = we.get(name) ?? wd.get(name);
        expect(got, name).toBeDefined();
        expect(Buffer.from(got!).equals(Buffer.from(w.get(name)!)), `${name} bytes`).toBe(true);
      }
      expect(pair.encoder.graph.params.every((p) => p.name.startsWith('encoder.') || p.name.startsWith('tokens.'))).toBe(true);

      // Numbers: two batch sizes, every prompt type among them.
      for (const [B, seed] of [
        [2, 1234],
        [3, 99],
      ] as const) {
        const feeds = randomModelInputs(c, B, seed);
        const want = (await run(one, feeds))[OUTPUT_NAME].data as Float32Array;
        const got = await runPair(
          enc,
          dec,
          feeds,
          pair.decoder.graph.inputs.map((i) => i.name),
        );
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        expect(worst, `B = ${B}: worst relative difference`).toBeLessThanOrEqual(TOLERANCE);
      }
    }, 180_000);

  it('the contract: encoder image → features_j and tokens_l; decoder query_*, template_tokens_*, prompt_* → mask_logits', () => {
    const pair = buildOnePromptPair(configs.small, 0);
    const io = (xs: readonly { name: string; value: { shape: readonly (number | string)[] } }[]) => xs.map((x) => [x.name, [...x.value.shape]]);
    expect(io(pair.encoder.graph.inputs)).toEqual([['image', ['B', 1, 256, 256]]]);
    expect(io(pair.encoder.graph.outputs)).toEqual([
      ['features_0', ['B', 16, 256, 256]],
      ['features_1', ['B', 32, 128, 128]],
      ['features_2', ['B', 64, 64, 64]],
      ['features_3', ['B', 128, 32, 32]],
      ['features_4', ['B', 256, 16, 16]],
      ['tokens_4', ['B', 256, 128]],
      ['tokens_3', ['B', 256, 128]],
      ['tokens_2', ['B', 256, 128]],
    ]);
    expect(io(pair.decoder.graph.inputs)).toEqual([
      ...[16, 32, 64, 128, 256].map((w, j) => [`query_features_${j}`, ['B', w, 256 >> j, 256 >> j]]),
      ...[4, 3, 2].map((l) => [`query_tokens_${l}`, ['B', 256, 128]]),
      ...[4, 3, 2].map((l) => [`template_tokens_${l}`, ['B', 256, 128]]),
      ['prompt_points', ['B', 64, 2]],
      ['prompt_labels', ['B', 64]],
      ['prompt_mask', ['B', 1, 256, 256]],
      ['prompt_type', ['B', 4]],
    ]);
    expect(io(pair.decoder.graph.outputs)).toEqual([['mask_logits', ['B', 1, 256, 256]]]);
  });
});
