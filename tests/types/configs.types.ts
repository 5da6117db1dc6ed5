// Every configuration and variant checks: `buildOnePrompt` takes each literal configuration (tiny, small, base, tiny128, brain128, brain128r, brain128p, brain128d, brain128g, the
// 12 Prompt-Parser variants of tiny and its ViT encoder) through ConfigRule, and the model's inputs and output carry
// its dims. The calls sit in functions that are never run: this file is compiled, not executed.
import type { Tensor } from '../../src/dsl/tensor.js';
import {
  base,
  configs,
  gridSide,
  modelDims,
  sideAt,
  small,
  tiny,
  tiny128,
  brain128,
  brain128r,
  brain128p,
  brain128d,
  brain128g,
  withVariant,
  type GridSide,
  type OnePromptConfig,
  type SideAt,
  type TokenCount,
} from '../../graphs/oneprompt/config.js';
import { buildOnePrompt, modelInputs } from '../../graphs/oneprompt/model.js';
import { encoderLevel, imageEncoder } from '../../graphs/oneprompt/encoder.js';
import { ParamStore } from '../../src/dsl/params.js';
import { buildGatedTiny } from '../../graphs/examples/gated-tiny.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <A, B>(_check: Equals<A, B>): void => undefined;
type ShapeOf<T> = T extends Tensor<infer S, any> ? S : never;

// ---- the configurations' dims, computed by the compiler (and by the code: model-dims test) ----
assertType<GridSide<typeof tiny>, 8>(true);
assertType<GridSide<typeof small>, 16>(true);
assertType<GridSide<typeof base>, 64>(true);
assertType<TokenCount<typeof tiny>, 64>(true);
assertType<TokenCount<typeof small>, 256>(true);
assertType<TokenCount<typeof base>, 4096>(true);
assertType<GridSide<typeof tiny128>, 16>(true);
assertType<TokenCount<typeof tiny128>, 256>(true);
assertType<GridSide<typeof brain128>, 16>(true);
assertType<TokenCount<typeof brain128>, 256>(true);
assertType<SideAt<typeof base, 2>, 256>(true);
assertType<ReturnType<typeof sideAt<typeof tiny, 1>>, 32>(true);
assertType<ReturnType<typeof gridSide<typeof small>>, 16>(true);
assertType<ReturnType<typeof modelDims<typeof base>>['grid'], 64>(true);
// a configuration known only at run time (a JSON file, the CLI) gives wide dims, checked when the model is built
assertType<GridSide<OnePromptConfig>, number>(true);

// ---- each configuration builds a model whose output is (B, 1, S, S) ----
const tinyModel = () => buildOnePrompt(tiny);
const smallModel = () => buildOnePrompt(small, 3);
const baseModel = () => buildOnePrompt(configs.base);
assertType<ShapeOf<ReturnType<typeof tinyModel>['logits']>, readonly ['B', 1, 64, 64]>(true);
assertType<ShapeOf<ReturnType<typeof smallModel>['logits']>, readonly ['B', 1, 256, 256]>(true);
assertType<ShapeOf<ReturnType<typeof baseModel>['logits']>, readonly ['B', 1, 1024, 1024]>(true);
const tiny128Model = () => buildOnePrompt(tiny128);
assertType<ShapeOf<ReturnType<typeof tiny128Model>['logits']>, readonly ['B', 1, 128, 128]>(true);
const brain128Model = () => buildOnePrompt(brain128);
assertType<ShapeOf<ReturnType<typeof brain128Model>['logits']>, readonly ['B', 1, 128, 128]>(true);
const brain128rModel = () => buildOnePrompt(brain128r);
assertType<ShapeOf<ReturnType<typeof brain128rModel>['logits']>, readonly ['B', 1, 128, 128]>(true);
const brain128pModel = () => buildOnePrompt(brain128p);
assertType<ShapeOf<ReturnType<typeof brain128pModel>['logits']>, readonly ['B', 1, 128, 128]>(true);
const brain128dModel = () => buildOnePrompt(brain128d);
assertType<ShapeOf<ReturnType<typeof brain128dModel>['logits']>, readonly ['B', 1, 128, 128]>(true);
const brain128gModel = () => buildOnePrompt(brain128g);
assertType<ShapeOf<ReturnType<typeof brain128gModel>['logits']>, readonly ['B', 1, 128, 128]>(true);
assertType<ShapeOf<ReturnType<typeof tinyModel>['inputs']['prompt_points']>, readonly ['B', 32, 2]>(true);
assertType<ShapeOf<ReturnType<typeof baseModel>['inputs']['query']>, readonly ['B', 1, 1024, 1024]>(true);
assertType<ShapeOf<ReturnType<typeof modelInputs<64, 32>>['prompt_mask']>, readonly ['B', 1, 64, 64]>(true);

// ---- all 12 Prompt-Parser variants and the ViT encoder ----
export const variants = () => [
  buildOnePrompt(withVariant(tiny, { parser: 'add', masking: 'add' })),
  buildOnePrompt(withVariant(tiny, { parser: 'add', masking: 'binary' })),
  buildOnePrompt(withVariant(tiny, { parser: 'add', masking: 'norm' })),
  buildOnePrompt(withVariant(tiny, { parser: 'add', masking: 'gaussian' })),
  buildOnePrompt(withVariant(tiny, { parser: 'concat-mlp', masking: 'add' })),
  buildOnePrompt(withVariant(tiny, { parser: 'concat-mlp', masking: 'binary' })),
  buildOnePrompt(withVariant(tiny, { parser: 'concat-mlp', masking: 'norm' })),
  buildOnePrompt(withVariant(tiny, { parser: 'concat-mlp', masking: 'gaussian' })),
  buildOnePrompt(withVariant(tiny, { parser: 'stack-mlp', masking: 'add' })),
  buildOnePrompt(withVariant(tiny, { parser: 'stack-mlp', masking: 'binary' })),
  buildOnePrompt(withVariant(tiny, { parser: 'stack-mlp', masking: 'norm' })),
  buildOnePrompt(withVariant(tiny, { parser: 'stack-mlp', masking: 'gaussian' })),
  buildOnePrompt(withVariant(tiny, { encoder: 'vit' })),
  buildOnePrompt(withVariant(small, { parser: 'concat-mlp', masking: 'binary' })),
];
assertType<ShapeOf<ReturnType<typeof variants>[number]['logits']>, readonly ['B', 1, 64, 64] | readonly ['B', 1, 256, 256]>(true);

// ---- an encoder level read with its dims ----
const levels = () => {
  const features = imageEncoder(new ParamStore(0).root().at('encoder'), modelInputs(64, 32).query, tiny);
  return [encoderLevel(features, tiny, 0), encoderLevel(features, tiny, 3)] as const;
};
assertType<ShapeOf<ReturnType<typeof levels>[0]>, readonly ['B', 8, 64, 64]>(true);
assertType<ShapeOf<ReturnType<typeof levels>[1]>, readonly ['B', 64, 8, 8]>(true);

// ---- a user's own variant (graphs/examples/gated-tiny.ts) gets the same checking ----
assertType<ShapeOf<ReturnType<typeof buildGatedTiny>['logits']>, ['B', 1, 64, 64]>(true);

// ---- the encoder/decoder pair (split.ts) carries the same dims: image (B, 1, S, S), tokens (B, N, L), logits ----
const tinyPair = () => buildOnePromptPair(tiny);
const basePair = () => buildOnePromptPair(base);
type TinyPair = ReturnType<typeof tinyPair>;
type BasePair = ReturnType<typeof basePair>;
assertType<ShapeOf<TinyPair['encoder']['image']>, readonly ['B', 1, 64, 64]>(true);
assertType<ShapeOf<TinyPair['encoder']['encoding']['tokens'][number]>, readonly ['B', 64, 32]>(true);
assertType<ShapeOf<TinyPair['decoder']['template']['tokens'][number]>, readonly ['B', 64, 32]>(true);
assertType<ShapeOf<TinyPair['decoder']['prompt']['prompt_points']>, readonly ['B', 32, 2]>(true);
assertType<ShapeOf<TinyPair['decoder']['logits']>, readonly ['B', 1, 64, 64]>(true);
assertType<ShapeOf<BasePair['decoder']['query']['tokens'][number]>, readonly ['B', 4096, 256]>(true);
assertType<ShapeOf<BasePair['decoder']['logits']>, readonly ['B', 1, 1024, 1024]>(true);
