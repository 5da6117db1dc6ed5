// Each differentiable op's tfjs gradient (through our kernels) vs central finite differences, on the small
// cases of gradient-cases.ts (shared with the backward-graph checks in tests/autodiff/vjp.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/dsl/build.js';
import * as dsl from '../../src/dsl/index.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { TF } from '../../src/dsl/graph.js';
import type { Graph } from '../../src/dsl/build.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { checkGradients, GradCheckFailure } from '../../src/testing/gradcheck.js';
import { segmentationLoss } from '../../src/train/loss.js';
import { gradientCases, values } from './gradient-cases.js';

type T = Tensor<Shape, 'float32'>;
const f = dsl as unknown as Record<string, (...a: unknown[]) => T>;

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('tfjs gradients == central finite differences', () => {
  for (const [name, make] of Object.entries(gradientCases))
    it(name, () => {
      const c = make();
      const r = checkGradients({ tf, graph: c.graph, feeds: c.feeds, wrt: c.wrt, maxElements: c.maxElements });
      if (c.checked !== undefined) expect(r.checked).toBe(c.checked);
    });

  it('the training loss (cross-entropy + soft Dice) with respect to logits', () => {
    const logits = values([2, 1, 3, 3], 16, 0.1, 2);
    const target = { dtype: 'float32' as const, dims: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)) };
    const g = tf.grad((x: ReturnType<TF['tensor']>) => {
      const l = segmentationLoss(tf, x, tf.tensor(target.data, [...target.dims]));
      return l.loss;
    })(tf.tensor(logits.data as Float32Array, [...logits.dims]));
    const analytic = g.dataSync();
    const lossAt = (data: Float32Array) =>
      tf.tidy(() => segmentationLoss(tf, tf.tensor(data, [...logits.dims]), tf.tensor(target.data, [...target.dims])).loss.dataSync()[0]);
    const eps = 5e-3;
    for (let i = 0; i < 18; i++) {
      const up = Float32Array.from(logits.data as Float32Array);
      const down = Float32Array.from(logits.data as Float32Array);
      up[i] += eps;
      down[i] -= eps;
      expect(Math.abs(analytic[i] - (lossAt(up) - lossAt(down)) / (2 * eps))).toBeLessThan(2e-3);
    }
    g.dispose();
  });

  it('catches a wrong gradient (the check can fail)', () => {
    // An op whose kernel has the right value but a gradient scaled by 2 (a custom gradient).
    const x = input('x', [4]);
    const y = f.sin(x);
    const graph = build({ inputs: { x }, outputs: { y } });
    const node = graph.nodes[0];
    const wrongGrad = {
      ...node.op,
      tfjs: (t: TF, [v]: ReturnType<TF['tensor']>[]) => [
        t.customGrad(((a: ReturnType<TF['tensor']>) => ({
          value: t.sin(a),
          gradFunc: (dy: ReturnType<TF['tensor']>) => t.mul(dy, t.mul(t.cos(a), 2)),
        })) as never)(v),
      ],
    };
    const bent = { ...graph, nodes: [{ ...node, op: wrongGrad }] } as Graph;
    expect(() => checkGradients({ tf, graph: bent, feeds: { x: values([4], 17) } })).toThrow(GradCheckFailure);
  });
});
