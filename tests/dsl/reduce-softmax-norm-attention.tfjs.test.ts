import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type * as tfjs from '@tensorflow/tfjs';
import { useBackend } from '../../src/train/tfjs/backend.js';
import type { TF } from '../../src/dsl/graph.js';
import { tfjsKernels } from '../../src/train/tfjs/kernels.js';
import { attentionOp } from '../../src/dsl/ops/attention.js';
import { attentionParams, nnCases } from './reduce-softmax-norm-attention.cases.js';
import { checkCaseOnTfjs } from './op-cases.js';

// The same random instances as the ONNX Runtime property test, run through each op's tfjs kernel on
// wasm (the training backend): actual shape == declared shape, values == the reference within 1e-5.
let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length, `${name}: element count`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= tol)) expect.fail(`${name}[${i}]: tfjs gives ${actual[i]}, the reference ${expected[i]} (relative error ${err.toExponential(2)} > ${tol})`);
  }
}

describe('reductions, softmax, layer-norm and attention on tfjs (wasm)', () => {
  for (const [name, c] of Object.entries(nnCases)) {
    it(name, async () => {
      await checkCaseOnTfjs(tf, c, (name, actual, expected) => expectClose(name, actual, expected, 1e-5), { numRuns: 25, seed: 7 });
    });
  }
});

describe('attention kernel gradient (per-head 2-D matMuls with explicit-transpose gradients)', () => {
  /** The textbook form on batched, transposed tf.matMul, differentiated by tfjs itself. */
  function plainAttention(q: tfjs.Tensor, k: tfjs.Tensor, v: tfjs.Tensor, heads: number, scale: number): tfjs.Tensor {
    const split = (x: tfjs.Tensor) => {
      const [b, n, w] = x.shape;
      return tf.reshape(tf.transpose(tf.reshape(x, [b, n, heads, w / heads]), [0, 2, 1, 3]), [b * heads, n, w / heads]) as tfjs.Tensor3D;
    };
    const [b, nq] = q.shape;
    const dv = v.shape[2] as number;
    const o = tf.matMul(tf.softmax(tf.mul(tf.matMul(split(q), split(k), false, true), scale)), split(v));
    return tf.reshape(tf.transpose(tf.reshape(o, [b, heads, nq, dv / heads]), [0, 2, 1, 3]), [b, nq, dv]);
  }

  it('equals autodiff of the plain batched form', async () => {
    await fc.assert(
      fc.asyncProperty(attentionParams, fc.integer({ min: 1, max: 1000 }), async (p, seed) => {
        const b = p.batch.reduce((x, y) => x * y, 1);
        const d = p.heads * p.dh;
        const dv = p.heads * p.dvh;
        const scale = p.scale ?? 1 / Math.sqrt(p.dh);
        const [gotQ, gotK, gotV, wantQ, wantK, wantV] = tf.tidy(() => {
          const q = tf.randomUniform([b, p.nq, d], -1, 1, 'float32', seed);
          const k = tf.randomUniform([b, p.nk, d], -1, 1, 'float32', seed + 1);
          const v = tf.randomUniform([b, p.nk, dv], -1, 1, 'float32', seed + 2);
          // A random cotangent, so every output element's gradient path counts.
          const w = tf.randomUniform([b, p.nq, dv], -1, 1, 'float32', seed + 3);
          const viaKernel = tf.grads((x: tfjs.Tensor, y: tfjs.Tensor, z: tfjs.Tensor) =>
            tf.sum(tf.mul(attentionOp.tfjs(tf, [x, y, z], { heads: p.heads, scale: p.scale }, undefined as never, tfjsKernels(tf))[0], w)),
          );
          const viaPlain = tf.grads((x: tfjs.Tensor, y: tfjs.Tensor, z: tfjs.Tensor) => tf.sum(tf.mul(plainAttention(x, y, z, p.heads, scale), w)));
          return [...viaKernel([q, k, v]), ...viaPlain([q, k, v])];
        });
        try {
          expectClose('dq', await gotQ.data(), await wantQ.data(), 1e-5);
          expectClose('dk', await gotK.data(), await wantK.data(), 1e-5);
          expectClose('dv', await gotV.data(), await wantV.data(), 1e-5);
        } finally {
          tf.dispose([gotQ, gotK, gotV, wantQ, wantK, wantV]);
        }
      }),
      { numRuns: 25, seed: 11 },
    );
  });
});
