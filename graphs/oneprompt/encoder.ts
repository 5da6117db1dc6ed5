// Image encoders. The same weights encode the query and the template (call with the same scope).
// Both return multi-scale features f_0 … f_levels, f_j of shape (B, widths[j], S/2^j, S/2^j).
import {
  add, conv2dLayer, defineModule, gelu, init, layerNorm, layerNorm2d, linear, maxPool2d, multiHeadAttention, reshape, resize, transpose,
  type Scope, type Shape, type Tensor,
} from '../../src/dsl/index.js';
import type { OnePromptConfig } from './config.js';
import { tokens } from './prompt-encoder.js';

type F = Tensor<Shape, 'float32'>;

/** Two 3×3 convs, each followed by a channel LayerNorm and GELU. */
export const convBlock = defineModule(function convBlock(s: Scope, x: F, out: number): F {
  let h = conv2dLayer(s.at('conv1'), x, { out, kernel: 3, padding: 1 }) as F;
  h = gelu(layerNorm2d(s.at('norm1'), h) as F) as F;
  h = conv2dLayer(s.at('conv2'), h, { out, kernel: 3, padding: 1 }) as F;
  return gelu(layerNorm2d(s.at('norm2'), h) as F) as F;
});

/** U-Net-style CNN: a full-resolution stem, then `levels` stages of 2× max-pool + conv block. */
export const cnnEncoder = defineModule(function cnnEncoder(s: Scope, image: F, c: OnePromptConfig): F[] {
  const feats: F[] = [convBlock(s.at('stem'), image, c.widths[0])];
  for (let j = 1; j <= c.levels; j++) feats.push(convBlock(s.at('stage').at(j), maxPool2d(feats[j - 1], { kernel: 2, stride: 2 }) as F, c.widths[j]));
  return feats;
});

/** A pre-LN ViT block. */
export const vitBlock = defineModule(function vitBlock(s: Scope, x: F, heads: number): F {
  const n1 = layerNorm(s.at('norm1'), x) as F;
  x = add(x, multiHeadAttention(s.at('attn'), n1 as never, n1 as never, { heads }) as F) as F;
  const n2 = layerNorm(s.at('norm2'), x) as F;
  const width = x.shape[2] as number;
  return add(x, linear(s.at('mlp').at('fc2'), gelu(linear(s.at('mlp').at('fc1'), n2, 4 * width) as F) as F, width)) as F;
});

/**
 * SAM ViT-B-style encoder: 2^levels-pixel patches, `depth` blocks; the multi-scale features are read after
 * evenly spaced blocks, projected by 1×1 convs to the CNN widths and resized (bilinear) to each level's size.
 */
export const vitEncoder = defineModule(function vitEncoder(s: Scope, image: F, c: OnePromptConfig): F[] {
  const v = c.vit ?? { width: c.embed * 2, depth: 4, heads: c.heads };
  const patch = 1 << c.levels;
  const side = c.size / patch;
  let x = tokens(conv2dLayer(s.at('patch'), image, { out: v.width, kernel: patch, stride: patch }) as F);
  x = add(x, s.param('pos', [side * side, v.width], init.normal(0.02))) as F;
  const taps = Array.from({ length: c.levels + 1 }, (_, j) => Math.max(1, Math.round(((j + 1) * v.depth) / (c.levels + 1)))); // deeper levels read later blocks
  const grids = new Map<number, F>();
  for (let d = 1; d <= v.depth; d++) {
    x = vitBlock(s.at('blocks').at(d - 1), x, v.heads);
    if (taps.includes(d)) grids.set(d, reshape(transpose(x, [0, 2, 1]) as F, [x.shape[0], v.width, side, side]) as F);
  }
  return taps.map((d, j) => {
    const proj = conv2dLayer(s.at('neck').at(j), grids.get(d)!, { out: c.widths[j], kernel: 1 }) as F;
    const up = 1 << (c.levels - j);
    return up === 1 ? proj : (resize(proj, { scale: up }, 'linear') as F);
  });
});

export const imageEncoder = (s: Scope, image: F, c: OnePromptConfig): F[] => (c.encoder === 'vit' ? vitEncoder(s, image, c) : cnnEncoder(s, image, c));
