// Realistic mistakes in the model's own files and in the example of a user's variant, each made in a copy of the
// real file: the line `from` becomes `to`, and the compiler must reject it with the DSL's sentence `says`, on the
// mutated line or on the line holding `at` (the call that uses the mistake). model-mutations.test.ts makes each
// alone and compiles it.

export interface Mutation {
  /** The kind of mistake (for the summary). */
  readonly kind: string;
  /** The mistake, in words. */
  readonly what: string;
  readonly file: string;
  /** Text found on exactly one line of the file, and what it becomes. */
  readonly from: string;
  readonly to: string;
  /** The sentence (a ShapeError's message, or its beginning) the compiler must give. */
  readonly says: string;
  /** Text on the line where the error shows, when it is not the mutated line (the first such line after it). */
  readonly at?: string;
}

const parser = 'graphs/oneprompt/prompt-parser.ts';
const former = 'graphs/oneprompt/former.ts';
const prompt = 'graphs/oneprompt/prompt-encoder.ts';
const head = 'graphs/oneprompt/head.ts';
const encoder = 'graphs/oneprompt/encoder.ts';
const model = 'graphs/oneprompt/model.ts';
const proto = 'graphs/oneprompt/prototype.ts';
const config = 'graphs/oneprompt/config.ts';
const example = 'graphs/examples/gated-tiny.ts';

export const MUTATIONS: readonly Mutation[] = [
  // ---------------- the Prompt-Parser (eqs. 1–3) ----------------
  {
    kind: 'B/N swapped',
    what: 'eq. 1 adds the query transposed (B, L, N)',
    file: parser,
    from: '  return mul(et, add(add(p1, p2), eq));',
    to: '  return mul(et, add(add(p1, p2), transposeTokens(eq)));',
    says: 'add: cannot broadcast L with N',
  },
  {
    kind: 'matmul inner dims',
    what: 'eq. 2 multiplies the stack by w from the right',
    file: parser,
    from: '  const mixed = matmul(w, stacked); // (B, N, L)',
    to: '  const mixed = matmul(stacked, w); // (B, N, L)',
    says: 'matmul: inner dims differ (L vs N)',
  },
  {
    kind: 'matmul inner dims',
    what: 'eq. 2 forgets to transpose e_q',
    file: parser,
    from: '  return mul(matmul(mixed, transposeTokens(eq)), invSqrt(eq.shape[2]));',
    to: '  return mul(matmul(mixed, eq), invSqrt(eq.shape[2]));',
    says: 'matmul: inner dims differ (L vs N)',
  },
  {
    kind: 'concat axis',
    what: 'eq. 2 stacks [e_t; p1; p2] along features, not tokens',
    file: parser,
    from: '  const stacked = concat([et, p1, p2], 1); // (B, 3N, L)',
    to: '  const stacked = concat([et, p1, p2], -1); // (B, 3N, L)',
    says: 'matmul: inner dims differ (N+N+N vs N)',
    at: 'const mixed = matmul(w, stacked)',
  },
  {
    kind: 'N vs 3N',
    what: 'the Stack-MLP weight w is N × 2N',
    file: parser,
    from: "    const w = s.param('w', [n, addDims(addDims(n, n), n)], init.fanIn(3 * dimValue(n, 'the token count')));",
    to: "    const w = s.param('w', [n, addDims(n, n)], init.fanIn(2 * dimValue(n, 'the token count')));",
    says: 'prompt-parser: the mixing weight w must be N × 3N = N × N+N+N, got N × N+N',
    at: 'm = stackMlpPrompting(w, et, p1, p2, eq);',
  },
  {
    kind: 'N vs 3N',
    what: 'the Stack-MLP weight w is declared 3N × N (transposed)',
    file: parser,
    from: "    const w = s.param('w', [n, addDims(addDims(n, n), n)], init.fanIn(3 * dimValue(n, 'the token count')));",
    to: "    const w = s.param('w', [addDims(addDims(n, n), n), n], init.fanIn(3 * dimValue(n, 'the token count')));",
    says: 'prompt-parser: the mixing weight w must be N × 3N = N × N+N+N, got N+N+N × N',
    at: 'm = stackMlpPrompting(w, et, p1, p2, eq);',
  },
  {
    kind: 'masking channels',
    what: 'the Gaussian-masking conv gives 3 channels',
    file: parser,
    from: "    const weight = ms.param('weight', [2, 1, k, k], init.fanIn(k * k));",
    to: "    const weight = ms.param('weight', [3, 1, k, k], init.fanIn(k * k));",
    says: 'gaussian masking: the conv must yield 2 channels (mean, variance), got 3',
    at: 'eg = gaussianMasking(m, etq, weight, bias);',
  },
  {
    kind: 'matmul inner dims',
    what: 'eq. 3 applies k_G from the right',
    file: parser,
    from: '  return maximum(matmul(kernel, etq), etq);',
    to: '  return maximum(matmul(etq, kernel), etq);',
    says: 'matmul: inner dims differ (L vs N)',
  },
  {
    kind: 'matmul inner dims',
    what: "the 'norm' masking applies M to e_tq transposed",
    file: parser,
    from: '      return matmul(softmax(m, -1), etq);',
    to: '      return matmul(softmax(m, -1), transposeTokens(etq));',
    says: 'matmul: inner dims differ (N vs L)',
  },
  {
    kind: 'attention widths',
    what: 'the Concat+MLP ablation mixes back to 2L',
    file: parser,
    from: "  const mixed = linear(s.at('fc2'), h, l);",
    to: "  const mixed = linear(s.at('fc2'), h, addDims(l, l));",
    says: 'matmul: inner dims differ (L+L vs L)',
    at: 'return mul(matmul(mixed, transposeTokens(eq)), invSqrt(l));',
  },
  {
    kind: 'reduce keepdims',
    what: 'row normalisation sums without keeping the dim',
    file: parser,
    from: "const rowNormalise = (m: TokenMap<'B', 'N'>) => div(m, add(reduceSum(m, [-1], true), EPS));",
    to: "const rowNormalise = (m: TokenMap<'B', 'N'>) => div(m, add(reduceSum(m, [-1]), EPS));",
    says: 'div: cannot broadcast N with B',
  },

  // ---------------- the Former block ----------------
  {
    kind: 'attention widths',
    what: 'the residual adds the attention to the key/value tokens',
    file: former,
    from: "  return layerNorm(s.at('norm'), add(x, y));",
    to: "  return layerNorm(s.at('norm'), add(kv, y));",
    says: 'add: cannot broadcast M with N',
  },
  {
    kind: 'attention widths',
    what: 'the FFN projects back to the hidden width, not L',
    file: former,
    from: "  return layerNorm(s.at('norm'), add(x, linear(s.at('fc2'), h, x.shape[2])));",
    to: "  return layerNorm(s.at('norm'), add(x, linear(s.at('fc2'), h, hidden)));",
    says: 'add: cannot broadcast L with H',
  },

  // ---------------- the prompt encoder ----------------
  {
    kind: 'B/N swapped',
    what: 'cell membership compares (B, K, 1) point indices with the token column',
    file: prompt,
    from: "  return cast(equal(indexRow, tokenIds), 'float32'); // (B, G·G, K)",
    to: "  return cast(equal(index, tokenIds), 'float32'); // (B, G·G, K)",
    says: 'equal: cannot broadcast K with G*G',
  },
  {
    kind: 'reshape counts',
    what: 'the role embedding is reshaped to a column (B, L, 1)',
    file: prompt,
    from: '    const roleEmb = reshape(matmul(p.type, table), [-1, 1, embed]); // (B, 1, L)',
    to: '    const roleEmb = reshape(matmul(p.type, table), [-1, embed, 1]); // (B, 1, L)',
    says: 'add: cannot broadcast K with L',
    at: 'const sum = matmul(weights, add(pe, roleEmb));',
  },
  {
    kind: 'B/N swapped',
    what: 'the role mask is reshaped along tokens (B, K, 1)',
    file: prompt,
    from: '    const weights = mul(member, reshape(isRole, [-1, 1, p.labels.shape[1]])); // (B, G·G, K)',
    to: '    const weights = mul(member, reshape(isRole, [-1, p.labels.shape[1], 1])); // (B, G·G, K)',
    says: 'mul: cannot broadcast G*G with K',
  },
  {
    kind: 'matmul inner dims',
    what: 'the scatter multiplies the points by the membership from the wrong side',
    file: prompt,
    from: '    const sum = matmul(weights, add(pe, roleEmb)); // (B, G·G, L)',
    to: '    const sum = matmul(add(pe, roleEmb), weights); // (B, G·G, L)',
    says: 'matmul: inner dims differ (L vs G*G)',
  },
  {
    kind: 'B/N swapped',
    what: 'the SegLab switch is (B, 1), broadcast against tokens',
    file: prompt,
    from: '  const seg = reshape(slice(p.type, 1, 3, 4), [-1, 1, 1]); // (B, 1, 1)',
    to: '  const seg = reshape(slice(p.type, 1, 3, 4), [-1, 1]); // (B, 1, 1)',
    says: 'mul: cannot broadcast B with G*G',
    at: 'const pick = ',
  },
  {
    kind: 'reshape counts',
    what: 'tokens() flattens only the height',
    file: prompt,
    from: '  return transpose(reshape(x, [b, c, mulDims(h, w)]), [0, 2, 1]);',
    to: '  return transpose(reshape(x, [b, c, h]), [0, 2, 1]);',
    says: 'reshape: B*C*H*W elements cannot be viewed as [B, C, H] (B*C*H)',
  },
  {
    kind: 'B/N swapped',
    what: 'the role mask is reshaped batch-last (K, 1, B)',
    file: prompt,
    from: '    const weights = mul(member, reshape(isRole, [-1, 1, p.labels.shape[1]])); // (B, G·G, K)',
    to: '    const weights = mul(member, reshape(isRole, [p.labels.shape[1], 1, -1])); // (B, G·G, K)',
    says: 'mul: cannot broadcast K with B',
  },
  {
    kind: 'dtype mix',
    what: 'the role mask is used as the bool that equal gives',
    file: prompt,
    from: "    const isRole = cast(equal(p.labels, r), 'float32'); // (B, K)",
    to: '    const isRole = equal(p.labels, r); // (B, K)',
    says: 'mul: dtypes differ (float32 vs bool)',
    at: 'const weights = mul(member, reshape(isRole',
  },
  {
    kind: 'dtype mix',
    what: 'the point cell indices made int64 and compared with the float token column',
    file: prompt,
    from: '  const index = add(mul(row, g), col); // (B, K, 1)',
    to: "  const index = cast(add(mul(row, g), col), 'int64'); // (B, K, 1)",
    says: 'equal: dtypes differ (int64 vs float32)',
    at: 'equal(indexRow, tokenIds)',
  },
  {
    kind: 'dtype mix',
    what: 'the role mask is cast to int64',
    file: prompt,
    from: "    const isRole = cast(equal(p.labels, r), 'float32'); // (B, K)",
    to: "    const isRole = cast(equal(p.labels, r), 'int64'); // (B, K)",
    says: 'mul: dtypes differ (float32 vs int64)',
    at: 'const weights = mul(member, reshape(isRole',
  },

  // ---------------- the head, the encoder and the assembly ----------------
  {
    kind: 'reshape counts',
    what: 'the head folds the tokens into a G-wide map without transposing them back',
    file: head,
    from: '  const grid = reshape(transpose(e, [0, 2, 1]), [b, l, o.grid, o.grid]); // (B, L, G, G)',
    to: '  const grid = reshape(e, [b, l, o.grid]); // (B, L, G, G)',
    says: 'reshape: B*G*G*L elements cannot be viewed as [B, L, G] (B*L*G)',
  },
  {
    kind: 'concat axis',
    what: 'the skip connection joins along the width, not the channels',
    file: head,
    from: '  return concat([up, skip], 1);',
    to: '  return concat([up, skip], 3);',
    says: 'concat: dim 1 differs (C vs K)',
  },
  {
    kind: 'attention widths',
    what: "the ViT block's MLP does not project back to W",
    file: encoder,
    from: "  return add(attended, linear(s.at('mlp').at('fc2'), gelu(linear(s.at('mlp').at('fc1'), n2, mulDims(4, width))), width));",
    to: "  return add(attended, linear(s.at('mlp').at('fc2'), gelu(linear(s.at('mlp').at('fc1'), n2, mulDims(4, width))), mulDims(4, width)));",
    says: 'add: cannot broadcast W with 4*W',
  },
  {
    kind: 'stride',
    what: "the refinement block's first conv strides by 2, so its residual no longer matches the level",
    file: encoder,
    from: "  const h = gelu(layerNorm2d(s.at('norm'), conv2dLayer(s.at('conv1'), x, { out: hidden, kernel: 3, padding: 1 })));",
    to: "  const h = gelu(layerNorm2d(s.at('norm'), conv2dLayer(s.at('conv1'), x, { out: hidden, kernel: 3, padding: 1, stride: 2 })));",
    at: '  return add(x, gated ? mul(branch',
    says: 'add: cannot broadcast W with floor((W-1)/2)+1',
  },
  {
    kind: 'token grid size',
    what: 'the prompt maps are made on an S × S grid',
    file: model,
    from: "  const p = promptEncoder(root.at('prompt'), prompt, { side: d.grid, patch: patchOf(c, 0), embed: d.embed });",
    to: "  const p = promptEncoder(root.at('prompt'), prompt, { side: d.size, patch: patchOf(c, 0), embed: d.embed });",
    says: 'former: the query has G*G tokens but the p1 has S*S',
    at: "es = formerBlock(root.at('decoder').at(i),",
  },
  {
    kind: 'attention widths',
    what: "the tokens' positional encoding is G long, not L",
    file: model,
    from: '  const gridPE = densePositionalEncoding(peScope, d.grid, fourierBasis(peScope, d.embed)); // (G·G, L)',
    to: '  const gridPE = densePositionalEncoding(peScope, d.grid, fourierBasis(peScope, d.grid)); // (G·G, L)',
    says: 'add: cannot broadcast L with G',
    at: 'add(blockTokens(query',
  },
  {
    kind: 'token grid size',
    what: 'the head is told the image side as its token grid',
    file: model,
    from: "  const logits = maskHead(root.at('head'), es, query.features, { grid: d.grid, size: d.size, levels: c.levels, widths: c.widths, raster, prototypes });",
    to: "  const logits = maskHead(root.at('head'), es, query.features, { grid: d.size, size: d.size, levels: c.levels, widths: c.widths, raster, prototypes });",
    says: 'head: the decoder gives G*G tokens but the S×S grid has S*S',
  },
  {
    kind: 'raster channels',
    what: 'the raster route handed the bare prompt mask instead of one channel per prompt type',
    file: model,
    from: '  const raster = c.raster ? mul(prompt.mask, reshape(prompt.type, [-1, 4, 1, 1])) : undefined;',
    to: '  const raster = c.raster ? prompt.mask : undefined;',
    says: 'head: the prompt raster has 1 channel(s), but the raster route reads one per prompt type (4)',
    at: "= maskHead(root.at('head')",
  },
  {
    kind: 'calibration width',
    what: 'the calibration built with an offset for three prompt types, not four',
    file: model,
    from: '  return add(logits, reshape(matmul(type, constant(bias, [4, 1])), [-1, 1, 1, 1]));',
    to: '  return add(logits, reshape(matmul(type, constant(bias, [3, 1])), [-1, 1, 1, 1]));',
    says: 'matmul: inner dims differ (4 vs 3)',
  },
  {
    kind: 'type gate',
    what: "the prototype route's map multiplied by the prompt type (B, 4) as it comes, not as (B, 4, 1, 1)",
    file: proto,
    from: '  return mul(similarity, reshape(type, [-1, 4, 1, 1]));',
    to: '  return mul(similarity, type);',
    says: 'mul: cannot broadcast H with 4',
  },

  // ---------------- configuration literals (the error is where the configuration is written) ----------------
  {
    kind: 'config literal',
    what: 'tiny at 100 pixels',
    file: config,
    from: '  size: 64,',
    to: '  size: 100,',
    at: 'export const tiny = defineConfig({',
    says: 'config: size 100 is not divisible by 2^levels = 8',
  },
  {
    kind: 'config literal',
    what: 'small at 200 pixels',
    file: config,
    from: '  size: 256,',
    to: '  size: 200,',
    at: 'export const small = defineConfig({',
    says: 'config: size 200 is not divisible by 2^levels = 16',
  },
  {
    kind: 'config literal',
    what: 'base with 12 heads of 256',
    file: config,
    from: '  heads: 8,',
    to: '  heads: 12,',
    at: 'export const base = defineConfig({',
    says: 'config: 12 heads do not divide the embedding 256',
  },
  {
    kind: 'config literal',
    what: 'tiny with a width list one short',
    file: config,
    from: '  widths: [8, 16, 32, 64],',
    to: '  widths: [8, 16, 32],',
    at: 'export const tiny = defineConfig({',
    says: 'config: widths has 3 entries, needs levels + 1 = 4',
  },
  {
    kind: 'config literal',
    what: 'tiny with more blocks than levels',
    file: config,
    from: '  blocks: 2,',
    to: '  blocks: 5,',
    at: 'export const tiny = defineConfig({',
    says: 'config: blocks must be in 1..4, got 5',
  },
  {
    kind: 'attention heads',
    what: 'tiny with 3 heads of 32',
    file: config,
    from: '  heads: 2,',
    to: '  heads: 3,',
    at: 'export const tiny = defineConfig({',
    says: 'config: 3 heads do not divide the embedding 32',
  },
  {
    kind: 'config literal',
    what: 'tiny with embeddings of 30',
    file: config,
    from: '  embed: 32,',
    to: '  embed: 30,',
    at: 'export const tiny = defineConfig({',
    says: 'config: embedding 30 must be a multiple of 4 (Fourier features)',
  },
  {
    kind: 'config literal',
    what: 'tiny with a fourth level but three widths',
    file: config,
    from: '  levels: 3,',
    to: '  levels: 4,',
    at: 'export const tiny = defineConfig({',
    says: 'config: widths has 4 entries, needs levels + 1 = 5',
  },

  // ---------------- a user's variant (graphs/examples/gated-tiny.ts) ----------------
  {
    kind: 'wrong encoder level',
    what: 'the level-3 tokens are cut from level 2',
    file: example,
    from: "  const q3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(fq, c, 3), 1, c.embed), pe);",
    to: "  const q3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(fq, c, 2), 1, c.embed), pe);",
    says: 'add: cannot broadcast 256 with 64',
  },
  {
    kind: 'token grid size',
    what: 'level 2 cut into 4-pixel patches (a 4×4 grid)',
    file: example,
    from: "  const q2 = add(tokenizer(root.at('tokens').at(2), encoderLevel(fq, c, 2), 2, c.embed), pe);",
    to: "  const q2 = add(tokenizer(root.at('tokens').at(2), encoderLevel(fq, c, 2), 4, c.embed), pe);",
    says: 'add: cannot broadcast 16 with 64',
  },
  {
    kind: 'token grid size',
    what: 'a 3-pixel patch on the 8×8 level',
    file: example,
    from: "  const t3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(ft, c, 3), 1, c.embed), pe);",
    to: "  const t3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(ft, c, 3), 3, c.embed), pe);",
    says: 'tokenizer: a 3-pixel patch does not divide the side 8',
  },
  {
    kind: 'B/N swapped',
    what: 'the query tokens passed sequence-first (N, B, L), as PyTorch attention takes them',
    file: example,
    from: "  const e1 = formerBlock(root.at('decoder').at(0), { eq: q3,",
    to: "  const e1 = formerBlock(root.at('decoder').at(0), { eq: transpose(q3, [1, 0, 2]),",
    says: 'former: the query has B tokens but the template has 64',
  },
  {
    kind: 'attention heads',
    what: 'the Former blocks given 3 heads for L = 32',
    file: example,
    from: '  const options = { heads: c.heads, ffnRatio: c.ffnRatio, prompting: c.parser, masking: c.masking } as const;',
    to: '  const options = { heads: 3, ffnRatio: c.ffnRatio, prompting: c.parser, masking: c.masking } as const;',
    says: 'former: 3 heads do not divide the embedding length 32',
    at: 'const e1 = formerBlock(',
  },
  {
    kind: 'skip off by one',
    what: 'the 16×16 rung joins the 32×32 encoder level',
    file: example,
    from: '  const r2 = headStage(up.at(2), upsample(up.at(3), r3, c.widths[2]), encoderLevel(fq, c, 2), c.widths[2]); // (B, 32, 16, 16)',
    to: '  const r2 = headStage(up.at(2), upsample(up.at(3), r3, c.widths[2]), encoderLevel(fq, c, 1), c.widths[2]); // (B, 32, 16, 16)',
    says: 'skip connection: heights differ (16 vs 32)',
  },
  {
    kind: 'skip off by one',
    what: 'a rung joins its skip before upsampling',
    file: example,
    from: '  const r1 = headStage(up.at(1), upsample(up.at(2), r2, c.widths[1]), encoderLevel(fq, c, 1), c.widths[1]); // (B, 16, 32, 32)',
    to: '  const r1 = headStage(up.at(1), r2, encoderLevel(fq, c, 1), c.widths[1]); // (B, 16, 32, 32)',
    says: 'skip connection: heights differ (16 vs 32)',
  },
  {
    kind: 'skip off by one',
    what: 'the refinement conv has no padding: its map is 2 pixels short of the skip it is added to',
    file: example,
    from: "  const refined = add(r0, gelu(conv2dLayer(root.at('refine'), r0, { out: c.widths[0], kernel: 3, padding: 1 })));",
    to: "  const refined = add(r0, gelu(conv2dLayer(root.at('refine'), r0, { out: c.widths[0], kernel: 3 })));",
    says: 'add: cannot broadcast 64 with 62',
  },
  {
    kind: 'reshape counts',
    what: 'the decoder tokens folded into a 16×16 map',
    file: example,
    from: "  const grid8 = reshape(transpose(e2, [0, 2, 1]), ['B', c.embed, grid, grid]); // (B, 32, 8, 8)",
    to: "  const grid8 = reshape(transpose(e2, [0, 2, 1]), ['B', c.embed, 16, 16]); // (B, 32, 8, 8)",
    says: 'reshape: B*2048 elements cannot be viewed as [B, 32, 16, 16] (B*8192)',
  },
];
