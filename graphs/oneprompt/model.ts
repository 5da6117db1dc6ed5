// The One-Prompt model: encoder (shared by query and template), prompt encoder, One-Prompt Former decoder,
// mask head with multi-scale skips. Inputs and outputs: docs/model-io.md.
//
// `buildOnePrompt` is generic over the configuration: a literal one (`as const`, config.ts) is checked by the compiler
// at the call (ConfigRule), and its dims S (image side), G (grid side, N = G·G tokens), L (embedding length) and
// K (points) type the model's inputs and output. `assembleOnePrompt` wires the modules; its body is checked once at
// those dims' names, which holds for every configuration (embedding.ts says how). It is two halves, `encodeImage` (one
// image → its features and tokens) and `decodePrompt` (the query's encoding, the template's tokens and the prompt →
// mask logits): the one-file model wires them together, split.ts builds each as a graph of its own.
import { add, build, constant, input, matmul, mul, ParamStore, reshape, type Dim, type DimMul, type Graph, type Scope, type Tensor } from '../../src/dsl/index.js';
import { modelDims, validateConfig, type CheckedConfig, type ModelDims, type OnePromptConfig, type TypeBias } from './config.js';
import type { Embedding, FeatureMap } from './embedding.js';
import { encoderLevel, imageEncoder, type EncoderFeatures, type Image } from './encoder.js';
import { maskAtLevel, prototypeMatch } from './prototype.js';
import { formerBlock } from './former.js';
import { maskHead, tokenizer, type MaskLogits } from './head.js';
import { onTokenGrid, promptEncoder, type PromptWires } from './prompt-encoder.js';
import { densePositionalEncoding, fourierBasis } from './positional-encoding.js';
import { OUTPUT_NAME } from './contract.js';

// Its inputs and output are named in contract.ts, the model's I/O contract (INPUT_NAMES, OUTPUT_NAME).

/** The model's six inputs (docs/model-io.md) for input size S and point budget K; any model with this interface fits the CLI and the page. */
export function modelInputs<S extends Dim, K extends Dim>(S: S, K: K) {
  return {
    query: input('query', ['B', 1, S, S]),
    template: input('template', ['B', 1, S, S]),
    ...promptInputs(S, K),
  };
}

/** The prompt's four inputs (docs/model-io.md), the model's and the prompt decoder's (split.ts). */
export function promptInputs<S extends Dim, K extends Dim>(S: S, K: K) {
  return {
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
  const fq = encodeImage(root, query, c, d);
  const ft = encodeImage(root, template, c, d); // same scope: same weights
  const logits = decodePrompt(root, fq, ft, { points, labels, mask, type }, c, d);
  const graph = build({
    name: `oneprompt-${c.name}`,
    inputs,
    outputs: { [OUTPUT_NAME]: logits },
    doc: `One-Prompt segmentation model, configuration ${c.name} (${c.encoder} encoder, ${c.parser} prompting, ${c.masking} masking).`,
  });
  return { graph, store, config: c, inputs, logits };
}

/** Pixels per token on a side at encoder level j: 2^(levels − j), so that every level gives the G×G grid. */
const patchOf = (c: OnePromptConfig, level: number): number => 1 << (c.levels - level);

/** The encoder levels the Former blocks read, block i reading level levels − i (the deepest first). */
export const blockLevels = (c: OnePromptConfig): number[] => Array.from({ length: c.blocks }, (_, i) => c.levels - i);

/**
 * What the image encoder makes of an image, all the decoder needs of it: the levels f_0 … f_levels (the query's
 * skips in the mask head) and, for each Former block i, level (levels − i) cut into the G×G grid's tokens (B, N, L),
 * before the grid's PE is added. The same for query and template; the decoder reads only the tokens of a template.
 */
export interface ImageEncoding<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> {
  readonly features: EncoderFeatures<B>;
  /** Block i's tokens (level levels − i), the deepest first. */
  readonly tokens: readonly Embedding<B, N, L>[];
}
/**
 * The part of a template's encoding the decoder reads: its tokens and, for the prototype route (config.ts
 * `prototypeLevels`), its feature maps at those levels, by level (an encoding's whole `features` list serves).
 */
export interface TemplateEncoding<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> extends Pick<ImageEncoding<B, N, L>, 'tokens'> {
  readonly features?: Readonly<Record<number, FeatureMap<B>>>;
}

/** The image encoder on an image batch (B, 1, S, S): parameters `encoder.*` and `tokens.<level>.*`. */
export function encodeImage<B extends Dim, S extends Dim, G extends Dim, L extends Dim, K extends Dim>(root: Scope, image: Image<B, S>, c: OnePromptConfig, d: ModelDims<S, G, L, K>): ImageEncoding<B, DimMul<G, G>, L>;
export function encodeImage(root: Scope, image: Image<'B', 'S'>, c: OnePromptConfig, d: ModelDims<'S', 'G', 'L', 'K'>): ImageEncoding<'B', DimMul<'G', 'G'>, 'L'> {
  const features = imageEncoder(root.at('encoder'), image, c);
  const tokens = blockLevels(c).map((level) => onTokenGrid(tokenizer(root.at('tokens').at(level), features[level], patchOf(c, level), d.embed), d.grid));
  return { features, tokens };
}

/**
 * The prompt decoder: the prompt encoder, one Former block per level from the deepest, the mask head on the query's
 * levels. Parameters `prompt.*`, `decoder.*`, `head.*`. Mask logits (B, 1, S, S).
 */
export function decodePrompt<B extends Dim, S extends Dim, G extends Dim, L extends Dim, K extends Dim>(
  root: Scope,
  query: ImageEncoding<B, DimMul<G, G>, L>,
  template: TemplateEncoding<NoInfer<B>, DimMul<G, G>, L>,
  prompt: PromptWires<NoInfer<B>, K, S>,
  c: OnePromptConfig,
  d: ModelDims<S, G, L, K>,
): MaskLogits<B, S>;
export function decodePrompt(
  root: Scope,
  query: ImageEncoding<'B', DimMul<'G', 'G'>, 'L'>,
  template: TemplateEncoding<'B', DimMul<'G', 'G'>, 'L'>,
  prompt: PromptWires<'B', 'K', 'S'>,
  c: OnePromptConfig,
  d: ModelDims<'S', 'G', 'L', 'K'>,
): MaskLogits<'B', 'S'> {
  const p = promptEncoder(root.at('prompt'), prompt, { side: d.grid, patch: patchOf(c, 0), embed: d.embed });

  // Query and template tokens carry the grid's dense PE (the prompt maps' own): attention can then match
  // positions as well as content, which is how a prompt on the template reaches the same place in the query.
  const peScope = root.at('prompt').at('pe');
  const gridPE = densePositionalEncoding(peScope, d.grid, fourierBasis(peScope, d.embed)); // (G·G, L)
  let es: Embedding<'B', DimMul<'G', 'G'>, 'L'> | undefined;
  for (let i = 0; i < c.blocks; i++) {
    const eq = add(blockTokens(query, i, c), gridPE);
    const et = add(blockTokens(template, i, c), gridPE);
    es = formerBlock(root.at('decoder').at(i), { eq, et, es: es ?? eq, p1: p.p1, p2: p.p2 }, {
      heads: c.heads,
      ffnRatio: c.ffnRatio,
      prompting: c.parser,
      masking: c.masking,
      aligned: c.aligned,
    });
  }
  if (!es) throw new Error(`config '${c.name}': blocks must be at least 1`);
  // The raster route: prompt_mask once per prompt type, (B, 1, S, S) × (B, 4, 1, 1) → (B, 4, S, S).
  const raster = c.raster ? mul(prompt.mask, reshape(prompt.type, [-1, 4, 1, 1])) : undefined;
  const prototypes = c.prototypeLevels && Object.fromEntries(c.prototypeLevels.map((j) => [j, prototypeAt(j, query, template, prompt, c)]));
  const logits = maskHead(root.at('head'), es, query.features, { grid: d.grid, size: d.size, levels: c.levels, widths: c.widths, raster, prototypes });
  return c.typeBias ? withTypeBias(logits, prompt.type, c.typeBias) : logits;
}

/**
 * The calibration (config.ts `typeBias`): each item's logits shifted by its prompt type's offset, a constant in the
 * graph, (B, 4) · (4, 1) → (B, 1, 1, 1), broadcast over the plane. Every runtime and both files of a pair read it alike.
 */
function withTypeBias<B extends Dim, S extends Dim>(logits: MaskLogits<B, S>, type: Tensor<readonly [B, 4], 'float32'>, bias: TypeBias): MaskLogits<B, S>;
function withTypeBias(logits: MaskLogits<'B', 'S'>, type: Tensor<readonly ['B', 4], 'float32'>, bias: TypeBias): MaskLogits<'B', 'S'> {
  return add(logits, reshape(matmul(type, constant(bias, [4, 1])), [-1, 1, 1, 1]));
}

/** The prototype route's map at encoder level j (prototype.ts), from the query's and the template's level j. */
function prototypeAt<B extends Dim, S extends Dim, K extends Dim>(j: number, query: ImageEncoding<B>, template: TemplateEncoding<B>, prompt: PromptWires<B, K, S>, c: OnePromptConfig): FeatureMap<B, 4>;
function prototypeAt(j: number, query: ImageEncoding<'B'>, template: TemplateEncoding<'B'>, prompt: PromptWires<'B', 'K', 'S'>, c: OnePromptConfig): FeatureMap<'B', 4> {
  if (!template.features?.[j]) throw new RangeError(`config '${c.name}': the prototype route reads the template's encoder level ${j}, which its encoding does not carry`);
  return prototypeMatch(encoderLevel(template.features, c, j), encoderLevel(query.features, c, j), maskAtLevel(prompt.mask, c, j), prompt.type);
}

/** Block i's tokens of an encoding; an encoding made for another configuration is named as such. */
function blockTokens<B extends Dim, N extends Dim, L extends Dim>(e: TemplateEncoding<B, N, L>, i: number, c: OnePromptConfig): Embedding<B, N, L> {
  const t = e.tokens[i];
  if (!t) throw new RangeError(`config '${c.name}': block ${i} reads tokens of level ${c.levels - i}, but the encoding has ${e.tokens.length} token level(s)`);
  return t;
}

/** A configuration's output type, (B, 1, S, S). */
export type OutputOf<C extends OnePromptConfig> = Tensor<readonly ['B', 1, C['size'], C['size']], 'float32'>;

/** @deprecated The former name of TemplateEncoding, from before a template's encoding could carry feature maps. */
export type TemplateTokens<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> = TemplateEncoding<B, N, L>;
