// Property tests for conv2d, convTranspose2d, maxPool2d, avgPool2d and resize: for random
// N/C/H/W, kernels, strides, paddings, dilations and groups, the declared output shape equals
// ONNX Runtime's (and ONNX strict shape inference's), and values equal a plain reference.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { avgPool2d, conv2d, convTranspose2d, maxPool2d, resize } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import { checkShapes } from '../../src/testing/shape-property.js';
import { conv2dRef, convTranspose2dRef, pool2dRef, resizeRef, type P2 } from '../reference/conv.js';

type F = Tensor<Shape, 'float32'>;
const int = (min: number, max: number) => fc.integer({ min, max });
const pair = (min: number, max: number) => fc.tuple(int(min, max), int(min, max));
const data = (feeds: Readonly<Record<string, { data: unknown }>>, name: string) => feeds[name]?.data as Float32Array | undefined;

/** Batch and height symbolic ('B', 'H') in some instances: the declared dims are then expressions. */
function spatialInput(name: string, n: number, c: number, h: number, w: number, symbolic: boolean) {
  const x = input(name, (symbolic ? ['B', c, 'H', w] : [n, c, h, w]) as Shape) as F;
  const bindings: Record<string, number> = symbolic ? { B: n, H: h } : {};
  return { x, bindings };
}

describe('conv2d: declared shape == ONNX Runtime shape, values == reference', () => {
  it('random N/C/H/W, kernel, stride, padding, dilation, groups, bias, symbolic B and H', async () => {
    await checkShapes({
      params: fc
        .record({ n: int(1, 2), groups: int(1, 3), cg: int(1, 3), og: int(1, 2), h: int(1, 9), w: int(1, 9), k: pair(1, 4), stride: pair(1, 3), padding: pair(0, 2), dilation: pair(1, 2), bias: fc.boolean(), symbolic: fc.boolean() })
        .filter((p) => p.h + 2 * p.padding[0] >= p.dilation[0] * (p.k[0] - 1) + 1 && p.w + 2 * p.padding[1] >= p.dilation[1] * (p.k[1] - 1) + 1),
      graph: (p) => {
        const c = p.cg * p.groups;
        const o = p.og * p.groups;
        const { x, bindings } = spatialInput('x', p.n, c, p.h, p.w, p.symbolic);
        const w = input('w', [o, p.cg, p.k[0], p.k[1]] as Shape) as F;
        const b = p.bias ? (input('b', [o] as Shape) as F) : undefined;
        const y = conv2d(x, w as never, b as never, { stride: p.stride as P2, padding: p.padding as P2, dilation: p.dilation as P2, groups: p.groups });
        return { graph: build({ inputs: b ? { x, w, b } : { x, w }, outputs: { y } }), bindings };
      },
      reference: (p, feeds) => ({
        y: conv2dRef(data(feeds, 'x')!, [p.n, p.cg * p.groups, p.h, p.w], data(feeds, 'w')!, [p.og * p.groups, p.cg, p.k[0], p.k[1]], data(feeds, 'b'), p).data,
      }),
      numRuns: 30,
    });
  });
});

describe('convTranspose2d: declared shape == ONNX Runtime shape, values == reference', () => {
  it('random N/C/H/W, kernel, stride, padding, output padding, dilation, bias, symbolic B and H', async () => {
    await checkShapes({
      params: fc
        .record({ n: int(1, 2), c: int(1, 3), o: int(1, 3), h: int(1, 6), w: int(1, 6), k: pair(1, 4), stride: pair(1, 3), padding: pair(0, 2), dilation: pair(1, 2), extra: pair(0, 2), bias: fc.boolean(), symbolic: fc.boolean() })
        .map((p) => ({ ...p, outputPadding: [0, 1].map((i) => p.extra[i] % p.stride[i]) as unknown as P2 }))
        .filter((p) => [0, 1].every((i) => ([p.h, p.w][i] - 1) * p.stride[i] - 2 * p.padding[i] + p.dilation[i] * (p.k[i] - 1) + p.outputPadding[i] + 1 >= 1)),
      graph: (p) => {
        const { x, bindings } = spatialInput('x', p.n, p.c, p.h, p.w, p.symbolic);
        const w = input('w', [p.c, p.o, p.k[0], p.k[1]] as Shape) as F;
        const b = p.bias ? (input('b', [p.o] as Shape) as F) : undefined;
        const y = convTranspose2d(x, w as never, b as never, { stride: p.stride as P2, padding: p.padding as P2, dilation: p.dilation as P2, outputPadding: p.outputPadding });
        return { graph: build({ inputs: b ? { x, w, b } : { x, w }, outputs: { y } }), bindings };
      },
      reference: (p, feeds) => ({
        y: convTranspose2dRef(data(feeds, 'x')!, [p.n, p.c, p.h, p.w], data(feeds, 'w')!, [p.c, p.o, p.k[0], p.k[1]], data(feeds, 'b'), { ...p, stride: p.stride as P2, padding: p.padding as P2, dilation: p.dilation as P2 }).data,
      }),
      numRuns: 30,
    });
  });
});

const poolCase = fc
  .record({ n: int(1, 2), c: int(1, 3), h: int(1, 8), w: int(1, 8), kernel: pair(1, 4), stride: fc.option(pair(1, 3), { nil: undefined }), pad: pair(0, 3), symbolic: fc.boolean() })
  .map((p) => ({ ...p, padding: [p.pad[0] % p.kernel[0], p.pad[1] % p.kernel[1]] as P2 }))
  .filter((p) => p.h + 2 * p.padding[0] >= p.kernel[0] && p.w + 2 * p.padding[1] >= p.kernel[1]);

describe('pools: declared shape == ONNX Runtime shape, values == reference', () => {
  for (const [kind, op] of [['max', maxPool2d], ['avg', avgPool2d]] as const) {
    it(`${kind}Pool2d: random kernel, stride (default: the kernel), padding, symbolic B and H`, async () => {
      await checkShapes({
        params: poolCase,
        graph: (p) => {
          const { x, bindings } = spatialInput('x', p.n, p.c, p.h, p.w, p.symbolic);
          const y = (op as (x: F, o: object) => F)(x, { kernel: p.kernel, stride: p.stride, padding: p.padding });
          return { graph: build({ inputs: { x }, outputs: { y } }), bindings };
        },
        reference: (p, feeds) => ({ y: pool2dRef(kind, data(feeds, 'x')!, [p.n, p.c, p.h, p.w], { kernel: p.kernel as P2, stride: (p.stride ?? p.kernel) as P2, padding: p.padding }).data }),
        numRuns: 25,
      });
    });
  }
});

/**
 * linear: any size. nearest: whole factors only (a scale, or an input `down` times the size):
 * for other ratios ONNX Runtime's float32 ⌊dst / fl(out/in)⌋ can land one pixel below the exact
 * ⌊dst·in/out⌋ (e.g. 100 → 30), so the exact reference is not ONNX Runtime's there.
 */
const resizeCase = (mode: 'linear' | 'nearest') =>
  fc
    .record({
      n: int(1, 2),
      c: int(1, 3),
      h: int(1, 7),
      w: int(1, 7),
      target: mode === 'linear' ? fc.oneof(fc.record({ size: pair(1, 12) }), fc.record({ scale: int(1, 3) })) : fc.oneof(fc.record({ scale: int(1, 4) }), fc.record({ down: pair(1, 3) })),
      symbolic: fc.boolean(),
    })
    .map(({ n, c, h, w, target: t, symbolic }) => {
      if ('scale' in t) return { n, c, h, w, symbolic, target: { scale: t.scale }, size: [h * t.scale, w * t.scale] as P2 };
      if ('size' in t) return { n, c, h, w, symbolic, target: { size: t.size as P2 }, size: t.size as P2 };
      return { n, c, h: h * t.down[0], w: w * t.down[1], symbolic, target: { size: [h, w] as P2 }, size: [h, w] as P2 };
    });

describe('resize: declared shape == ONNX Runtime shape, values == reference', () => {
  for (const mode of ['linear', 'nearest'] as const) {
    it(`${mode}: to a size or by a whole scale, static or symbolic B and H`, async () => {
      await checkShapes({
        params: resizeCase(mode),
        graph: (p) => {
          const { x, bindings } = spatialInput('x', p.n, p.c, p.h, p.w, p.symbolic);
          return { graph: build({ inputs: { x }, outputs: { y: resize(x, p.target as never, mode) } }), bindings };
        },
        reference: (p, feeds) => ({ y: resizeRef(mode, data(feeds, 'x')!, [p.n, p.c, p.h, p.w], p.size).data }),
        numRuns: 25,
      });
    });
  }
});
