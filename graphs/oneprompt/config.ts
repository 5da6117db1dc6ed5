// Model configurations. Literal types (`as const`) let the compiler check every part's shapes: `buildOnePrompt` is
// generic over the configuration, `ConfigRule` checks its arithmetic at the call, and its dims (S, G, L, K) flow into
// every module (model.ts).
import type { Check, Dim, DimMul, HalfDim, ShapeError } from '../../src/dsl/index.js';
import type { Add, Cmp, IsLiteral, Mod } from '../../src/dsl/types/shape.js';

export type PromptingStep = 'add' | 'concat-mlp' | 'stack-mlp';
export type MaskingStep = 'add' | 'binary' | 'norm' | 'gaussian';
export type EncoderKind = 'cnn' | 'vit';

export interface OnePromptConfig {
  readonly name: string;
  /** Square input size S (images are resized to S×S). */
  readonly size: number;
  /** Encoder stages; each halves the resolution. The token grid is S / 2^levels on a side. */
  readonly levels: number;
  /** CNN encoder channels: the full-resolution stem, then one entry per stage (levels + 1 entries). */
  readonly widths: readonly number[];
  readonly encoder: EncoderKind;
  /** ViT encoder: width, depth and heads (only when encoder = 'vit'). */
  readonly vit?: { readonly width: number; readonly depth: number; readonly heads: number };
  /** Token embedding length L. */
  readonly embed: number;
  readonly heads: number;
  /** One-Prompt Former blocks, one per encoder level from the deepest (≤ levels + 1). */
  readonly blocks: number;
  /** Feed-forward hidden width as a multiple of L. */
  readonly ffnRatio: number;
  /** Point budget K for Click/BBox/Doodle prompts. */
  readonly points: number;
  readonly parser: PromptingStep;
  readonly masking: MaskingStep;
  /**
   * The aligned route (docs/architecture.md): each Former block also adds the template branch's token at the same grid
   * cell to the query branch, so that a prompt reaches the query where it lies on the template before attention has
   * learnt to match positions. Default false (the paper's block).
   */
  readonly aligned?: boolean;
  /**
   * The raster route (docs/architecture.md): the mask head also reads the prompt drawn at pixel resolution
   * (`prompt_mask`: the SegLab mask, or the Click/BBox/Doodle prompt rasterised; docs/model-io.md), one channel per prompt
   * type, at every rung of its ladder and on the logits. Structures of 5–10 pixels are smaller than a token; the
   * token grid alone cannot say which pixels a prompt marked. Default false (the paper's head).
   */
  readonly raster?: boolean;
  /**
   * The prototype route (prototype.ts, docs/architecture.md): at each listed encoder level j, the template's features
   * under the prompt are pooled into one vector, and the head's rung j also reads every query pixel's cosine similarity
   * to it, one channel per prompt type. The route tells which query pixels look like what the prompt marked, at a finer
   * grain than the tokens; its parameters start at zero. Levels in 0..levels, each once. Default none (the paper's head).
   */
  readonly prototypeLevels?: readonly number[];
  /**
   * Residual refinement blocks in the CNN encoder (encoder.ts `refineBlock`, docs/architecture.md): at each listed
   * level j, f_j + conv(GELU(LN(conv(f_j)))) through refineExpansion·widths[j] channels, the second conv starting at
   * zero. More capacity where structures of 5–10 pixels live, added to a trained model without changing its output at
   * the start. Levels in 0..levels, each once. Default none.
   */
  readonly refineLevels?: readonly number[];
  /** A refinement block's hidden channels per channel of its level (default 2). */
  readonly refineExpansion?: number;
  /**
   * A refinement block's branch times a learnt scalar that starts at zero (ReZero, Bachlechner et al. 2020), its
   * output conv initialised as any other, instead of an output conv that starts at zero. Adam moves each weight of a
   * zero-started conv by about the learning rate from the first step, which disturbs the trained model; the gate is one
   * number per block. Default false.
   */
  readonly refineGate?: boolean;
  /**
   * A calibration, not a parameter: a logit offset per prompt type (click, bbox, doodle, seglab; +1: more foreground),
   * added to mask_logits by the item's `prompt_type`. Chosen after training on validation structures (docs/brain-data.md)
   * and set at compile time (`compile --type-bias`); training never sees it. Default none (offset 0).
   */
  readonly typeBias?: TypeBias;
}

/** One logit offset per prompt type, in PROMPT_TYPES order: click, bbox, doodle, seglab. */
export type TypeBias = readonly [click: number, bbox: number, doodle: number, seglab: number];

/**
 * A configuration whose numbers stay literal (their dims flow into every module), checked by the compiler (ConfigRule)
 * where it is written and by validateConfig when the module loads.
 */
export function defineConfig<const C extends OnePromptConfig>(c: CheckedConfig<C>): C {
  validateConfig(c);
  return c;
}

export const tiny = defineConfig({
  name: 'tiny',
  size: 64,
  levels: 3,
  widths: [8, 16, 32, 64],
  encoder: 'cnn',
  embed: 32,
  heads: 2,
  blocks: 2,
  ffnRatio: 2,
  points: 32,
  parser: 'stack-mlp',
  masking: 'gaussian',
});

export const small = defineConfig({
  name: 'small',
  size: 256,
  levels: 4,
  widths: [16, 32, 64, 128, 256],
  encoder: 'cnn',
  embed: 128,
  heads: 4,
  blocks: 3,
  ffnRatio: 4,
  points: 64,
  parser: 'stack-mlp',
  masking: 'gaussian',
});

/** 1024² input, 16-pixel tokens (N = 4096): sized to the paper's 192 M parameters (see docs/architecture.md). */
export const base = defineConfig({
  name: 'base',
  size: 1024,
  levels: 4,
  widths: [64, 128, 256, 512, 1024],
  encoder: 'cnn',
  embed: 256,
  heads: 8,
  blocks: 3,
  ffnRatio: 4,
  points: 64,
  parser: 'stack-mlp',
  masking: 'gaussian',
});

/**
 * tiny's widths at 128², with 8-pixel tokens (a 16×16 grid): brain structures of the NeuroMaps atlas span a median
 * 8–10 pixels here (2–3 tokens) where at 64² they span 4–5 (one token). Issue 14.
 */
export const tiny128 = defineConfig({
  name: 'tiny128',
  size: 128,
  levels: 3,
  widths: [8, 16, 32, 64],
  encoder: 'cnn',
  embed: 32,
  heads: 2,
  blocks: 2,
  ffnRatio: 2,
  points: 32,
  parser: 'stack-mlp',
  masking: 'gaussian',
});

/**
 * tiny128 with the aligned route (issue 14): trained tiny128 models ignored the prompt on brain structures, whose
 * prompt covers 1–2 of 256 tokens and reaches the query only through attention that starts uniform (1/256 of it);
 * the aligned route carries it to the same cell of the query from the first step (measured in docs/brain-data.md).
 */
export const brain128 = defineConfig({ ...tiny128, name: 'brain128', aligned: true });

/**
 * brain128 with the raster route (issue 14): the prompt reaches the mask head at pixel resolution, so a prompt on a
 * structure smaller than a token says which pixels it marked (measured in docs/brain-data.md).
 */
export const brain128r = defineConfig({ ...brain128, name: 'brain128r', raster: true });

/**
 * brain128r with the prototype route at levels 1 and 2 (64² and 32² of the 128² image; issue 14): every query pixel
 * there is compared with the template's features under the prompt (prototype.ts).
 */
export const brain128p = defineConfig({ ...brain128r, name: 'brain128p', prototypeLevels: [1, 2] });

/**
 * brain128r with refinement blocks at encoder levels 1 and 2 (64² and 32²; issue 14): twice the encoder's channels
 * there, in a residual branch that starts at zero (encoder.ts `refineBlock`).
 */
export const brain128d = defineConfig({ ...brain128r, name: 'brain128d', refineLevels: [1, 2] });

/** brain128d with each block's branch behind a scalar gate that starts at zero (`refineGate`). */
export const brain128g = defineConfig({ ...brain128d, name: 'brain128g', refineGate: true });

export const configs = { tiny, small, base, tiny128, brain128, brain128r, brain128p, brain128d, brain128g } as const;
export type ConfigName = keyof typeof configs;

// ---------------- the configuration's dims at the type level ----------------

/** 2^j for the levels a configuration can have (a table: type-level arithmetic needs literals, and levels are few). */
type Pow2 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
type LiteralConfig<C extends OnePromptConfig> = IsLiteral<C['size']> extends true ? IsLiteral<C['levels']> : false;

/** The side of encoder level J: S / 2^J, halved J times (`number` unless the configuration is literal). */
export type SideAt<C extends OnePromptConfig, J extends number> = LiteralConfig<C> extends true ? (IsLiteral<J> extends true ? Halved<C['size'], J> : number) : number;
type Halved<S extends number, J extends number, Count extends 1[] = []> = Count['length'] extends J ? S : HalfDim<S> extends infer H extends number ? Halved<H, J, [...Count, 1]> : number;
/** Tokens on a side of the grid, G = S / 2^levels. */
export type GridSide<C extends OnePromptConfig> = SideAt<C, C['levels']>;
/** Tokens in all, N = G². */
export type TokenCount<C extends OnePromptConfig> = DimMul<GridSide<C>, GridSide<C>>;

/**
 * The side of encoder level j, S / 2^j. Its type is the same arithmetic (`SideAt`) on the configuration's literals,
 * computed by the compiler; tests/types compare the two for every configuration.
 */
export function sideAt<const C extends OnePromptConfig, const J extends number>(c: C, j: J): SideAt<C, J>;
export function sideAt(c: OnePromptConfig, j: number): SideAt<OnePromptConfig, number> {
  return c.size >> j;
}
/** Tokens on a side of the grid, G = S / 2^levels, and in all, N = G². */
export const gridSide = <const C extends OnePromptConfig>(c: C): GridSide<C> => sideAt(c, c.levels);
export const tokenCount = <const C extends OnePromptConfig>(c: C): number => gridSide(c) ** 2;

/** The dims a configuration gives the model: image side S, grid side G (N = G·G tokens), embedding length L, points K. */
export interface ModelDims<S extends Dim = Dim, G extends Dim = Dim, L extends Dim = Dim, K extends Dim = Dim> {
  readonly size: S;
  readonly grid: G;
  readonly embed: L;
  readonly points: K;
}
export type DimsOf<C extends OnePromptConfig> = ModelDims<C['size'], GridSide<C>, C['embed'], C['points']>;
export const modelDims = <const C extends OnePromptConfig>(c: C): DimsOf<C> => ({ size: c.size, grid: gridSide(c), embed: c.embed, points: c.points });

type Fails<R> = R extends ShapeError<string> ? R : never;
type First<Rs extends readonly unknown[]> = Rs extends readonly [infer R, ...infer Rest] ? ([Fails<R>] extends [never] ? First<Rest> : R) : unknown;
type Lit<N> = IsLiteral<N>;
/**
 * The configuration's arithmetic, checked by the compiler when its numbers are literals (as validateConfig checks
 * every configuration when the model is built): `unknown`, or the first rule it breaks as a sentence.
 */
export type ConfigRule<C extends OnePromptConfig> = First<[
  Lit<C['levels']> extends true ? (Cmp<C['levels'], 13> extends 'l' ? unknown : ShapeError<`config: levels must be at most 12, got ${C['levels']}`>) : unknown,
  LiteralConfig<C> extends true
    ? Mod<C['size'], Pow2[C['levels']]> extends 0 ? unknown : ShapeError<`config: size ${C['size']} is not divisible by 2^levels = ${Pow2[C['levels']]}`>
    : unknown,
  Lit<C['levels']> extends true
    ? number extends C['widths']['length'] ? unknown
    : C['widths']['length'] extends Add<C['levels'], 1> ? unknown : ShapeError<`config: widths has ${C['widths']['length']} entries, needs levels + 1 = ${Add<C['levels'], 1>}`>
    : unknown,
  Lit<C['blocks']> extends true
    ? Lit<C['levels']> extends true
      ? C['blocks'] extends 0 ? ShapeError<`config: blocks must be in 1..${Add<C['levels'], 1>}, got 0`>
      : Cmp<C['blocks'], Add<C['levels'], 2>> extends 'l' ? unknown : ShapeError<`config: blocks must be in 1..${Add<C['levels'], 1>}, got ${C['blocks']}`>
      : unknown
    : unknown,
  Lit<C['heads']> extends true ? (Lit<C['embed']> extends true ? (Mod<C['embed'], C['heads']> extends 0 ? unknown : ShapeError<`config: ${C['heads']} heads do not divide the embedding ${C['embed']}`>) : unknown) : unknown,
  Lit<C['embed']> extends true ? (Mod<C['embed'], 4> extends 0 ? unknown : ShapeError<`config: embedding ${C['embed']} must be a multiple of 4 (Fourier features)`>) : unknown,
  C['vit'] extends { readonly width: infer W extends number; readonly heads: infer H extends number }
    ? Lit<W> extends true ? (Lit<H> extends true ? (Mod<W, H> extends 0 ? unknown : ShapeError<`config: ${H} ViT heads do not divide the ViT width ${W}`>) : unknown) : unknown
    : unknown,
]>;
/** A configuration argument checked by `ConfigRule`. */
export type CheckedConfig<C extends OnePromptConfig> = C & Check<ConfigRule<C>>;

export interface VariantOptions {
  readonly parser?: PromptingStep;
  readonly masking?: MaskingStep;
  readonly encoder?: EncoderKind;
}

/** A configuration with the Prompt-Parser ablation options applied (its dims stay as they were). */
export function withVariant<const C extends OnePromptConfig>(c: C, v: VariantOptions): Omit<C, 'parser' | 'masking' | 'encoder' | 'vit'> & Pick<OnePromptConfig, 'parser' | 'masking' | 'encoder' | 'vit'> {
  const encoder = v.encoder ?? c.encoder;
  const vit = encoder === 'vit' ? (c.vit ?? { width: c.embed * 2, depth: 4, heads: c.heads }) : c.vit;
  return { ...c, parser: v.parser ?? c.parser, masking: v.masking ?? c.masking, encoder, vit };
}

export function validateConfig(c: OnePromptConfig): void {
  const fail = (m: string) => {
    throw new Error(`config '${c.name}': ${m}`);
  };
  if (c.size % (1 << c.levels) !== 0) fail(`size ${c.size} is not divisible by 2^levels = ${1 << c.levels}`);
  if (c.widths.length !== c.levels + 1) fail(`widths has ${c.widths.length} entries, needs levels + 1 = ${c.levels + 1}`);
  if (c.blocks < 1 || c.blocks > c.levels + 1) fail(`blocks must be in 1..${c.levels + 1}, got ${c.blocks}`);
  if (c.embed % c.heads !== 0) fail(`${c.heads} heads do not divide the embedding ${c.embed}`);
  if (c.embed % 4 !== 0) fail(`embedding ${c.embed} must be a multiple of 4 (Fourier features)`);
  if (c.typeBias && (c.typeBias.length !== 4 || c.typeBias.some((v) => !Number.isFinite(v))))
    fail(`typeBias needs 4 finite logit offsets (click, bbox, doodle, seglab), got [${c.typeBias.join(', ')}]`);
  for (const option of ['prototypeLevels', 'refineLevels'] as const) {
    const levels = c[option] ?? [];
    if (levels.some((j) => !Number.isInteger(j) || j < 0 || j > c.levels) || new Set(levels).size !== levels.length)
      fail(`${option} must be distinct encoder levels in 0..${c.levels}, got [${levels.join(', ')}]`);
  }
  const refine = c.refineLevels ?? [];
  if (c.refineExpansion !== undefined && !(Number.isInteger(c.refineExpansion) && c.refineExpansion >= 1))
    fail(`refineExpansion must be a positive integer, got ${c.refineExpansion}`);
  if (refine.length > 0 && c.encoder !== 'cnn') fail(`refineLevels refine the CNN encoder's levels; encoder is '${c.encoder}'`);
  if (c.vit && c.vit.width % c.vit.heads !== 0) fail(`${c.vit.heads} ViT heads do not divide the ViT width ${c.vit.width}`);
}
