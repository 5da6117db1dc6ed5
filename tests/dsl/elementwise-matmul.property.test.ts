import { describe, it } from 'vitest';
import fc from 'fast-check';
import { input } from '../../src/dsl/tensor.js';
import { add, div, gelu, matmul, maximum, mul, sub, relu, sigmoid, exp } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import { checkShapes } from '../../src/testing/shape-property.js';
import { broadcastBinary, matmulRef } from '../reference/dense.js';
import { erfRef } from '../reference/scalar.js';

/** Two broadcast-compatible shapes: b is a suffix of a with some dims set to 1. */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 0, max: a.length }), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length })))
  .map(([a, drop, ones]) => ({ a, b: a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)), swap: drop % 2 === 1 }));

const binaries = {
  add: [add, (x: number, y: number) => x + y],
  sub: [sub, (x: number, y: number) => x - y],
  mul: [mul, (x: number, y: number) => x * y],
  div: [div, (x: number, y: number) => x / y],
  maximum: [maximum, (x: number, y: number) => Math.max(x, y)],
} as const;

describe('element-wise ops: declared shape == ONNX Runtime shape, values == reference', () => {
  for (const [name, [op, f]] of Object.entries(binaries)) {
    it(name, async () => {
      await checkShapes({
        params: broadcastPair,
        graph: ({ a, b, swap }) => {
          const x = input('x', (swap ? b : a) as Shape);
          const y = input('y', (swap ? a : b) as Shape);
          return build({ inputs: { x, y }, outputs: { z: (op as (p: unknown, q: unknown) => never)(x, y) } });
        },
        reference: ({ a, b, swap }, feeds) => ({
          z: broadcastBinary(feeds.x.data as Float32Array, swap ? b : a, feeds.y.data as Float32Array, swap ? a : b, (p, q) => Math.fround(f(p, q))).data,
        }),
        tolerance: name === 'div' ? 1e-4 : 1e-5,
      });
    });
  }

  const unaries = {
    relu: [relu, (x: number) => Math.max(0, x)],
    sigmoid: [sigmoid, (x: number) => 1 / (1 + Math.exp(-x))],
    exp: [exp, Math.exp],
    gelu: [gelu, (x: number) => 0.5 * x * (1 + erfRef(x / Math.SQRT2))],
  } as const;
  for (const [name, [op, f]] of Object.entries(unaries)) {
    it(name, async () => {
      await checkShapes({
        params: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 4 }),
        graph: (s) => {
          const x = input('x', s as Shape);
          return build({ inputs: { x }, outputs: { y: (op as (p: unknown) => never)(x) } });
        },
        reference: (_s, feeds) => ({ y: Array.from(feeds.x.data as Float32Array, f) }),
      });
    });
  }
});

describe('matmul: declared shape == ONNX Runtime shape, values == reference', () => {
  it('batched with broadcasting and a symbolic batch dim', async () => {
    await checkShapes({
      params: fc.record({
        batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        n: fc.integer({ min: 1, max: 6 }),
        k: fc.integer({ min: 1, max: 6 }),
        m: fc.integer({ min: 1, max: 6 }),
        rhsBatched: fc.boolean(),
        B: fc.integer({ min: 1, max: 3 }),
      }),
      graph: ({ batch, n, k, m, rhsBatched, B }) => {
        const x = input('x', ['B', ...batch, n, k] as Shape);
        const y = input('y', (rhsBatched ? [...batch, k, m] : [k, m]) as Shape);
        return { graph: build({ inputs: { x, y }, outputs: { z: matmul(x, y as never) } }), bindings: { B } };
      },
      reference: ({ batch, n, k, m, rhsBatched, B }, feeds) => ({
        z: matmulRef(feeds.x.data as Float32Array, [B, ...batch, n, k], feeds.y.data as Float32Array, rhsBatched ? [...batch, k, m] : [k, m]).data,
      }),
    });
  });
});
