import { describe, expect, it } from 'vitest';
import { input } from '../../src/dsl/tensor.js';
import { build } from '../../src/dsl/build.js';
import { toModelProto } from '../../src/onnx/emit.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import { concat, flatten, reshape, slice, stack } from '../../src/dsl/index.js';
import type { Tensor } from '../../src/dsl/tensor.js';

/** The emitted node types and the int64 initializers' values, for one graph. */
function lowered(x: Tensor<Shape, 'float32'>, y: Tensor<Shape, 'float32'>) {
  const m = toModelProto(build({ inputs: { x }, outputs: { y } }));
  const ints = new Map(
    m
      .graph!.initializer!.filter((t) => t.dataType === 7)
      .map((t) => [t.name!, Array.from(new BigInt64Array(new Uint8Array(t.rawData!).slice().buffer), Number)]),
  );
  const nodes = m.graph!.node!;
  return { ops: nodes.map((n) => n.opType), reshapeTarget: ints.get(nodes.find((n) => n.opType === 'Reshape')!.input![1]), ints };
}

describe('reshape lowering: the target tensor', () => {
  it('static target → one int64 constant', () => {
    const x = input('x', [2, 3, 4]);
    expect(lowered(x, reshape(x, [-1, 4]))).toMatchObject({ ops: ['Reshape'], reshapeTarget: [6, 4] });
  });

  it('a symbolic dim at its own index → 0 (copy); one other unknown → -1', () => {
    const x = input('x', ['B', 'N', 4]);
    const y = reshape(x, ['B', -1]);
    expect(y.shape).toEqual(['B', 'N*4']);
    expect(lowered(x, y)).toMatchObject({ ops: ['Reshape'], reshapeTarget: [0, -1] });
  });

  it('symbolic dims elsewhere → Shape, Gather (and ReduceProd for products), Concat', () => {
    const x = input('x', ['B', 'N', 4]);
    // One of N, B becomes -1; the other is gathered.
    expect(lowered(x, reshape(x, ['N', 'B', 4])).ops).toEqual(['Shape', 'Gather', 'Concat', 'Reshape']);
    // Two products of symbolic dims: one is -1, the other is Gather([0, 1]) then ReduceProd.
    const x4 = input('x', ['B', 'N', 'H', 'W']);
    const merged = lowered(x4, reshape(x4, ['B*N', 'H*W']));
    expect(merged.ops).toEqual(['Shape', 'Gather', 'ReduceProd', 'Concat', 'Reshape']);
    expect([...merged.ints.values()]).toContainEqual([2, 3]);
  });

  it('flatten of symbolic dims is a Reshape with copies and -1', () => {
    const x = input('x', ['B', 'C', 'H', 'W']);
    const y = flatten(x, 2);
    expect(y.shape).toEqual(['B', 'C', 'H*W']);
    expect(lowered(x, y)).toMatchObject({ ops: ['Reshape'], reshapeTarget: [0, 0, -1] });
  });
});

describe('runtime rules write symbolic dims as the type level does', () => {
  // The same cases as tests/types/shape-ops.types.ts, where the compiler pins these exact strings.
  it('reshape, flatten, concat, slice, stack', () => {
    const img = input('img', ['B', 'H', 'W', 4]);
    const c = input('c', ['B', 'H', 'W', 'C']);
    expect(reshape(img, ['B', 'H', -1]).shape).toEqual(['B', 'H', 'W*4']);
    expect(flatten(img).shape).toEqual(['B*H*W*4']);
    expect(concat([img, img, c], 3).shape).toEqual(['B', 'H', 'W', '8+C']);
    expect(concat([c, img], -1).shape).toEqual(['B', 'H', 'W', 'C+4']);
    expect(slice(img, 1, 1, -1).shape).toEqual(['B', 'H-2', 'W', 4]);
    expect(slice(img, 1, 1).shape).toEqual(['B', 'H-1', 'W', 4]);
    expect(slice(img, 1, -3).shape).toEqual(['B', 3, 'W', 4]);
    expect(stack([img, img], -1).shape).toEqual(['B', 'H', 'W', 4, 2]);
  });
});
