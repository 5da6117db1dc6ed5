// Feature maps → tokens, and the mask head that goes back up with U-Net skip connections.
import { add, concat, conv2dLayer, resize, convTranspose2dLayer, defineModule, gelu, layerNorm2d, reshape, transpose, type Check, type ConcatShape, type Dim, type OrWide, type Scope, type Shape, type Tensor, type ShapeError, type DimsAgree } from '../../src/dsl/index.js';
import type { OnePromptConfig } from './config.js';
import { tokens } from './prompt-encoder.js';

type F = Tensor<Shape, 'float32'>;

/** Level j's feature map (B, C_j, S/2^j, S/2^j) → tokens (B, N, L): a patch conv with 2^(levels−j)-pixel patches. */
export const tokenizer = defineModule(function tokenizer(s: Scope, f: F, patch: number, embed: number): F {
  return tokens(conv2dLayer(s, f, { out: embed, kernel: patch, stride: patch }) as F);
});

/** A skip connection joins two maps of the same size (B, C, H, W) along channels. */
export type SameSize<A extends Shape, K extends Shape> = A extends readonly [Dim, Dim, infer HA, infer WA]
  ? K extends readonly [Dim, Dim, infer HK, infer WK]
    ? DimsAgree<HA, HK> extends true ? (DimsAgree<WA, WK> extends true ? unknown : ShapeError<`skip connection: widths differ (${WA & Dim} vs ${WK & Dim})`>)
      : ShapeError<`skip connection: heights differ (${HA & Dim} vs ${HK & Dim})`>
    : ShapeError<'skip connection: feature maps must be (B, C, H, W)'>
  : ShapeError<'skip connection: feature maps must be (B, C, H, W)'>;

/** (B, C_up + C_skip, H, W): the computed shape, so a caller's later mistakes are still caught. */
export function skipJoin<A extends Shape, K extends Shape>(up: Tensor<A, 'float32'>, skip: Tensor<K, 'float32'> & Check<SameSize<A, K>>): Tensor<OrWide<ConcatShape<[A, K], 1>>, 'float32'> {
  return concat([up as F, skip as F], 1) as never;
}

/** Tokens (B, N, L) → mask logits (B, 1, S, S), joining the query's encoder features at every scale. */
export const maskHead = defineModule(function maskHead(s: Scope, e: F, skips: readonly F[], c: OnePromptConfig): F {
  const side = c.size >> c.levels;
  const grid = reshape(transpose(e, [0, 2, 1]) as F, [e.shape[0], c.embed, side, side]) as F;
  let x = grid;
  for (let j = c.levels; j >= 0; j--) {
    const st = s.at('up').at(j);
    x = skipJoin(x, skips[j] as never);
    x = gelu(layerNorm2d(st.at('norm'), conv2dLayer(st.at('conv'), x, { out: c.widths[j], kernel: 3, padding: 1 }) as F) as F) as F;
    if (j > 0) x = convTranspose2dLayer(st.at('upsample'), x, { out: c.widths[j - 1], kernel: 2, stride: 2 }) as F;
  }
  // A coarse mask read straight off the decoder tokens, upsampled and added to the refined logits: the tokens (the
  // only path that carries template and prompt) get a direct route to the output instead of one diluted by four
  // stages of skip features (measured: without it the trained model ignored the prompt; docs/architecture.md).
  const coarse = conv2dLayer(s.at('coarse'), grid, { out: 1, kernel: 1 }) as F;
  return add(conv2dLayer(s.at('logits'), x, { out: 1, kernel: 1 }) as F, resize(coarse, { scale: 1 << c.levels }, 'linear') as F) as F;
});
