import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { input } from '../../src/dsl/tensor.js';
import { BuildShapeError } from '../../src/dsl/graph.js';
import { ParamStore } from '../../src/dsl/params.js';
import { reduceMean, reduceSum } from '../../src/dsl/ops/reduce.js';
import { softmax } from '../../src/dsl/ops/softmax.js';
import { layerNormalization } from '../../src/dsl/ops/layer-norm.js';
import { attention } from '../../src/dsl/ops/attention.js';
import { multiHeadAttention } from '../../src/dsl/layers/attention.js';
import { layerNorm, layerNorm2d } from '../../src/dsl/layers/norm.js';

// Dims typed as plain `number` pass the compiler; the same rules then run when the graph is built and
// throw a BuildShapeError naming the op, the input tensors with their shapes, and the caller's line.
const FILE = relative(process.cwd(), fileURLToPath(import.meta.url));
const SOURCE = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
/** The 1-based line holding `marker` (a comment at the end of the call under test). */
const lineOf = (marker: string) => SOURCE.findIndex((l) => l.includes(`// ${marker}`) && !l.includes('lineOf(')) + 1;

function buildError(f: () => unknown): BuildShapeError {
  try {
    f();
  } catch (e) {
    if (e instanceof BuildShapeError) return e;
    throw e;
  }
  throw new Error('expected a BuildShapeError, but the op was accepted');
}

function expectError(e: BuildShapeError, rule: string, op: string, tensors: string[], marker: string): void {
  expect(e.rule).toBe(rule);
  expect(e.op).toBe(op);
  expect(e.tensors).toEqual(tensors);
  expect(e.source).toMatch(new RegExp(`^${FILE.replace(/[.]/g, '\\.')}:${lineOf(marker)}:\\d+$`));
  // The message a user sees carries all of it.
  for (const part of [rule, op, ...tensors, e.source]) expect(e.message).toContain(part);
}

const wide = (n: number) => n; // a dim the compiler only knows as `number`

describe('build-time shape errors for dims only known at build time', () => {
  it('attention: heads do not divide the width', () => {
    const [q, k, v] = [input('q', [2, 10, wide(250)]), input('k', [2, 7, wide(250)]), input('v', [2, 7, wide(250)])];
    const e = buildError(() => attention(q, k, v, { heads: 8 })); // @heads
    expectError(
      e,
      'attention: 8 heads do not divide width 250',
      'Attention',
      ["input 'q' [2, 10, 250]", "input 'k' [2, 7, 250]", "input 'v' [2, 7, 250]"],
      '@heads',
    );
  });

  it('attention: key width differs from query width', () => {
    const [q, k] = [input('q', ['B', 10, wide(256)]), input('k', ['B', 7, wide(128)])];
    const e = buildError(() => attention(q, k, k, { heads: 8 })); // @kwidth
    expectError(
      e,
      'attention: key width 128 differs from query width 256',
      'Attention',
      ["input 'q' [B, 10, 256]", "input 'k' [B, 7, 128]", "input 'k' [B, 7, 128]"],
      '@kwidth',
    );
  });

  it('attention: value tokens differ from key tokens', () => {
    const [q, k, v] = [input('q', [1, 4, 64]), input('k', [1, wide(77), 64]), input('v', [1, wide(78), 64])];
    const e = buildError(() => attention(q, k, v, { heads: 4 })); // @tokens
    expectError(
      e,
      'attention: value tokens 78 differ from key tokens 77',
      'Attention',
      ["input 'q' [1, 4, 64]", "input 'k' [1, 77, 64]", "input 'v' [1, 78, 64]"],
      '@tokens',
    );
  });

  it('attention: a symbolic width needs an explicit scale', () => {
    const [q, k] = [input('q', ['B', 4, 'D']), input('k', ['B', 5, 'D'])];
    const e = buildError(() => attention(q, k, k, { heads: 2 })); // @symwidth
    expect(e.rule).toBe("attention: query width 'D' is symbolic, so the default scale 1/√(width/heads) is unknown; pass scale");
    expect(e.source).toMatch(new RegExp(`:${lineOf('@symwidth')}:\\d+$`));
    expect(() => attention(q, k, k, { heads: 2, scale: 0.5 })).not.toThrow();
  });

  it('reduceSum: an axis out of range', () => {
    const x = input('x', ['B', 4, 8]);
    const e = buildError(() => reduceSum(x, [wide(3)])); // @axis
    expectError(e, 'reduceSum: axis 3 is out of range for rank 3', 'ReduceSum', ["input 'x' [B, 4, 8]"], '@axis');
  });

  it('reduceMean: a repeated axis', () => {
    const x = input('x', [2, 4, 8]);
    const e = buildError(() => reduceMean(x, [wide(1), wide(-2)], true)); // @repeat
    expectError(e, 'reduceMean: axis -2 is repeated', 'ReduceMean', ["input 'x' [2, 4, 8]"], '@repeat');
  });

  it('softmax: an axis out of range', () => {
    const x = input('x', [2, 4]);
    const e = buildError(() => softmax(x, wide(-3))); // @softmax
    expectError(e, 'softmax: axis -3 is out of range for rank 2', 'Softmax', ["input 'x' [2, 4]"], '@softmax');
  });

  it('layerNormalization: scale shape differs from the normalised dims', () => {
    const x = input('x', ['B', 4, wide(256)]);
    const [scale, bias] = [input('scale', [wide(255)]), input('bias', [256])];
    const e = buildError(() => layerNormalization(x, scale, bias)); // @lnscale
    expectError(
      e,
      'layerNormalization: scale shape [255] differs from x.shape[-1:] = [256]',
      'LayerNormalization',
      ["input 'x' [B, 4, 256]", "input 'scale' [255]", "input 'bias' [256]"],
      '@lnscale',
    );
  });

  it('multiHeadAttention: the module path names the op', () => {
    const store = new ParamStore(0);
    const [query, kv] = [input('query', ['B', 16, 96]), input('kv', ['B', 9, 96])];
    const e = buildError(() => multiHeadAttention(store.root().at('decoder').at('attn'), query, kv, { heads: wide(5) })); // @mha
    expect(e.rule).toBe('attention: 5 heads do not divide width 96');
    expect(e.op).toBe('Attention in decoder.attn');
    expect(e.tensors).toEqual(["'decoder.attn.q/Add:0' [B, 16, 96]", "'decoder.attn.k/Add:0' [B, 9, 96]", "'decoder.attn.v/Add:0' [B, 9, 96]"]);
    expect(e.source).toMatch(new RegExp(`:${lineOf('@mha')}:\\d+$`));
  });

  it('a width that stays symbolic cannot size parameters: the compiler lets a named dim through, the build says why', () => {
    const store = new ParamStore(0);
    expect(() => layerNorm(store.root().at('ln'), input('x', ['B', 'C']))).toThrow(
      "layerNorm 'ln': the last dim must be static to size its parameters, got 'C'",
    );
    expect(() => layerNorm2d(store.root().at('ln2d'), input('img', ['B', 'C', 8, 8]))).toThrow(
      "layerNorm2d 'ln2d': the channel dim must be static to size its parameters, got 'C'",
    );
    const q = input('q', ['B', 16, 'C']);
    expect(() => multiHeadAttention(store.root().at('attn'), q, q, { heads: 2 })).toThrow(
      "multiHeadAttention 'attn': the query width must be static to size the projections, got 'C'",
    );
  });
});
