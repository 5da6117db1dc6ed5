import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import type { TF, TFTensor } from '../../src/dsl/graph.js';
import { emit } from '../../src/onnx/emit.js';
import { Model } from '../../src/runtime/session.js';
import { evalShape } from '../../src/dsl/dim.js';
import { randomFeeds } from '../../src/testing/shape-property.js';
import { windowOpCases } from './conv.cases.js';

// The window ops' tfjs kernels on wasm (the training backend, which lacks Conv2DBackpropFilter, so the
// convs carry their own gradients, see src/train/tfjs/conv.ts): the same random instances as the
// ONNX Runtime property test, compared with ONNX Runtime's output, and their gradients checked by the
// adjoint identity (linear ops) or directional differences (max pooling).
let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

/** max |a − e| / max(1, |e|). */
function maxRelErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return worst;
}

describe('window ops on tfjs (wasm) == ONNX Runtime', () => {
  for (const [name, c] of Object.entries(windowOpCases)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(c.params, async (p) => {
          const inst = c.graph(p);
          const feeds = randomFeeds(inst.graph, inst.bindings);
          const model = await Model.load(emit(inst.graph), { threads: 1 });
          const exec = new TfjsExecutor(tf, inst.graph);
          try {
            const [ort, ours] = [await model.run(feeds), await exec.runHost(feeds)];
            for (const o of inst.graph.outputs) {
              expect(ours[o.name].dims).toEqual(evalShape(o.value.shape, inst.bindings ?? {}));
              expect(ours[o.name].dims).toEqual(ort[o.name].dims);
              expect(maxRelErr(ours[o.name].data as Float32Array, ort[o.name].data as Float32Array)).toBeLessThanOrEqual(1e-5);
            }
          } finally {
            exec.dispose();
            await model.release();
          }
        }),
        { numRuns: 20, seed: 11 },
      );
    });
  }
});

/** What both gradient checks need: tfjs feeds and a random direction for every input, and L_a(t) = Σ f(…, a = t, …)·r. */
interface GradientSetting {
  readonly feeds: Record<string, TFTensor>;
  readonly delta: Record<string, TFTensor>;
  readonly lossAlong: (a: string) => (t: TFTensor) => TFTensor;
}

/** Builds one instance's executor, feeds (seed 3), directions (seed 4) and readout r (seed 5); frees them all after `check`. */
async function withGradientSetting(
  inst: ReturnType<(typeof windowOpCases)[string]['graph']>,
  zeroBias: boolean,
  check: (s: GradientSetting) => Promise<void>,
): Promise<void> {
  const exec = new TfjsExecutor(tf, inst.graph);
  const toTf = (f: ReturnType<typeof randomFeeds>) =>
    Object.fromEntries(Object.entries(f).map(([k, v]) => [k, tf.tensor(v.data as Float32Array, [...v.dims])]));
  tf.engine().startScope();
  try {
    const feeds = toTf(randomFeeds(inst.graph, inst.bindings, 3));
    const delta = toTf(randomFeeds(inst.graph, inst.bindings, 4));
    if (zeroBias && feeds.b) feeds.b = tf.zerosLike(feeds.b);
    const r = tf.randomUniform(exec.run(feeds).y.shape, -1, 1, 'float32', 5);
    await check({ feeds, delta, lossAlong: (a) => (t) => tf.sum(tf.mul(exec.run({ ...feeds, [a]: t }).y, r)) });
  } finally {
    tf.engine().endScope();
    exec.dispose();
  }
}

/**
 * For an op linear in input `a`, L = Σ f(a, …)·r has ∂L/∂a = g with ⟨g, δ⟩ = Σ f(δ, …)·r for every δ.
 * Checking that for a random δ validates the kernel's whole backward pass without another implementation.
 */
describe('window ops on tfjs (wasm): gradients satisfy the adjoint identity', () => {
  for (const [name, c] of Object.entries(windowOpCases)) {
    if (c.linearIn.length === 0) continue;
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(c.params, (p) =>
          // The bias is affine, not linear: zeroed so that f(δ, …) has no constant part.
          withGradientSetting(c.graph(p), true, async ({ feeds, delta, lossAlong }) => {
            for (const a of c.linearIn) {
              const loss = lossAlong(a);
              const lhs = (await tf.sum(tf.mul(tf.grad(loss)(feeds[a]), delta[a])).data())[0];
              const rhs = (await loss(delta[a]).data())[0];
              expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(rhs))).toBeLessThan(1e-4);
            }
          }),
        ),
        { numRuns: 12, seed: 13 },
      );
    });
  }
});

/**
 * Max pooling is linear near a point without ties: L(x + εδ) − L(x) = ε⟨∂L/∂x, δ⟩ for small ε.
 * Random inputs have no ties closer than ε with these seeds; float32 cancellation bounds the tolerance.
 */
describe('window ops on tfjs (wasm): gradients match directional differences where piecewise linear', () => {
  for (const [name, c] of Object.entries(windowOpCases)) {
    if (!c.piecewiseLinearIn?.length) continue;
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(c.params, (p) =>
          withGradientSetting(c.graph(p), false, async ({ feeds, delta, lossAlong }) => {
            const eps = 1e-3;
            for (const a of c.piecewiseLinearIn ?? []) {
              const loss = lossAlong(a);
              const along = (await tf.sum(tf.mul(tf.grad(loss)(feeds[a]), delta[a])).data())[0];
              const moved = (await loss(tf.add(feeds[a], tf.mul(delta[a], eps))).data())[0];
              const here = (await loss(feeds[a]).data())[0];
              expect(Math.abs((moved - here) / eps - along)).toBeLessThan(2e-2 * Math.max(1, Math.abs(along)));
            }
          }),
        ),
        { numRuns: 12, seed: 13 },
      );
    });
  }
});
