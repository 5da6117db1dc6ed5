// The model as two graphs, so that an image is encoded once however many prompts, templates or clicks use it
// (issue 15; contract in docs/model-io.md, "The encoder/decoder pair"):
//   image encoder   image (B, 1, S, S) → features_j (B, C_j, S/2^j, S/2^j), j = 0 … levels,
//                                        tokens_l (B, N, L) for the levels l the Former blocks read
//   prompt decoder  query_features_j, query_tokens_l, template_tokens_l, prompt_* → mask_logits (B, 1, S, S)
//                   (and template_features_j at the prototype route's levels, config.ts `prototypeLevels`)
// They are the one-file model's two halves (model.ts: encodeImage, decodePrompt), the same module functions and
// parameter names; built on one ParamStore (pass the one-file model's) they hold its very weights. The cut: the query's
// levels are the mask head's skips and cannot be cut smaller; the tokenizers run in the encoder, once per image, so a
// template needs only its tokens and the decoder does no per-image work (measurements in docs/model-io.md).
import { build, input, mulDims, ParamStore, type Dim, type DimMul, type Graph } from '../../src/dsl/index.js';
import { modelDims, validateConfig, type CheckedConfig, type GridSide, type ModelDims, type OnePromptConfig } from './config.js';
import type { Embedding, FeatureMap } from './embedding.js';
import type { Image } from './encoder.js';
import type { MaskLogits } from './head.js';
import { blockLevels, decodePrompt, encodeImage, promptInputs, type ImageEncoding, type TemplateEncoding } from './model.js';
import { featuresName, IMAGE_NAME, OUTPUT_NAME, partName, tokensName } from './contract.js';

export interface ImageEncoderGraph<S extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> {
  readonly graph: Graph;
  readonly image: Image<'B', S>;
  readonly encoding: ImageEncoding<'B', N, L>;
}

export interface PromptDecoderGraph<S extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim, K extends Dim = Dim> {
  readonly graph: Graph;
  /** The query's encoding and the template's tokens, as the decoder's inputs. */
  readonly query: ImageEncoding<'B', N, L>;
  readonly template: TemplateEncoding<'B', N, L>;
  readonly prompt: ReturnType<typeof promptInputs<S, K>>;
  /** The output, (B, 1, S, S). */
  readonly logits: MaskLogits<'B', S>;
}

export interface OnePromptPair<S extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim, K extends Dim = Dim> {
  readonly store: ParamStore;
  readonly config: OnePromptConfig;
  readonly encoder: ImageEncoderGraph<S, N, L>;
  readonly decoder: PromptDecoderGraph<S, N, L, K>;
}

/**
 * The image encoder and the prompt decoder of a configuration. `from`: a seed (initial weights, as buildOnePrompt's)
 * or the ParamStore of a model of the same configuration, whose parameters (trained or loaded) the pair then shares.
 */
export function buildOnePromptPair<const C extends OnePromptConfig>(c: CheckedConfig<C>, from: number | ParamStore = 0): OnePromptPair<C['size'], DimMul<GridSide<C>, GridSide<C>>, C['embed'], C['points']> {
  validateConfig(c);
  return assembleOnePromptPair(c, modelDims<C>(c), typeof from === 'number' ? new ParamStore(from) : from);
}

/** The pair wired for the configuration `c` with dims `d`; `buildOnePromptPair` is the entry point. */
export function assembleOnePromptPair<S extends Dim, G extends Dim, L extends Dim, K extends Dim>(c: OnePromptConfig, d: ModelDims<S, G, L, K>, store: ParamStore): OnePromptPair<S, DimMul<G, G>, L, K>;
export function assembleOnePromptPair(c: OnePromptConfig, d: ModelDims<'S', 'G', 'L', 'K'>, store: ParamStore): OnePromptPair<'S', DimMul<'G', 'G'>, 'L', 'K'> {
  const root = store.root();
  const what = `configuration ${c.name} (${c.encoder} encoder, ${c.parser} prompting, ${c.masking} masking)`;

  const image = input(IMAGE_NAME, ['B', 1, d.size, d.size]);
  const encoding = encodeImage(root, image, c, d);
  const levels = blockLevels(c);
  const encoderGraph = build({
    name: `oneprompt-${c.name}-encoder`,
    inputs: { [IMAGE_NAME]: image },
    outputs: {
      ...Object.fromEntries(encoding.features.map((f, j) => [featuresName(j), f])),
      ...Object.fromEntries(encoding.tokens.map((t, i) => [tokensName(levels[i]), t])),
    },
    doc: `One-Prompt image encoder, ${what}: one image's levels and tokens, for the prompt decoder.`,
  });

  // The decoder's inputs are the encoder's outputs, named by role; their shapes are the encoder's.
  const tokensInput = (role: 'query' | 'template', level: number): Embedding<'B', DimMul<'G', 'G'>, 'L'> =>
    input(partName(role, tokensName(level)), ['B', mulDims(d.grid, d.grid), d.embed]);
  const featuresInput = (role: 'query' | 'template', j: number): FeatureMap<'B', number, number> => input(partName(role, featuresName(j)), ['B', c.widths[j], c.size >> j, c.size >> j]);
  const query: ImageEncoding<'B', DimMul<'G', 'G'>, 'L'> = {
    features: encoding.features.map((_, j) => featuresInput('query', j)),
    tokens: levels.map((l) => tokensInput('query', l)),
  };
  // A template's levels only where the prototype route reads them (config.ts `prototypeLevels`).
  const templateLevels = c.prototypeLevels ?? [];
  const templateFeatures = templateLevels.map((j) => [j, featuresInput('template', j)] as const);
  const template: TemplateEncoding<'B', DimMul<'G', 'G'>, 'L'> = { tokens: levels.map((l) => tokensInput('template', l)), features: Object.fromEntries(templateFeatures) };
  const prompt = promptInputs(d.size, d.points);
  const logits = decodePrompt(root, query, template, { points: prompt.prompt_points, labels: prompt.prompt_labels, mask: prompt.prompt_mask, type: prompt.prompt_type }, c, d);
  const decoderGraph = build({
    name: `oneprompt-${c.name}-decoder`,
    inputs: {
      ...Object.fromEntries(query.features.map((f, j) => [partName('query', featuresName(j)), f])),
      ...Object.fromEntries(query.tokens.map((t, i) => [partName('query', tokensName(levels[i])), t])),
      ...Object.fromEntries(template.tokens.map((t, i) => [partName('template', tokensName(levels[i])), t])),
      ...Object.fromEntries(templateFeatures.map(([j, f]) => [partName('template', featuresName(j)), f])),
      ...prompt,
    },
    outputs: { [OUTPUT_NAME]: logits },
    doc: `One-Prompt prompt decoder, ${what}: mask logits from the query's encoding, the template's tokens and the prompt.`,
  });
  return {
    store,
    config: c,
    encoder: { graph: encoderGraph, image, encoding },
    decoder: { graph: decoderGraph, query, template, prompt, logits },
  };
}
