// The training loss is written twice: as tfjs ops (src/train/loss.ts, the tfjs backend) and as graph ops inside the
// ONNX training step (src/train/ort/step-graph.ts). For each loss option (weights, positive weight, focal exponent)
// both give the same loss parts and the same gradient with respect to the logits, and the gradient matches central
// differences. Logits span saturated values (±9) as well as small ones, targets are sparse like brain structures.
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/dsl/build.js';
import type { TF, TFTensor } from '../../src/dsl/graph.js';
import { input, wrap } from '../../src/dsl/tensor.js';
import { mulberry32 } from '../../src/util/rng.js';
import { emit } from '../../src/onnx/emit.js';
import { Model } from '../../src/runtime/session.js';
import { gradients } from '../../src/autodiff/grad.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { formatLossWeights, parseLossWeights, segmentationLoss, type LossWeights } from '../../src/train/loss.js';
import { segmentationLossGraph } from '../../src/train/ort/step-graph.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

const DIMS = [3, 1, 6, 6] as const;
const N = DIMS.reduce<number>((a, b) => a * b, 1);
const rnd = mulberry32(11);
const logits = Float32Array.from({ length: N }, (_, i) => (i % 7 === 0 ? (rnd() < 0.5 ? -9 : 9) : (rnd() * 2 - 1) * 3));
// About 1 pixel in 9 is foreground; the third sample's mask is empty.
const target = Float32Array.from({ length: N }, (_, i) => (i < 2 * 36 && (i * 5) % 9 === 0 ? 1 : 0));

const OPTIONS: LossWeights[] = [{}, { dice: 2, crossEntropy: 0.5 }, { positiveWeight: 10 }, { focalGamma: 2 }, { positiveWeight: 5, focalGamma: 1.5, dice: 3 }];

function tfjsLoss(w: LossWeights, x: Float32Array): { loss: number; ce: number; diceLoss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const t = tf.tensor(target, [...DIMS]);
    const parts = (v: TFTensor) => segmentationLoss(tf, v, t, w);
    const l = parts(tf.tensor(x, [...DIMS]));
    const grad = tf
      .grad((v: TFTensor) => parts(v).loss)(tf.tensor(x, [...DIMS]))
      .dataSync() as Float32Array;
    return { loss: l.loss.dataSync()[0], ce: l.crossEntropy.dataSync()[0], diceLoss: l.dice.dataSync()[0], grad: Float32Array.from(grad) };
  });
}

async function ortLoss(w: LossWeights, x: Float32Array): Promise<{ loss: number; ce: number; diceLoss: number; grad: Float32Array }> {
  const xs = input('x', [...DIMS]);
  const ts = input('t', [...DIMS]);
  const parts = segmentationLossGraph(xs.value, ts.value, w);
  const [g] = gradients(parts.loss, [xs.value]);
  const graph = build({
    name: 'loss',
    inputs: { x: xs, t: ts },
    outputs: { loss: wrap(parts.loss), ce: wrap(parts.ce), dice_loss: wrap(parts.diceLoss), grad: wrap(g!) },
  });
  const model = await Model.load(emit(graph), { threads: 1 });
  try {
    const out = await model.run({ x: { dtype: 'float32', dims: [...DIMS], data: x }, t: { dtype: 'float32', dims: [...DIMS], data: target } });
    const one = (k: string) => (out[k].data as Float32Array)[0];
    return { loss: one('loss'), ce: one('ce'), diceLoss: one('dice_loss'), grad: Float32Array.from(out.grad.data as Float32Array) };
  } finally {
    await model.release();
  }
}

describe('the loss on tfjs and in the ONNX training step', () => {
  for (const w of OPTIONS)
    it(`${formatLossWeights(w)}: the same parts and gradient on both, the gradient as central differences`, async () => {
      const a = tfjsLoss(w, logits);
      const b = await ortLoss(w, logits);
      for (const k of ['loss', 'ce', 'diceLoss'] as const) expect(Math.abs(a[k] - b[k]), k).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[k])));
      const scale = Math.max(...a.grad.map(Math.abs));
      for (let i = 0; i < N; i++) expect(Math.abs(a.grad[i] - b.grad[i]), `d/dx[${i}]`).toBeLessThanOrEqual(1e-4 * scale);
      // Central differences of the tfjs loss at a few unsaturated pixels (float32: a coarse step).
      const eps = 1e-2;
      for (const i of [1, 2, 3, 9, 10, 40, 80]) {
        const up = Float32Array.from(logits);
        const down = Float32Array.from(logits);
        up[i] += eps;
        down[i] -= eps;
        const fd = (tfjsLoss(w, up).loss - tfjsLoss(w, down).loss) / (2 * eps);
        expect(Math.abs(fd - a.grad[i]), `pixel ${i}: finite difference ${fd}, autodiff ${a.grad[i]}`).toBeLessThanOrEqual(
          2e-3 * Math.max(1e-2, Math.abs(a.grad[i])) + 2e-5,
        );
      }
    });

  it('the options change the loss as they say', () => {
    const plain = tfjsLoss({}, logits);
    // pos = 1 and focal = 0 are the paper's cross-entropy + soft Dice; weights scale the parts.
    expect(tfjsLoss({ positiveWeight: 1, focalGamma: 0 }, logits).loss).toBeCloseTo(plain.loss, 6);
    const weighted = tfjsLoss({ crossEntropy: 0.5, dice: 2 }, logits);
    expect(weighted.loss).toBeCloseTo(0.5 * plain.ce + 2 * plain.diceLoss, 5);
    // A positive weight raises the cross-entropy (the foreground pixels count w times), a focal factor lowers it.
    expect(tfjsLoss({ positiveWeight: 10 }, logits).ce).toBeGreaterThan(plain.ce);
    expect(tfjsLoss({ focalGamma: 2 }, logits).ce).toBeLessThan(plain.ce);
    // The positive weight pushes foreground logits up harder: a larger (negative) gradient at a foreground pixel.
    const fg = target.findIndex((v, i) => v === 1 && Math.abs(logits[i]) < 3);
    expect(tfjsLoss({ positiveWeight: 10 }, logits).grad[fg]).toBeLessThan(plain.grad[fg]);
  });

  it('parses and prints the --loss option', () => {
    expect(parseLossWeights('dice=2, pos=10,focal=2')).toEqual({ dice: 2, positiveWeight: 10, focalGamma: 2 });
    expect(formatLossWeights({ dice: 2, positiveWeight: 10, focalGamma: 2 })).toBe('ce=1,dice=2,pos=10,focal=2');
    expect(formatLossWeights()).toBe('ce=1,dice=1,pos=1,focal=0');
    expect(() => parseLossWeights('bce=2')).toThrow(/expected ce=X, dice=X, pos=X or focal=X/);
    expect(() => parseLossWeights('pos=-1')).toThrow(/X ≥ 0/);
    expect(() => parseLossWeights('ce=0,dice=0')).toThrow(/nothing to train/);
  });
});
