// Type tests for reductions, softmax, layer-norm and attention: each @ts-expect-error line must be rejected.
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { reduceMean, reduceSum, reduceMax, reduceMin } from '../../src/dsl/ops/reduce.js';
import { softmax } from '../../src/dsl/ops/softmax.js';
import { layerNormalization } from '../../src/dsl/ops/layer-norm.js';
import { attention } from '../../src/dsl/ops/attention.js';
import { ParamStore } from '../../src/dsl/params.js';
import { layerNorm, layerNorm2d } from '../../src/dsl/layers/norm.js';
import { multiHeadAttention } from '../../src/dsl/layers/attention.js';

const x = input('x', ['B', 4, 256]);

// ---- reductions: accepted ----
export const r1: Tensor<['B', 256], 'float32'> = reduceMean(x, [1]);
export const r2: Tensor<['B', 1, 1], 'float32'> = reduceSum(x, [-1, 1], true);
export const r3: Tensor<[], 'float32'> = reduceMax(x);
export const r4: Tensor<[1, 1, 1], 'float32'> = reduceMin(x, undefined, true);
export const r5: Tensor<[4], 'float32'> = reduceSum(x, [0, 2]);
// ---- reductions: rejected ----
// @ts-expect-error reduceMean: axis 3 is out of range for rank 3
reduceMean(x, [3]);
// @ts-expect-error reduceSum: axis -4 is out of range for rank 3
reduceSum(x, [-4]);
// @ts-expect-error reduceMax: axis -1 is repeated
reduceMax(x, [2, -1]);
// @ts-expect-error the result is [B, 256], not [B, 4]
export const rBad: Tensor<['B', 4], 'float32'> = reduceMean(x, [1]);

// ---- softmax ----
export const s1: Tensor<['B', 4, 256], 'float32'> = softmax(x);
export const s2: Tensor<['B', 4, 256], 'float32'> = softmax(x, 1);
export const s3: Tensor<['B', 4, 256], 'float32'> = softmax(x, -3);
// @ts-expect-error softmax: axis 3 is out of range for rank 3
softmax(x, 3);
// @ts-expect-error softmax: axis -4 is out of range for rank 3
softmax(x, -4);

// ---- layer normalisation ----
const g256 = input('g256', [256]);
const g128 = input('g128', [128]);
const g4x256 = input('g4x256', [4, 256]);
export const l1: Tensor<['B', 4, 256], 'float32'> = layerNormalization(x, g256, g256);
export const l2: Tensor<['B', 4, 256], 'float32'> = layerNormalization(x, g4x256, g4x256, { axis: 1, epsilon: 1e-6 });
export const l3: Tensor<['B', 4, 256], 'float32'> = layerNormalization(x, g4x256, g4x256, { axis: -2 });
// @ts-expect-error layerNormalization: scale shape [128] differs from x.shape[-1:] = [256]
layerNormalization(x, g128, g256);
// @ts-expect-error layerNormalization: bias shape [128] differs from x.shape[-1:] = [256]
layerNormalization(x, g256, g128);
// @ts-expect-error layerNormalization: scale shape [256] differs from x.shape[1:] = [4, 256]
layerNormalization(x, g256, g4x256, { axis: 1 });
// @ts-expect-error layerNormalization: axis 3 is out of range for rank 3
layerNormalization(x, g256, g256, { axis: 3 });

// ---- attention ----
const q = input('q', ['B', 1024, 256]);
const kv = input('kv', ['B', 77, 256]);
const v128 = input('v128', ['B', 77, 128]);
export const a1: Tensor<['B', 1024, 256], 'float32'> = attention(q, kv, kv, { heads: 8 });
export const a2: Tensor<['B', 1024, 128], 'float32'> = attention(q, kv, v128, { heads: 8, scale: 0.1 });
export const a3: Tensor<[2, 3, 5, 64], 'float32'> = attention(input('q4', [2, 3, 5, 64]), input('k4', [2, 3, 9, 64]), input('v4', [2, 3, 9, 64]), { heads: 1 });
export const a4: Tensor<[10, 250], 'float32'> = attention(input('q2', [10, 250]), input('k2', [7, 250]), input('v2', [7, 250]), { heads: 5 });
// @ts-expect-error attention: 8 heads do not divide width 250
attention(input('q250', ['B', 10, 250]), input('k250', ['B', 7, 250]), input('v256', ['B', 7, 256]), { heads: 8 });
// @ts-expect-error attention: 8 heads do not divide value width 100
attention(q, kv, input('v100', ['B', 77, 100]), { heads: 8 });
// @ts-expect-error attention: key width 128 differs from query width 256
attention(q, v128, v128, { heads: 8 });
// @ts-expect-error attention: value tokens 78 differ from key tokens 77
attention(q, kv, input('v78', ['B', 78, 256]), { heads: 8 });
// @ts-expect-error attention: key batch dims [N] differ from query batch dims [B]
attention(q, input('kN', ['N', 77, 256]), input('vN', ['N', 77, 256]), { heads: 8 });
// @ts-expect-error attention: value batch dims [2] differ from key batch dims [B]
attention(q, kv, input('v2b', [2, 77, 256]), { heads: 8 });
// @ts-expect-error attention: key needs rank ≥ 2, got rank 1
attention(q, input('k1', [256]), kv, { heads: 8 });
// @ts-expect-error attention: heads must be a positive integer, got 0
attention(q, kv, kv, { heads: 0 });
// @ts-expect-error the result is [B, 1024, 128], not [B, 1024, 256]
export const aBad: Tensor<['B', 1024, 256], 'float32'> = attention(q, kv, v128, { heads: 8 });

// ---- dims only known at build time are accepted here (the same rule runs in `apply`) ----
const n: number = 250;
export const w1: Tensor<[2, 10, number], 'float32'> = attention(input('qn', [2, 10, n]), input('kn', [2, 7, n]), input('vn', [2, 7, n]), { heads: 8 });
export const w2: Tensor<[2, number], 'float32'> = reduceSum(input('xn', [2, n, 3]), [-1]);

// ---- modules ----
const store = new ParamStore(0);
const img = input('img', ['B', 64, 32, 32]);
export const m1: Tensor<['B', 4, 256], 'float32'> = layerNorm(store.root().at('ln'), x);
export const m2: Tensor<['B', 64, 32, 32], 'float32'> = layerNorm2d(store.root().at('ln2d'), img, { epsilon: 1e-6 });
export const m3: Tensor<['B', 1024, 256], 'float32'> = multiHeadAttention(store.root().at('attn'), q, input('kv96', ['B', 77, 96]), { heads: 8 });
export const m4: Tensor<['B', 1024, 256], 'float32'> = multiHeadAttention(store.root().at('attn2'), q, kv, { heads: 8, width: 128 });
// A named dim may size parameters: it can be a module body's name for a number (Embedding<'B', 'N', 'L'>); one that
// stays symbolic is reported when the graph is built (norm-attention.build-errors.test.ts).
export const named1: Tensor<['B', 'C'], 'float32'> = layerNorm(store.root().at('named1'), input('xc', ['B', 'C']));
// @ts-expect-error layerNorm2d: needs an NCHW tensor (rank 4), got rank 3
layerNorm2d(store.root().at('bad2'), x);
export const named2: Tensor<['B', 'C', 32, 32], 'float32'> = layerNorm2d(store.root().at('named2'), input('imgc', ['B', 'C', 32, 32]));
// @ts-expect-error multiHeadAttention: 8 heads do not divide width 100
multiHeadAttention(store.root().at('bad4'), q, kv, { heads: 8, width: 100 });
// @ts-expect-error multiHeadAttention: 6 heads do not divide width 256
multiHeadAttention(store.root().at('bad5'), q, kv, { heads: 6 });
// @ts-expect-error multiHeadAttention: key/value batch dims [N] differ from query batch dims [B]
multiHeadAttention(store.root().at('bad6'), q, input('kvN', ['N', 77, 256]), { heads: 8 });
export const named3: Tensor<['B', 1024, 256], 'float32'> = multiHeadAttention(store.root().at('named3'), q, input('kvC', ['B', 77, 'C']), { heads: 8 });
