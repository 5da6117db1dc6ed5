// Type tests for the One-Prompt model's own rules (graphs/oneprompt): each @ts-expect-error line must be
// rejected with the sentence its comment states (model.messages.test.ts checks the sentence); accepted
// lines assert, exactly, the type the rules compute. Dims are the configurations' own: base N = 4096,
// L = 256 (1024² input, 16-pixel tokens), tiny N = 64, L = 32.
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { ParamStore } from '../../src/dsl/params.js';
import { attention, multiHeadAttention } from '../../src/dsl/index.js';
import { gaussianMasking, queryTemplateMix, stackMlpPrompting } from '../../graphs/oneprompt/prompt-parser.js';
import { skipJoin } from '../../graphs/oneprompt/head.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <A, B>(_check: Equals<A, B>): void => undefined;
type ShapeOf<T> = T extends Tensor<infer S, any> ? S : never;

// base: N = 4096 tokens of length L = 256
const eq = input('eq', ['B', 4096, 256]);
const et = input('et', ['B', 4096, 256]);
const p1 = input('p1', ['B', 4096, 256]);
const p2 = input('p2', ['B', 4096, 256]);
// tiny: N = 64, L = 32
const eqTiny = input('eq_tiny', ['B', 64, 32]);
const etTiny = input('et_tiny', ['B', 64, 32]);

// ---- eq. 2, Stack MLP: w must be N × 3N ----
const w = input('w', [4096, 12288]);
const wTiny = input('w_tiny', [64, 192]);
const mixed = () => stackMlpPrompting(w, et, p1, p2, eq);
assertType<ShapeOf<ReturnType<typeof mixed>>, readonly ['B', 4096, 4096]>(true);
const mixedTiny = () => stackMlpPrompting(wTiny, etTiny, etTiny, etTiny, eqTiny);
assertType<ShapeOf<ReturnType<typeof mixedTiny>>, readonly ['B', 64, 64]>(true);
// @ts-expect-error prompt-parser: the mixing weight w must be N × 3N = 4096 × 12288, got 4096 × 4096
stackMlpPrompting(input('w_square', [4096, 4096]), et, p1, p2, eq);
// @ts-expect-error prompt-parser: the mixing weight w must be N × 3N = 4096 × 12288, got 12288 × 4096 (transposed)
stackMlpPrompting(input('w_t', [12288, 4096]), et, p1, p2, eq);
// @ts-expect-error prompt-parser: the mixing weight w must be N × 3N = 64 × 192, got 64 × 128 (two stacked parts, not three)
stackMlpPrompting(input('w_two', [64, 128]), etTiny, etTiny, etTiny, eqTiny);
// @ts-expect-error prompt-parser: the mixing weight w must be N × 3N = 64 × 192, got 4096 × 12288 (base's w on tiny's tokens)
stackMlpPrompting(w, etTiny, etTiny, etTiny, eqTiny);
// @ts-expect-error prompt-parser: the mixing weight w must be a matrix, got rank 1
stackMlpPrompting(input('w_flat', [786432]), etTiny, etTiny, etTiny, eqTiny);

// ---- eq. 1: query and template token counts (and lengths) must agree ----
const etq = () => queryTemplateMix(eq, et, p1, p2);
assertType<ShapeOf<ReturnType<typeof etq>>, readonly ['B', 4096, 256]>(true);
const etqTiny = () => queryTemplateMix(eqTiny, etTiny, etTiny, etTiny);
assertType<ShapeOf<ReturnType<typeof etqTiny>>, readonly ['B', 64, 32]>(true);
// @ts-expect-error prompt-parser: the query has 4096 tokens but the template has 1024
queryTemplateMix(eq, input('et_1024', ['B', 1024, 256]), p1, p2);
// @ts-expect-error prompt-parser: the query has 64 tokens but the template has 4096 (tiny query, base template)
queryTemplateMix(eqTiny, et, p1, p2);
// @ts-expect-error prompt-parser: query embeddings have length 256 but template embeddings 128
queryTemplateMix(eq, input('et_128', ['B', 4096, 128]), p1, p2);
// @ts-expect-error prompt-parser: embeddings must be (B, N, L)
queryTemplateMix(eq, input('et_grid', ['B', 256, 64, 64]), p1, p2);

// ---- eq. 3, Gaussian masking: the conv yields exactly 2 channels (mean, variance) ----
const m = input('m', ['B', 4096, 4096]);
const mTiny = input('m_tiny', ['B', 64, 64]);
const eg = () => gaussianMasking(m, et, input('g_w', [2, 1, 3, 3]), input('g_b', [2]));
assertType<ShapeOf<ReturnType<typeof eg>>, readonly ['B', 4096, 256]>(true);
const egTiny = () => gaussianMasking(mTiny, etTiny, input('g_w5', [2, 1, 5, 5]), input('g_b5', [2]));
assertType<ShapeOf<ReturnType<typeof egTiny>>, readonly ['B', 64, 32]>(true);
// @ts-expect-error gaussian masking: the conv must yield 2 channels (mean, variance), got 1
gaussianMasking(m, et, input('g_w1', [1, 1, 3, 3]), input('g_b1', [1]));
// @ts-expect-error gaussian masking: the conv must yield 2 channels (mean, variance), got 3
gaussianMasking(mTiny, etTiny, input('g_w3', [3, 1, 3, 3]), input('g_b3', [3]));

// ---- heads must divide the width (attention op and the multi-head module) ----
const store = new ParamStore(0);
const mha = () => multiHeadAttention(store.root().at('attn'), eq, et, { heads: 8 });
assertType<ShapeOf<ReturnType<typeof mha>>, ['B', 4096, 256]>(true);
const mhaTiny = () => multiHeadAttention(store.root().at('attn_tiny'), eqTiny, etTiny, { heads: 2 });
assertType<ShapeOf<ReturnType<typeof mhaTiny>>, ['B', 64, 32]>(true);
// @ts-expect-error multiHeadAttention: 6 heads do not divide width 256
multiHeadAttention(store.root().at('bad_heads'), eq, et, { heads: 6 });
// @ts-expect-error multiHeadAttention: 3 heads do not divide width 32
multiHeadAttention(store.root().at('bad_heads_tiny'), eqTiny, etTiny, { heads: 3 });
const att = () => attention(eq, et, et, { heads: 8 });
assertType<ShapeOf<ReturnType<typeof att>>, ['B', 4096, 256]>(true);
// @ts-expect-error attention: 6 heads do not divide width 256
attention(eq, et, et, { heads: 6 });
// @ts-expect-error attention: 5 heads do not divide width 32
attention(eqTiny, etTiny, etTiny, { heads: 5 });

// ---- the attention key width must equal the query width ----
const crossTiny = () => attention(eqTiny, input('k_tiny', ['B', 4096, 32]), input('v_tiny', ['B', 4096, 32]), { heads: 2 });
assertType<ShapeOf<ReturnType<typeof crossTiny>>, ['B', 64, 32]>(true);
// @ts-expect-error attention: key width 128 differs from query width 256
attention(eq, input('k_128', ['B', 4096, 128]), input('v_256', ['B', 4096, 256]), { heads: 8 });
// @ts-expect-error attention: key width 256 differs from query width 32 (base keys, tiny queries)
attention(eqTiny, et, et, { heads: 2 });

// ---- skip connections join maps of the same size ----
const up = input('up', ['B', 64, 128, 128]);
const skip = input('skip', ['B', 128, 128, 128]);
const joined = () => skipJoin(up, skip);
assertType<ShapeOf<ReturnType<typeof joined>>, readonly ['B', 192, 128, 128]>(true);
const joinedTiny = () => skipJoin(input('up_tiny', ['B', 32, 8, 8]), input('skip_tiny', ['B', 64, 8, 8]));
assertType<ShapeOf<ReturnType<typeof joinedTiny>>, readonly ['B', 96, 8, 8]>(true);
// @ts-expect-error skip connection: heights differ (128 vs 64)
skipJoin(up, input('skip_64', ['B', 128, 64, 64]));
// @ts-expect-error skip connection: widths differ (128 vs 256)
skipJoin(up, input('skip_wide', ['B', 128, 128, 256]));
// @ts-expect-error skip connection: heights differ (8 vs 16) (an upsampling step too many on tiny)
skipJoin(input('up_16', ['B', 32, 8, 8]), input('skip_16', ['B', 16, 16, 16]));
// @ts-expect-error skip connection: feature maps must be (B, C, H, W)
skipJoin(up, eq);
