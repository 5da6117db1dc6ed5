// The model's I/O contract (graphs/oneprompt/contract.ts): the graphs are built with its names and dims, and how an
// encoder and a decoder fit together is read from their declared inputs and outputs:
// the compiled pairs give their contract; a decoder that reads what the encoder does not give, at another shape, or
// without the prompt's inputs, is refused with the tensor named.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';
import type { Graph } from '../../src/dsl/index.js';
import { geometryFromInputs, inputDims, INPUT_NAMES, OUTPUT_NAME, outputDims, pairContract, type Declared } from '../../graphs/oneprompt/contract.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';

const declared = (xs: Graph['inputs']): Declared[] => xs.map((x) => ({ name: x.name, shape: [...x.value.shape] }));
const io = (g: Graph) => ({ inputs: declared(g.inputs), outputs: declared(g.outputs) });

describe('the contract', () => {
  it("names and shapes the one-file model's inputs and output, for every configuration", () => {
    for (const c of [configs.tiny, configs.tiny128, configs.small]) {
      const { graph } = buildOnePrompt(c, 0);
      const g = { size: c.size, points: c.points };
      expect(graph.inputs.map((i) => i.name)).toEqual([...INPUT_NAMES]);
      const dims = inputDims(3, g);
      for (const i of graph.inputs) expect(i.value.shape.map((d) => (d === 'B' ? 3 : d))).toEqual(dims[i.name as keyof typeof dims]);
      expect(graph.outputs.map((o) => [o.name, o.value.shape.map((d) => (d === 'B' ? 3 : d))])).toEqual([[OUTPUT_NAME, outputDims(3, g)]]);
      expect(geometryFromInputs(declared(graph.inputs))).toEqual(E.right(g));
    }
  });
});

describe('pairContract', () => {
  const tiny = buildOnePromptPair(configs.tiny, 0);
  const enc = io(tiny.encoder.graph);
  const dec = io(tiny.decoder.graph);

  it('reads the compiled pair: geometry, the parts a query and a template need, their shapes', () => {
    const c = pairContract(enc, dec);
    expect(c).toEqual(
      E.right({
        geometry: { size: 64, points: 32 },
        image: 'image',
        queryParts: ['features_0', 'features_1', 'features_2', 'features_3', 'tokens_3', 'tokens_2'],
        templateParts: ['tokens_3', 'tokens_2'],
        partDims: {
          features_0: [8, 64, 64],
          features_1: [16, 32, 32],
          features_2: [32, 16, 16],
          features_3: [64, 8, 8],
          tokens_3: [64, 32],
          tokens_2: [64, 32],
        },
      }),
    );
    const small = buildOnePromptPair(configs.small, 0);
    const s = pairContract(io(small.encoder.graph), io(small.decoder.graph));
    expect(E.isRight(s) && [s.right.geometry, s.right.templateParts]).toEqual([{ size: 256, points: 64 }, ['tokens_4', 'tokens_3', 'tokens_2']]);
  });

  it('refuses what does not fit, naming the tensor', () => {
    const small = buildOnePromptPair(configs.small, 0);
    const left = (r: E.Either<string, unknown>) => (E.isLeft(r) ? r.left : 'accepted');
    expect(left(pairContract(enc, io(small.decoder.graph)))).toBe("decoder: input prompt_mask is [B, 1, 256, 256] but the encoder's images are 64×64");
    const renamed = { ...dec, inputs: dec.inputs.map((i) => (i.name === 'template_tokens_2' ? { ...i, name: 'template_tokens_1' } : i)) };
    expect(left(pairContract(enc, renamed))).toBe(
      "decoder: input template_tokens_1 reads the encoder's output tokens_1, which the encoder does not give (it gives features_0, features_1, features_2, features_3, tokens_3, tokens_2)",
    );
    const reshaped = { ...dec, inputs: dec.inputs.map((i) => (i.name === 'query_features_1' ? { ...i, shape: ['B', 16, 16, 16] } : i)) };
    expect(left(pairContract(enc, reshaped))).toBe("decoder: input query_features_1 is [B, 16, 16, 16] but the encoder's features_1 is [B, 16, 32, 32]");
    const odd = { ...dec, inputs: [...dec.inputs, { name: 'extra', shape: ['B', 3] }] };
    expect(left(pairContract(enc, odd))).toBe('decoder: input extra is neither a prompt input nor query_X / template_X (X an encoder output)');
    expect(left(pairContract(enc, { ...dec, inputs: dec.inputs.filter((i) => i.name !== 'prompt_type') }))).toMatch(/^decoder: input\(s\) prompt_type missing/);
    expect(left(pairContract(dec, dec))).toMatch(/^encoder: takes 12 inputs/);
    expect(left(pairContract(enc, { ...dec, outputs: [] }))).toBe('decoder: no output mask_logits (it gives )');
  });
});
