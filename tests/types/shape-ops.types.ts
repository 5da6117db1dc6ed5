// Type tests for the shape ops: each @ts-expect-error line must be rejected by the compiler
// (tsc fails if it is not); the accepted lines pin the shapes the type-level rules compute.
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { concat, flatten, reshape, slice, split, squeeze, stack, transpose, unsqueeze } from '../../src/dsl/index.js';

const img = input('img', ['B', 'H', 'W', 4]);
const s = input('s', [2, 3, 4]);
const tokens = input('tokens', ['B', 64, 256]);

// ---------------- reshape ----------------
export const r1: Tensor<[6, 4], 'float32'> = reshape(s, [-1, 4]);
export const r2: Tensor<[24], 'float32'> = reshape(s, [-1]);
export const r3: Tensor<['B', 'H*W*4'], 'float32'> = reshape(img, ['B', -1]);
export const r4: Tensor<['B', 'H', 'W', 4], 'float32'> = reshape(r3, ['B', 'H', 'W', 4]);
export const r5: Tensor<['B', 8, 8, 256], 'float32'> = reshape(tokens, ['B', 8, -1, 256]);
export const r6: Tensor<['B', 64, 8, 32], 'float32'> = reshape(tokens, ['B', 64, 8, 32]);
export const r7: Tensor<['H', 'B', 'W', 4], 'float32'> = reshape(img, ['H', 'B', 'W', 4]);
export const r8: Tensor<['B', 'H', 'W*4'], 'float32'> = reshape(img, ['B', 'H', -1]);
// @ts-expect-error reshape: 24 elements cannot be viewed as [5, 5] (25)
reshape(s, [5, 5]);
// @ts-expect-error reshape: 24 elements cannot be viewed as [5, -1] (not a multiple of 5)
reshape(s, [5, -1]);
// @ts-expect-error reshape: at most one dim can be -1, got 2
reshape(s, [-1, -1]);
// @ts-expect-error reshape: target dim -2 is not a size (use -1 to infer one dim)
reshape(s, [-2, -12]);
// @ts-expect-error reshape: B*H*W*4 elements cannot be viewed as [B, H, W, 5] (B*H*W*5)
reshape(r3, ['B', 'H', 'W', 5]);
// @ts-expect-error reshape: B*16384 elements cannot be viewed as [16384] (16384): B would vanish
reshape(tokens, [16384]);
// @ts-expect-error reshape: [B, M, -1] leaves more than one dim to infer from [B, 64, 256]
reshape(tokens, ['B', 'M', -1]);

// ---------------- flatten ----------------
export const f1: Tensor<['B*H*W*4'], 'float32'> = flatten(img);
export const f2: Tensor<['B', 'H*W', 4], 'float32'> = flatten(img, 1, 2);
export const f3: Tensor<['B', 'H*W*4'], 'float32'> = flatten(img, 1);
export const f4: Tensor<[2, 12], 'float32'> = flatten(s, -2, -1);
// @ts-expect-error flatten: start axis 3 comes after end axis 1 (rank 4)
flatten(img, 3, 1);
// @ts-expect-error flatten: axis 4 is out of range for rank 4
flatten(img, 4);

// ---------------- transpose ----------------
export const t1: Tensor<['B', 4, 'H', 'W'], 'float32'> = transpose(img, [0, 3, 1, 2]);
export const t2: Tensor<['B', 256, 64], 'float32'> = transpose(tokens, [0, -1, -2]);
// @ts-expect-error transpose: [0, 3, 1, 1] is not a permutation of the axes of a rank-4 tensor
transpose(img, [0, 3, 1, 1]);
// @ts-expect-error transpose: [0, 2, 1] is not a permutation of the axes of a rank-4 tensor
transpose(img, [0, 2, 1]);
// @ts-expect-error transpose: [0, 4, 1, 2] is not a permutation of the axes of a rank-4 tensor
transpose(img, [0, 4, 1, 2]);

// ---------------- squeeze / unsqueeze ----------------
const q = input('q', ['B', 1, 4, 1]);
export const q1: Tensor<['B', 4], 'float32'> = squeeze(q, [1, -1]);
export const q2: Tensor<['B', 4, 1], 'float32'> = squeeze(q, 1);
export const u1: Tensor<[1, 2, 3, 4, 1], 'float32'> = unsqueeze(s, [0, -1]);
export const u2: Tensor<['B', 1, 1, 64, 256], 'float32'> = unsqueeze(tokens, [1, 2]);
// @ts-expect-error squeeze: dim 2 is 4, not 1
squeeze(q, 2);
// @ts-expect-error squeeze: dim 0 is B, not 1
squeeze(q, 0);
// @ts-expect-error squeeze: axis -1 is repeated
squeeze(q, [3, -1]);
// @ts-expect-error unsqueeze: axis 5 is out of range for rank 5
unsqueeze(tokens, [0, 5]);

// ---------------- concat / stack ----------------
const a64 = input('a64', ['B', 8, 64]);
const a32 = input('a32', ['B', 8, 32]);
const c = input('c', ['B', 'H', 'W', 'C']);
export const c1: Tensor<['B', 8, 96], 'float32'> = concat([a64, a32], -1);
export const c2: Tensor<['B', 'H', 'W', '8+C'], 'float32'> = concat([img, img, c], 3);
export const c3: Tensor<['B', 'H', 'W', 'C+4'], 'float32'> = concat([c, img], -1);
export const c4: Tensor<['B+B', 8, 64], 'float32'> = concat([a64, a64], 0);
export const s1: Tensor<[2, 3, 3, 4], 'float32'> = stack([s, s, s], 1);
export const s2: Tensor<['B', 8, 64, 2], 'float32'> = stack([a64, a64], -1);
// @ts-expect-error concat: dim 2 differs (64 vs 32)
concat([a64, a32], 1);
// @ts-expect-error concat: ranks differ (3 vs 4)
concat([a64, img], 0);
// @ts-expect-error concat: axis 3 is out of range for rank 3
concat([a64, a64], 3);
// @ts-expect-error stack: dim 2 differs (64 vs 32)
stack([a64, a32], 0);

// ---------------- split / slice ----------------
export const p1: [Tensor<['B', 64, 64], 'float32'>, Tensor<['B', 64, 192], 'float32'>] = split(tokens, -1, [64, 192]);
const [qq, kk, vv] = split(input('qkv', ['B', 'N', 768]), 2, [256, 256, 256]);
export const p2: Tensor<['B', 'N', 256], 'float32'>[] = [qq, kk, vv];
// @ts-expect-error split: sizes [64, 64] sum to 128, but dim 2 is 256
split(tokens, 2, [64, 64]);
// @ts-expect-error split: dim 0 is B; splitting into sizes [1, 1] needs a static dim
split(tokens, 0, [1, 1]);

export const l1: Tensor<[2, 2, 4], 'float32'> = slice(s, 1, 1);
export const l2: Tensor<[2, 1, 4], 'float32'> = slice(s, -2, -2, -1);
export const l3: Tensor<['B', 'H-2', 'W', 4], 'float32'> = slice(img, 1, 1, -1);
export const l4: Tensor<['B', 3, 'W', 4], 'float32'> = slice(img, 1, -3);
export const l5: Tensor<['B', 'H-1', 'W', 4], 'float32'> = slice(img, 1, 1);
export const l6: Tensor<['B', 64, 128], 'float32'> = slice(tokens, 2, 128);
// @ts-expect-error slice: [1:5] is out of range for dim 1 (size 3)
slice(s, 1, 1, 5);
// @ts-expect-error slice: [3:1] ends before it starts on dim 2 (size 4)
slice(s, 2, 3, 1);
// @ts-expect-error slice: [-5:] is out of range for dim 2 (size 4)
slice(s, 2, -5);
// @ts-expect-error slice: [-3:5] mixes a negative start and a non-negative end on symbolic dim 1 (H)
slice(img, 1, -3, 5);
// @ts-expect-error slice: axis 3 is out of range for rank 3
slice(s, 3, 0);

// @ts-expect-error the result shape is [B, 4, H, W], not [B, H, W, 4]
export const wrong: Tensor<['B', 'H', 'W', 4], 'float32'> = transpose(img, [0, 3, 1, 2]);
