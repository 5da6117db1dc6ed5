// Random instances of the NCHW window ops, shared by the ONNX Runtime property test and the tfjs
// kernel test: fast-check parameters, a graph factory and a plain TypeScript reference for the values.
import fc from 'fast-check';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { avgPool2d, conv2d, convTranspose2d, maxPool2d, resize } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { GraphInstance } from '../../src/testing/shape-property.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { conv2dRef, convTranspose2dRef, pool2dRef, resizeRef, type P2 } from '../reference/conv.js';

type F = Tensor<Shape, 'float32'>;
type Feeds = Readonly<Record<string, HostTensor>>;

export interface WindowOpCase<P> {
  readonly params: fc.Arbitrary<P>;
  readonly graph: (p: P) => GraphInstance;
  readonly reference: (p: P, feeds: Feeds) => Record<string, ArrayLike<number>>;
  /** The inputs the op is linear in, or piecewise linear (max) in, for the tfjs gradient checks. */
  readonly linearIn: readonly string[];
  readonly piecewiseLinearIn?: readonly string[];
}
const windowCase = <P>(c: WindowOpCase<P>): WindowOpCase<unknown> => c as WindowOpCase<unknown>;

const int = (min: number, max: number) => fc.integer({ min, max });
const pair = (min: number, max: number) => fc.tuple(int(min, max), int(min, max)) as fc.Arbitrary<P2>;
const data = (feeds: Feeds, name: string) => feeds[name]?.data as Float32Array | undefined;

/** Batch and height symbolic ('B', 'H') in some instances: the declared dims are then expressions. */
function spatialInput(n: number, c: number, h: number, w: number, symbolic: boolean) {
  const x = input('x', (symbolic ? ['B', c, 'H', w] : [n, c, h, w]) as Shape) as F;
  const bindings: Record<string, number> = symbolic ? { B: n, H: h } : {};
  return { x, bindings };
}

/** Half the instances have windows that tile the image (stride = kernel, no padding or dilation): the tfjs kernels' tiled path. */
const tiled = <P extends { k: P2; stride: P2; padding: P2; dilation: P2; tile: boolean }>(p: P): P =>
  p.tile ? { ...p, stride: p.k, padding: [0, 0] as P2, dilation: [1, 1] as P2 } : p;

const conv = windowCase({
  params: fc
    .record({
      n: int(1, 2),
      groups: int(1, 3),
      cg: int(1, 3),
      og: int(1, 2),
      h: int(1, 9),
      w: int(1, 9),
      k: pair(1, 4),
      stride: pair(1, 3),
      padding: pair(0, 2),
      dilation: pair(1, 2),
      bias: fc.boolean(),
      symbolic: fc.boolean(),
      tile: fc.boolean(),
    })
    .map(tiled)
    .filter((p) => [0, 1].every((i) => [p.h, p.w][i] + 2 * p.padding[i] >= p.dilation[i] * (p.k[i] - 1) + 1)),
  graph: (p) => {
    const { x, bindings } = spatialInput(p.n, p.cg * p.groups, p.h, p.w, p.symbolic);
    const w = input('w', [p.og * p.groups, p.cg, p.k[0], p.k[1]] as Shape) as F;
    const b = p.bias ? (input('b', [p.og * p.groups] as Shape) as F) : undefined;
    const y = conv2d(x, w as never, b as never, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups });
    return { graph: build({ inputs: b ? { x, w, b } : { x, w }, outputs: { y } }), bindings };
  },
  reference: (p, feeds) => ({
    y: conv2dRef(data(feeds, 'x')!, [p.n, p.cg * p.groups, p.h, p.w], data(feeds, 'w')!, [p.og * p.groups, p.cg, p.k[0], p.k[1]], data(feeds, 'b'), p).data,
  }),
  linearIn: ['x', 'w'],
});

const convTranspose = windowCase({
  params: fc
    .record({
      n: int(1, 2),
      c: int(1, 3),
      o: int(1, 3),
      h: int(1, 6),
      w: int(1, 6),
      k: pair(1, 4),
      stride: pair(1, 3),
      padding: pair(0, 2),
      dilation: pair(1, 2),
      extra: pair(0, 2),
      bias: fc.boolean(),
      symbolic: fc.boolean(),
      tile: fc.boolean(),
    })
    .map(tiled)
    .map((p) => ({ ...p, outputPadding: [p.extra[0] % p.stride[0], p.extra[1] % p.stride[1]] as P2 }))
    .filter((p) => [0, 1].every((i) => ([p.h, p.w][i] - 1) * p.stride[i] - 2 * p.padding[i] + p.dilation[i] * (p.k[i] - 1) + p.outputPadding[i] + 1 >= 1)),
  graph: (p) => {
    const { x, bindings } = spatialInput(p.n, p.c, p.h, p.w, p.symbolic);
    const w = input('w', [p.c, p.o, p.k[0], p.k[1]] as Shape) as F;
    const b = p.bias ? (input('b', [p.o] as Shape) as F) : undefined;
    const y = convTranspose2d(x, w as never, b as never, { stride: p.stride, padding: p.padding, dilation: p.dilation, outputPadding: p.outputPadding });
    return { graph: build({ inputs: b ? { x, w, b } : { x, w }, outputs: { y } }), bindings };
  },
  reference: (p, feeds) => ({
    y: convTranspose2dRef(data(feeds, 'x')!, [p.n, p.c, p.h, p.w], data(feeds, 'w')!, [p.c, p.o, p.k[0], p.k[1]], data(feeds, 'b'), p).data,
  }),
  linearIn: ['x', 'w'],
});

const poolParams = fc
  .record({
    n: int(1, 2),
    c: int(1, 3),
    h: int(1, 8),
    w: int(1, 8),
    kernel: pair(1, 4),
    stride: fc.option(pair(1, 3), { nil: undefined }),
    pad: pair(0, 3),
    symbolic: fc.boolean(),
  })
  .map((p) => ({ ...p, padding: [p.pad[0] % p.kernel[0], p.pad[1] % p.kernel[1]] as P2 }))
  .filter((p) => p.h + 2 * p.padding[0] >= p.kernel[0] && p.w + 2 * p.padding[1] >= p.kernel[1]);

const pool = (kind: 'max' | 'avg') =>
  windowCase({
    params: poolParams,
    graph: (p) => {
      const { x, bindings } = spatialInput(p.n, p.c, p.h, p.w, p.symbolic);
      const op = (kind === 'max' ? maxPool2d : avgPool2d) as (x: F, o: object) => F;
      return { graph: build({ inputs: { x }, outputs: { y: op(x, { kernel: p.kernel, stride: p.stride, padding: p.padding }) } }), bindings };
    },
    reference: (p, feeds) => ({
      y: pool2dRef(kind, data(feeds, 'x')!, [p.n, p.c, p.h, p.w], { kernel: p.kernel, stride: p.stride ?? p.kernel, padding: p.padding }).data,
    }),
    linearIn: kind === 'avg' ? ['x'] : [],
    piecewiseLinearIn: kind === 'max' ? ['x'] : [],
  });

/**
 * linear: any size. nearest: whole factors only (a scale, or an input `down` times the size):
 * for other ratios ONNX Runtime's float32 ⌊dst / fl(out/in)⌋ can land one pixel below the exact
 * ⌊dst·in/out⌋ (e.g. 100 → 30), so the exact reference is not ONNX Runtime's there.
 */
const resizeCase = (mode: 'linear' | 'nearest') =>
  windowCase({
    params: fc
      .record({
        n: int(1, 2),
        c: int(1, 3),
        h: int(1, 7),
        w: int(1, 7),
        target:
          mode === 'linear'
            ? fc.oneof(fc.record({ size: pair(1, 12) }), fc.record({ scale: int(1, 3) }))
            : fc.oneof(fc.record({ scale: int(1, 4) }), fc.record({ down: pair(1, 3) })),
        symbolic: fc.boolean(),
      })
      .map(({ n, c, h, w, target: t, symbolic }) => {
        if ('scale' in t) return { n, c, h, w, symbolic, target: { scale: t.scale } as const, size: [h * t.scale, w * t.scale] as P2 };
        if ('size' in t) return { n, c, h, w, symbolic, target: { size: t.size }, size: t.size };
        return { n, c, h: h * t.down[0], w: w * t.down[1], symbolic, target: { size: [h, w] as P2 }, size: [h, w] as P2 };
      }),
    graph: (p) => {
      const { x, bindings } = spatialInput(p.n, p.c, p.h, p.w, p.symbolic);
      return { graph: build({ inputs: { x }, outputs: { y: resize(x, p.target as never, mode) } }), bindings };
    },
    reference: (p, feeds) => ({ y: resizeRef(mode, data(feeds, 'x')!, [p.n, p.c, p.h, p.w], p.size).data }),
    linearIn: ['x'],
  });

export const windowOpCases: Record<string, WindowOpCase<unknown>> = {
  conv2d: conv,
  convTranspose2d: convTranspose,
  maxPool2d: pool('max'),
  avgPool2d: pool('avg'),
  'resize linear': resizeCase('linear'),
  'resize nearest': resizeCase('nearest'),
};
