// Model configurations. Literal types (`as const`) let the compiler check every part's shapes.

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
}

export const tiny = {
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
} as const satisfies OnePromptConfig;

export const small = {
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
} as const satisfies OnePromptConfig;

/** 1024² input, 16-pixel tokens (N = 4096): sized to the paper's 192 M parameters (see docs/architecture.md). */
export const base = {
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
} as const satisfies OnePromptConfig;

/**
 * tiny's widths at 128², with 8-pixel tokens (a 16×16 grid): brain structures of the NeuroMaps atlas span a median
 * 8–10 pixels here (2–3 tokens) where at 64² they span 4–5 (one token). Issue 14.
 */
export const tiny128 = {
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
} as const satisfies OnePromptConfig;

export const configs = { tiny, small, base, tiny128 } as const;
export type ConfigName = keyof typeof configs;

/** Tokens on a side of the grid, and in all. */
export const gridSide = (c: OnePromptConfig): number => c.size >> c.levels;
export const tokenCount = (c: OnePromptConfig): number => gridSide(c) ** 2;

/** A configuration with the Prompt-Parser ablation options applied. */
export function withVariant(c: OnePromptConfig, v: { parser?: PromptingStep; masking?: MaskingStep; encoder?: EncoderKind }): OnePromptConfig {
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
}
