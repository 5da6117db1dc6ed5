// An example of a user's own variant, written the way a user would: the tiny configuration with a module of their
// own (a prompt gate on the template tokens before each Former block) and a plain U-Net head written out level by
// level, assembled from the library's modules for a literal configuration. Every call below is made at literal dims,
// so the compiler checks each wire with the DSL's sentences: a level read at the wrong scale, a patch that gives the
// wrong token grid, a skip connection one level or a few pixels off, tokens passed sequence-first...
// (tests/types/model-mutations.ts makes such mistakes in this file and checks what the compiler says).
//
//   npx tsx graphs/examples/gated-tiny.ts out.onnx     compile it (tests/model/example-variant.test.ts runs it)
import { writeFileSync } from 'node:fs';
import { add, build, conv2dLayer, defineModule, gelu, linear, mul, ParamStore, reshape, tanh, transpose, type Dim, type Scope } from '../../src/dsl/index.js';
import { emit } from '../../src/onnx/emit.js';
import { defineConfig, gridSide, tiny } from '../oneprompt/config.js';
import type { Embedding } from '../oneprompt/embedding.js';
import { encoderLevel, imageEncoder } from '../oneprompt/encoder.js';
import { formerBlock } from '../oneprompt/former.js';
import { headStage, tokenizer, upsample } from '../oneprompt/head.js';
import { modelInputs } from '../oneprompt/model.js';
import { densePositionalEncoding, fourierBasis } from '../oneprompt/positional-encoding.js';
import { promptEncoder } from '../oneprompt/prompt-encoder.js';
import { OUTPUT_NAME } from '../oneprompt/contract.js';

/** tiny, two Former blocks on the two deepest levels (8×8 and 16×16 maps, both cut into the 8×8 token grid). */
export const gatedTiny = defineConfig({ ...tiny, name: 'tiny-gated', blocks: 2 });

/**
 * The user's own module: the prompt maps gate the template tokens, e_t ⊙ (1 + tanh(W·(p1 + p2))), so a template
 * token the prompt marks weighs more in the Former's attention. Parameters `gate.weight`, `gate.bias` (L × L).
 * Like the library's modules: a generic signature, and a body checked at the dims' names.
 */
function promptGateModule<B extends Dim, N extends Dim, L extends Dim>(
  s: Scope,
  et: Embedding<B, N, L>,
  p1: NoInfer<Embedding<B, N, L>>,
  p2: NoInfer<Embedding<B, N, L>>,
): Embedding<B, N, L>;
function promptGateModule(s: Scope, et: Embedding<'B', 'N', 'L'>, p1: Embedding<'B', 'N', 'L'>, p2: Embedding<'B', 'N', 'L'>): Embedding<'B', 'N', 'L'> {
  const gate = tanh(linear(s.at('gate'), add(p1, p2), et.shape[2]));
  return mul(et, add(gate, 1));
}
export const promptGate = defineModule(promptGateModule);

/** The variant's graph: One-Prompt's inputs and output, the library's encoder, prompt encoder, Former and head. */
export function buildGatedTiny(seed = 0) {
  const c = gatedTiny;
  const inputs = modelInputs(c.size, c.points);
  const store = new ParamStore(seed);
  const root = store.root();
  const fq = imageEncoder(root.at('encoder'), inputs.query, c);
  const ft = imageEncoder(root.at('encoder'), inputs.template, c);
  const grid = gridSide(c); // 8: tokens of the deepest level's 8×8 map
  const peScope = root.at('prompt').at('pe');
  const pe = densePositionalEncoding(peScope, grid, fourierBasis(peScope, c.embed)); // (64, 32)
  const { p1, p2 } = promptEncoder(
    root.at('prompt'),
    { points: inputs.prompt_points, labels: inputs.prompt_labels, mask: inputs.prompt_mask, type: inputs.prompt_type },
    { side: grid, patch: 8, embed: c.embed },
  );

  // Level 3 (8×8, 1-pixel patches) and level 2 (16×16, 2-pixel patches) both give 64 tokens of length 32.
  const q3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(fq, c, 3), 1, c.embed), pe);
  const t3 = add(tokenizer(root.at('tokens').at(3), encoderLevel(ft, c, 3), 1, c.embed), pe);
  const q2 = add(tokenizer(root.at('tokens').at(2), encoderLevel(fq, c, 2), 2, c.embed), pe);
  const t2 = add(tokenizer(root.at('tokens').at(2), encoderLevel(ft, c, 2), 2, c.embed), pe);

  const options = { heads: c.heads, ffnRatio: c.ffnRatio, prompting: c.parser, masking: c.masking } as const;
  const e1 = formerBlock(root.at('decoder').at(0), { eq: q3, et: promptGate(root.at('gate').at(0), t3, p1, p2), es: q3, p1, p2 }, options);
  const e2 = formerBlock(root.at('decoder').at(1), { eq: q2, et: promptGate(root.at('gate').at(1), t2, p1, p2), es: e1, p1, p2 }, options);

  // The head, up tiny's four levels by hand: each rung joins the query's encoder map of its level.
  const up = root.at('up');
  const grid8 = reshape(transpose(e2, [0, 2, 1]), ['B', c.embed, grid, grid]); // (B, 32, 8, 8)
  const r3 = headStage(up.at(3), grid8, encoderLevel(fq, c, 3), c.widths[3]); // (B, 64, 8, 8)
  const r2 = headStage(up.at(2), upsample(up.at(3), r3, c.widths[2]), encoderLevel(fq, c, 2), c.widths[2]); // (B, 32, 16, 16)
  const r1 = headStage(up.at(1), upsample(up.at(2), r2, c.widths[1]), encoderLevel(fq, c, 1), c.widths[1]); // (B, 16, 32, 32)
  const r0 = headStage(up.at(0), upsample(up.at(1), r1, c.widths[0]), encoderLevel(fq, c, 0), c.widths[0]); // (B, 8, 64, 64)
  const refined = add(r0, gelu(conv2dLayer(root.at('refine'), r0, { out: c.widths[0], kernel: 3, padding: 1 })));
  const logits = conv2dLayer(root.at('logits'), refined, { out: 1, kernel: 1 }); // (B, 1, 64, 64)
  const graph = build({
    name: c.name,
    inputs,
    outputs: { [OUTPUT_NAME]: logits },
    doc: 'One-Prompt tiny with a prompt gate on the template tokens and a plain U-Net head (graphs/examples/gated-tiny.ts).',
  });
  return { graph, store, config: c, inputs, logits };
}

if (process.argv[1]?.endsWith('gated-tiny.ts')) {
  const out = process.argv[2] ?? 'gated-tiny.onnx';
  writeFileSync(out, emit(buildGatedTiny().graph));
  console.log(`wrote ${out}`);
}
