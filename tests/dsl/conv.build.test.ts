import { describe, expect, it } from 'vitest';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { avgPool2d, BuildShapeError, conv2d, conv2dLayer, convTranspose2d, convTranspose2dLayer, maxPool2d, resize } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import type { Dim, Shape } from '../../src/dsl/types/shape.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type ShapeOf<T> = T extends Tensor<infer S, any> ? S : never;

/**
 * The shape the compiler computed (checked by the third argument's type: it only accepts `true`
 * when the type-level shape is exactly `expected`) equals the shape the build-time rule computed.
 */
function sameAtBothLevels<T extends Tensor<Shape, any>, const E extends Dim[]>(t: T, expected: E, _typeLevelIsExpected: Equals<ShapeOf<T>, E>): void {
  expect(t.shape).toEqual(expected);
}

/** The line this is called on (to name the expected source location of an error): the caller's frame, after this one. */
const thisLine = (): number => Number([...(new Error().stack ?? '').matchAll(/conv\.build\.test\.ts:(\d+)/g)][1]?.[1]);

describe('symbolic dims: the type level and the build-time rule write the same expression', () => {
  const x = input('x', ['B', 3, 'H', 'W']);
  it('conv2d', () => {
    sameAtBothLevels(conv2d(x, input('w3', [8, 3, 3, 3]), undefined, { stride: 2, padding: 1 }), ['B', 8, 'floor((H-1)/2)+1', 'floor((W-1)/2)+1'], true);
    sameAtBothLevels(conv2d(x, input('w3', [8, 3, 3, 3])), ['B', 8, 'H-2', 'W-2'], true);
    sameAtBothLevels(conv2d(x, input('w3', [8, 3, 3, 3]), undefined, { padding: [1, 2] }), ['B', 8, 'H', 'W+2'], true);
    sameAtBothLevels(conv2d(x, input('w2', [8, 3, 2, 2]), undefined, { stride: 2 }), ['B', 8, 'floor((H-2)/2)+1', 'floor((W-2)/2)+1'], true);
    sameAtBothLevels(conv2d(x, input('w1', [8, 3, 1, 1]), undefined, { stride: [2, 3], padding: 1 }), ['B', 8, 'floor((H+1)/2)+1', 'floor((W+1)/3)+1'], true);
    sameAtBothLevels(conv2d(x, input('w2', [8, 3, 2, 2]), undefined, { stride: 2, padding: 1 }), ['B', 8, 'floor(H/2)+1', 'floor(W/2)+1'], true);
    sameAtBothLevels(
      conv2d(x, input('w3', [8, 3, 3, 3]), undefined, { dilation: [3, 2], padding: [1, 0], stride: [1, 4] }),
      ['B', 8, 'H-4', 'floor((W-5)/4)+1'],
      true,
    );
  });
  it('convTranspose2d', () => {
    const lat = input('lat', ['B', 3, 'H', 'W']);
    sameAtBothLevels(convTranspose2d(lat, input('t2', [3, 4, 2, 2]), undefined, { stride: 2 }), ['B', 4, 'H*2', 'W*2'], true);
    sameAtBothLevels(
      convTranspose2d(lat, input('t3', [3, 4, 3, 3]), undefined, { stride: 2, padding: 1, outputPadding: [1, 0] }),
      ['B', 4, 'H*2', 'W*2-1'],
      true,
    );
    sameAtBothLevels(convTranspose2d(lat, input('t3', [3, 4, 3, 3])), ['B', 4, 'H*1+2', 'W*1+2'], true);
    sameAtBothLevels(convTranspose2d(lat, input('t1', [3, 4, 1, 1]), undefined, { stride: 2, padding: 1 }), ['B', 4, 'H*2-3', 'W*2-3'], true);
  });
  it('pools and resize', () => {
    sameAtBothLevels(maxPool2d(x, { kernel: 2 }), ['B', 3, 'floor((H-2)/2)+1', 'floor((W-2)/2)+1'], true);
    sameAtBothLevels(avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }), ['B', 3, 'floor((H-1)/2)+1', 'floor((W-1)/2)+1'], true);
    sameAtBothLevels(resize(x, { scale: 4 }), ['B', 3, 'H*4', 'W*4'], true);
    sameAtBothLevels(resize(x, { size: [64, 32] }, 'nearest'), ['B', 3, 64, 32], true);
  });
});

describe('dims only known at build time: the same rules throw BuildShapeError naming op, tensors, shapes and source line', () => {
  // `number`, not a literal: the compiler defers these dims to the build-time rule.
  const n = (v: number): number => v;

  it('conv2d: kernel larger than the padded input', () => {
    const x = input('x', [1, 3, n(4), n(4)]);
    const w = input('w', [8, 3, n(5), n(5)]);
    const [line, call] = [thisLine(), () => conv2d(x, w)];
    const err = (() => {
      try {
        call();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BuildShapeError);
    const e = err as BuildShapeError;
    expect(e.rule).toBe('conv2d: kernel 5 (dilation 1) is larger than the padded input 4');
    expect(e.op).toBe('Conv');
    expect(e.tensors).toEqual(["input 'x' [1, 3, 4, 4]", "input 'w' [8, 3, 5, 5]"]);
    expect(e.source).toMatch(new RegExp(`^tests/dsl/conv\\.build\\.test\\.ts:${line}:\\d+$`));
    expect(e.message).toContain(`at tests/dsl/conv.build.test.ts:${line}:`);
  });

  it.each([
    ['conv2d: groups 4 does not divide the 6 input channels', () => conv2d(input('x', [1, n(6), 8, 8]), input('w', [8, 1, 3, 3]), undefined, { groups: n(4) })],
    ['conv2d: input has 6 channels but the weight expects 4', () => conv2d(input('x', [1, n(6), 8, 8]), input('w', [8, n(4), 3, 3]))],
    ['conv2d: bias has 7 values but the weight has 8 output channels', () => conv2d(input('x', [1, 3, 8, 8]), input('w', [8, 3, 3, 3]), input('b', [n(7)]))],
    [
      'conv2d: stride must be whole numbers ≥ 1, got [0, 1]',
      () => conv2d(input('x', [1, 3, 8, 8]), input('w', [8, 3, 3, 3]), undefined, { stride: [n(0), 1] }),
    ],
    [
      'convTranspose2d: padding 3 is too large for input 1',
      () => convTranspose2d(input('x', [1, 4, n(1), 1]), input('w', [4, 4, 2, 2]), undefined, { padding: n(3) }),
    ],
    [
      'convTranspose2d: outputPadding 2 must be smaller than the stride 2',
      () => convTranspose2d(input('x', [1, 4, 4, 4]), input('w', [4, 4, 2, 2]), undefined, { stride: 2, outputPadding: n(2) }),
    ],
    ['maxPool2d: padding 2 must be smaller than the kernel 2', () => maxPool2d(input('x', [1, 4, 8, 8]), { kernel: 2, padding: n(2) })],
    ['avgPool2d: kernel 5 (dilation 1) is larger than the padded input 4', () => avgPool2d(input('x', [1, 4, n(4), 8]), { kernel: 5 })],
    ['resize: scale 1.5 must be a whole number ≥ 1 (give a size for other factors)', () => resize(input('x', [1, 4, 8, 8]), { scale: n(1.5) })],
    ['resize: the input needs rank 4 (N, C, H, W), got rank 3 [4, 8, 8]', () => resize(input('x', [4, 8, 8]) as never, { scale: 2 })],
  ])('%s', (rule, call) => {
    expect(call).toThrow(BuildShapeError);
    expect(call).toThrow(rule);
    expect(call).toThrow(/at tests\/dsl\/conv\.build\.test\.ts:\d+:\d+/);
  });

  it('inside a module, the op is named by the module path', () => {
    const store = new ParamStore(0);
    const x = input('x', [1, 3, n(2), n(2)]);
    expect(() => conv2dLayer(store.root().at('enc').at('stem'), x, { out: 4, kernel: 3 })).toThrow(
      /conv2d: kernel 3 \(dilation 1\) is larger than the padded input 2\n {2}op: Conv in enc\.stem\n {2}inputs: input 'x' \[1, 3, 2, 2\], parameter 'enc\.stem\.weight' \[4, 3, 3, 3\], parameter 'enc\.stem\.bias' \[4\]/,
    );
  });

  it('a conv layer needs a static channel count, and reports it like an op', () => {
    const store = new ParamStore(0);
    const x = input('x', ['B', 'C', 8, 8]) as Tensor<Shape, 'float32'>;
    const call = () => conv2dLayer(store.root().at('enc'), x as never, { out: 4, kernel: 3 });
    expect(call).toThrow(BuildShapeError);
    expect(call).toThrow(
      /conv2dLayer: the input's channel dim must be static, got C\n {2}op: conv2dLayer in enc\n {2}inputs: input 'x' \[B, C, 8, 8\]\n {2}at tests\/dsl\/conv\.build\.test\.ts:\d+/,
    );
  });
});

describe('conv layers: parameters named by scope, PyTorch fan-in init, deterministic', () => {
  const absMax = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

  it('conv2dLayer: weight [out, C/groups, kh, kw] and bias [out] in U(±1/√fanIn)', () => {
    const store = new ParamStore(5);
    const x = input('x', ['B', 8, 32, 32]);
    const y = conv2dLayer(store.root().at('enc').at('down'), x, { out: 16, kernel: [3, 2], stride: 2, padding: 1, groups: 2 });
    const g = build({ inputs: { x }, outputs: { y } });
    expect(g.params.map((p) => [p.name, p.shape])).toEqual([
      ['enc.down.weight', [16, 4, 3, 2]],
      ['enc.down.bias', [16]],
    ]);
    expect(g.nodes.map((nd) => nd.name)).toEqual(['enc.down/Conv']);
    const bound = 1 / Math.sqrt(4 * 3 * 2);
    for (const p of g.params) {
      expect(absMax(p.values())).toBeLessThanOrEqual(bound);
      expect(absMax(p.values())).toBeGreaterThan(bound / 2);
    }
    expect(y.shape).toEqual(['B', 16, 16, 17]);
  });

  it('the same seed gives the same weights, another seed other weights; bias: false has none', () => {
    const make = (seed: number) => {
      const store = new ParamStore(seed);
      conv2dLayer(store.root().at('c'), input('x', [1, 3, 8, 8]), { out: 4, kernel: 3, bias: false });
      return store.params;
    };
    expect([...make(1).keys()]).toEqual(['c.weight']);
    expect(make(1).get('c.weight')!.values()).toEqual(make(1).get('c.weight')!.values());
    expect(make(1).get('c.weight')!.values()).not.toEqual(make(2).get('c.weight')!.values());
  });

  it('convTranspose2dLayer: weight [C, out, kh, kw], fan-in out·kh·kw as in PyTorch', () => {
    const store = new ParamStore(3);
    const x = input('x', ['B', 32, 16, 16]);
    const y = convTranspose2dLayer(store.root().at('up'), x, { out: 8, kernel: 2, stride: 2 });
    expect(y.shape).toEqual(['B', 8, 32, 32]);
    const w = store.params.get('up.weight')!;
    expect(w.shape).toEqual([32, 8, 2, 2]);
    expect(store.params.get('up.bias')!.shape).toEqual([8]);
    expect(absMax(w.values())).toBeLessThanOrEqual(1 / Math.sqrt(8 * 2 * 2));
    expect(absMax(w.values())).toBeGreaterThan(1 / Math.sqrt(32 * 2 * 2));
  });
});
