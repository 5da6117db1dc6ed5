import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { input } from '../../src/dsl/tensor.js';
import { BuildShapeError } from '../../src/dsl/graph.js';
import { defineModule } from '../../src/dsl/module.js';
import { ParamStore } from '../../src/dsl/params.js';
import { concat, flatten, reshape, slice, split, squeeze, stack, transpose, unsqueeze } from '../../src/dsl/index.js';

// Dims typed `number` (known only when the graph is built) pass the compiler; the same rules run at
// build time and throw a BuildShapeError naming the op, the tensors, their shapes and the caller's line.
const thisFile = fileURLToPath(import.meta.url);
const sourceLines = readFileSync(thisFile, 'utf8').split('\n');

/** Runs `f`, expects a BuildShapeError, and checks its parts; returns it for further checks. */
function expectBuildError(f: () => unknown, op: string, rule: string, tensors: string[], call: string): BuildShapeError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BuildShapeError);
  const e = err as BuildShapeError;
  expect(e.rule).toBe(rule);
  expect(e.op).toBe(op);
  expect(e.tensors).toEqual(tensors);
  expect(e.message).toContain(rule);
  expect(e.message).toContain(tensors.join(', '));
  // The source is this file, at the line that called the op.
  const m = /shape-ops\.build-errors\.test\.ts:(\d+):\d+$/.exec(e.source);
  expect(m, `source ${e.source}`).not.toBeNull();
  expect(sourceLines[Number(m![1]) - 1]).toContain(call);
  return e;
}

// Values only the build sees (typed `number`, so the compiler defers the checks).
const runtime = (v: number): number => v;

describe('shape ops: build-time errors for dims the types cannot see', () => {
  it('reshape: element count', () => {
    const x = input('x', [runtime(4), runtime(6)]);
    expectBuildError(() => reshape(x, [5, 5]), 'Reshape', 'reshape: 24 elements cannot be viewed as [5, 5] (25)', ["input 'x' [4, 6]"], 'reshape(x, [5, 5])');
    expectBuildError(
      () => reshape(x, [5, -1]),
      'Reshape',
      'reshape: 24 elements cannot be viewed as [5, -1] (not a multiple of 5)',
      ["input 'x' [4, 6]"],
      'reshape(x, [5, -1])',
    );
  });

  it('reshape: symbolic target dims that cannot be computed from the input shape', () => {
    // The types accept this (the factors B, H, W cancel), but ONNX can infer only one dim of H and W.
    const x = flatten(input('x', ['B', 'H', 'W']), 1);
    expectBuildError(
      () => reshape(x, ['B', 'H', 'W']),
      'Reshape',
      'reshape: [B, H, W] has 2 dims (H, W) that cannot be computed from [B, H*W]; at most one can be inferred',
      ["'Flatten:0' [B, H*W]"],
      "reshape(x, ['B', 'H', 'W'])",
    );
    // One unknown is fine: it becomes ONNX's -1.
    const y = flatten(input('y', ['B', 'H', 4]), 1);
    expect(reshape(y, ['B', 'H', 4]).shape).toEqual(['B', 'H', 4]);
  });

  it('flatten, transpose, squeeze, unsqueeze: axes known at build time', () => {
    const x = input('x', [2, runtime(3), 4]);
    const [one, zero, five] = [runtime(1), runtime(0), runtime(5)];
    expectBuildError(
      () => flatten(x, 2, one),
      'Flatten',
      'flatten: start axis 2 comes after end axis 1 (rank 3)',
      ["input 'x' [2, 3, 4]"],
      'flatten(x, 2, one)',
    );
    expectBuildError(
      () => transpose(x, [zero, 0, 1]),
      'Transpose',
      'transpose: [0, 0, 1] is not a permutation of the axes of a rank-3 tensor',
      ["input 'x' [2, 3, 4]"],
      'transpose(x, [zero, 0, 1])',
    );
    expectBuildError(() => squeeze(x, one), 'Squeeze', 'squeeze: dim 1 is 3, not 1', ["input 'x' [2, 3, 4]"], 'squeeze(x, one)');
    expectBuildError(() => unsqueeze(x, [five]), 'Unsqueeze', 'unsqueeze: axis 5 is out of range for rank 4', ["input 'x' [2, 3, 4]"], 'unsqueeze(x, [five])');
  });

  it('concat and stack: dims that differ', () => {
    const a = input('a', ['B', runtime(64)]);
    const b = input('b', ['B', runtime(32)]);
    expectBuildError(() => concat([a, b], 0), 'Concat', 'concat: dim 1 differs (64 vs 32)', ["input 'a' [B, 64]", "input 'b' [B, 32]"], 'concat([a, b], 0)');
    expectBuildError(() => stack([a, b], 0), 'Stack', 'stack: dim 1 differs (64 vs 32)', ["input 'a' [B, 64]", "input 'b' [B, 32]"], 'stack([a, b], 0)');
  });

  it('split and slice: static bounds', () => {
    const x = input('x', ['B', runtime(6)]);
    expectBuildError(() => split(x, 1, [2, 3]), 'Split', 'split: sizes [2, 3] sum to 5, but dim 1 is 6', ["input 'x' [B, 6]"], 'split(x, 1, [2, 3])');
    expectBuildError(() => slice(x, 1, 2, 9), 'Slice', 'slice: [2:9] is out of range for dim 1 (size 6)', ["input 'x' [B, 6]"], 'slice(x, 1, 2, 9)');
    expectBuildError(
      () => slice(x, -1, runtime(4), 1),
      'Slice',
      'slice: [4:1] ends before it starts on dim 1 (size 6)',
      ["input 'x' [B, 6]"],
      'slice(x, -1, runtime(4), 1)',
    );
  });

  it('names the module path and an intermediate tensor', () => {
    const block = defineModule((_s, x: ReturnType<typeof input>) => concat([transpose(x, [1, 0]), x], runtime(0)));
    const x = input('x', [2, runtime(3)]);
    const e = expectBuildError(
      () => block(new ParamStore(1).root().at('decoder').at('former'), x),
      'Concat in decoder.former',
      'concat: dim 1 differs (2 vs 3)',
      ["'decoder.former/Transpose:0' [3, 2]", "input 'x' [2, 3]"],
      'concat([transpose(x',
    );
    expect(e.message).toMatch(/^concat: dim 1 differs \(2 vs 3\)\n {2}op: Concat in decoder.former\n {2}inputs: /);
  });
});
