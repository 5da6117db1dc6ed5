// The One-Prompt model: encoder (shared by query and template), prompt encoder, One-Prompt Former decoder,
// mask head with multi-scale skips. Inputs and outputs: docs/model-io.md.
//
// `buildOnePrompt` is generic over the configuration: a literal one (`as const`, config.ts) is checked by the compiler
// at the call (ConfigRule), and its dims S (image side), G (grid side, N = G·G tokens), L (embedding length) and
// K (points) type the model's inputs and output. `assembleOnePrompt` wires the modules; its body is checked once at
// those dims' names, which holds for every configuration (embedding.ts says how).
import { add, build, input, ParamStore, type Dim, type DimMul, type Graph, type Tensor } from '../../src/dsl/index.js';
import { modelDims, validateConfig, type CheckedConfig, type ModelDims, type OnePromptConfig } from './config.js';
import type { Embedding } from './embedding.js';
import { imageEncoder } from './encoder.js';
import { formerBlock } from './former.js';
import { maskHead, tokenizer, type MaskLogits } from './head.js';
import { onTokenGrid, promptEncoder } from './prompt-encoder.js';
import { densePositionalEncoding, fourierBasis } from './positional-encoding.js';

export const INPUT_NAMES = ['query', 'template', 'prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'] as const;
export const OUTPUT_NAME = 'mask_logits';

/** The model's six inputs (docs/model-io.md) for input size S and point budget K; any model with this interface fits the CLI and the page. */
export function modelInputs<S extends Dim, K extends Dim>(S: S, K: K) {
  return {
    query: input('query', ['B', 1, S, S]),
    template: input('template', ['B', 1, S, S]),
    prompt_points: input('prompt_points', ['B', K, 2]),
    prompt_labels: input('prompt_labels', ['B', K]),
    prompt_mask: input('prompt_mask', ['B', 1, S, S]),
    prompt_type: input('prompt_type', ['B', 4]),
  };
}
export type ModelInputs<S extends Dim = Dim, K extends Dim = Dim> = ReturnType<typeof modelInputs<S, K>>;

export interface OnePromptModel<S extends Dim = Dim, K extends Dim = Dim> {
  readonly graph: Graph;
  readonly store: ParamStore;
  readonly config: OnePromptConfig;
  readonly inputs: ModelInputs<S, K>;
  /** The output, (B, 1, S, S). */
  readonly logits: MaskLogits<'B', S>;
}

/** Build the model graph for a configuration; parameters are initialised from `seed` when first used. */
export function buildOnePrompt<const C extends OnePromptConfig>(c: CheckedConfig<C>, seed = 0): OnePromptModel<C['size'], C['points']> {
  validateConfig(c);
  return assembleOnePrompt(c, modelDims(c), seed);
}

/** The model wired for the configuration `c` with dims `d` (S, G, L, K); `buildOnePrompt` is the entry point. */
export function assembleOnePrompt<S extends Dim, G extends Dim, L extends Dim, K extends Dim>(c: OnePromptConfig, d: ModelDims<S, G, L, K>, seed: number): OnePromptModel<S, K>;
export function assembleOnePrompt(c: OnePromptConfig, d: ModelDims<'S', 'G', 'L', 'K'>, seed: number): OnePromptModel<'S', 'K'> {
  const inputs = modelInputs(d.size, d.points);
  const { query, template, prompt_points: points, prompt_labels: labels, prompt_mask: mask, prompt_type: type } = inputs;

  const store = new ParamStore(seed);
  const root = store.root();
  const fq = imageEncoder(root.at('encoder'), query, c);
  const ft = imageEncoder(root.at('encoder'), template, c); // same scope: same weights
  const patchOf = (level: number) => 1 << (c.levels - level);
  const prompt = promptEncoder(root.at('prompt'), { points, labels, mask, type }, { side: d.grid, patch: patchOf(0), embed: d.embed });

  // Query and template tokens carry the grid's dense PE (the prompt maps' own): attention can then match
  // positions as well as content, which is how a prompt on the template reaches the same place in the query.
  const peScope = root.at('prompt').at('pe');
  const gridPE = densePositionalEncoding(peScope, d.grid, fourierBasis(peScope, d.embed)); // (G·G, L)
  const tokensOf = (f: (typeof fq)[number], level: number): Embedding<'B', DimMul<'G', 'G'>, 'L'> =>
    add(onTokenGrid(tokenizer(root.at('tokens').at(level), f, patchOf(level), d.embed), d.grid), gridPE);
  let es: Embedding<'B', DimMul<'G', 'G'>, 'L'> | undefined;
  for (let i = 0; i < c.blocks; i++) {
    const level = c.levels - i;
    const eq = tokensOf(fq[level], level);
    const et = tokensOf(ft[level], level);
    es = formerBlock(root.at('decoder').at(i), { eq, et, es: es ?? eq, p1: prompt.p1, p2: prompt.p2 }, {
      heads: c.heads,
      ffnRatio: c.ffnRatio,
      prompting: c.parser,
      masking: c.masking,
      aligned: c.aligned,
    });
  }
  if (!es) throw new Error(`config '${c.name}': blocks must be at least 1`);
  const logits = maskHead(root.at('head'), es, fq, { grid: d.grid, size: d.size, levels: c.levels, widths: c.widths });
  const graph = build({
    name: `oneprompt-${c.name}`,
    inputs,
    outputs: { [OUTPUT_NAME]: logits },
    doc: `One-Prompt segmentation model, configuration ${c.name} (${c.encoder} encoder, ${c.parser} prompting, ${c.masking} masking).`,
  });
  return { graph, store, config: c, inputs, logits };
}

/** A configuration's output type, (B, 1, S, S). */
export type OutputOf<C extends OnePromptConfig> = Tensor<readonly ['B', 1, C['size'], C['size']], 'float32'>;
