// The One-Prompt model: encoder (shared by query and template), prompt encoder, One-Prompt Former decoder,
// mask head with multi-scale skips. Inputs and outputs: docs/model-io.md.
import { add, build, input, ParamStore, type Graph, type Shape, type Tensor } from '../../src/dsl/index.js';
import { gridSide, tokenCount, validateConfig, type OnePromptConfig } from './config.js';
import { imageEncoder } from './encoder.js';
import { formerBlock } from './former.js';
import { maskHead, tokenizer } from './head.js';
import { promptEncoder } from './prompt-encoder.js';
import { densePositionalEncoding, fourierBasis } from './positional-encoding.js';

type F = Tensor<Shape, 'float32'>;

export interface OnePromptModel {
  readonly graph: Graph;
  readonly store: ParamStore;
  readonly config: OnePromptConfig;
}

export const INPUT_NAMES = ['query', 'template', 'prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'] as const;
export const OUTPUT_NAME = 'mask_logits';

/** The model's six inputs (docs/model-io.md) for input size S and point budget K; any model with this interface fits the CLI and the page. */
export function modelInputs(S: number, K: number) {
  return {
    query: input('query', ['B', 1, S, S]),
    template: input('template', ['B', 1, S, S]),
    prompt_points: input('prompt_points', ['B', K, 2]),
    prompt_labels: input('prompt_labels', ['B', K]),
    prompt_mask: input('prompt_mask', ['B', 1, S, S]),
    prompt_type: input('prompt_type', ['B', 4]),
  };
}

/** Build the model graph for a configuration; parameters are initialised from `seed` when first used. */
export function buildOnePrompt(c: OnePromptConfig, seed = 0): OnePromptModel {
  validateConfig(c);
  const inputs = modelInputs(c.size, c.points);
  const { query, template, prompt_points: points, prompt_labels: labels, prompt_mask: mask, prompt_type: type } = inputs;

  const store = new ParamStore(seed);
  const root = store.root();
  const fq = imageEncoder(root.at('encoder'), query as F, c);
  const ft = imageEncoder(root.at('encoder'), template as F, c); // same scope: same weights
  const patchOf = (level: number) => 1 << (c.levels - level);
  const prompt = promptEncoder(root.at('prompt'), { points: points as F, labels: labels as F, mask: mask as F, type: type as F }, { side: gridSide(c), patch: patchOf(0), embed: c.embed });

  // Query and template tokens carry the grid's dense PE (the prompt maps' own): attention can then match
  // positions as well as content, which is how a prompt on the template reaches the same place in the query.
  const peScope = root.at('prompt').at('pe');
  const gridPE = densePositionalEncoding(peScope, gridSide(c), fourierBasis(peScope, c.embed)) as F;
  const tokensOf = (f: F, level: number) => add(tokenizer(root.at('tokens').at(level), f, patchOf(level), c.embed), gridPE) as F;
  let es: F | undefined;
  for (let i = 0; i < c.blocks; i++) {
    const level = c.levels - i;
    const eq = tokensOf(fq[level], level);
    const et = tokensOf(ft[level], level);
    es = formerBlock(root.at('decoder').at(i), { eq, et, es: es ?? eq, p1: prompt.p1, p2: prompt.p2 }, {
      heads: c.heads,
      ffnRatio: c.ffnRatio,
      prompting: c.parser,
      masking: c.masking,
      tokens: tokenCount(c),
      embed: c.embed,
    });
  }
  const logits = maskHead(root.at('head'), es!, fq, c);
  const graph = build({
    name: `oneprompt-${c.name}`,
    inputs,
    outputs: { [OUTPUT_NAME]: logits },
    doc: `One-Prompt segmentation model, configuration ${c.name} (${c.encoder} encoder, ${c.parser} prompting, ${c.masking} masking).`,
  });
  return { graph, store, config: c };
}
