import { beforeAll, describe, expect, it } from 'vitest';
import type { TF } from '../../src/dsl/graph.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { Adam } from '../../src/train/adam.js';
import { diceScore, sigmoidCrossEntropy, softDiceLoss } from '../../src/train/loss.js';
import { warmupCosine } from '../../src/train/schedule.js';
import { DataRng } from '../../src/train/rng.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('loss', () => {
  const logits = [-30, -2, -0.5, 0, 0.3, 1.7, 4, 30];
  const targets = [0, 1, 0, 1, 1, 0, 1, 1];

  it('sigmoid cross-entropy equals the textbook formula and stays finite for large logits', () => {
    const ref = logits.reduce((s, x, i) => s - (targets[i] ? Math.log(sigmoid(x)) : Math.log(1 - sigmoid(x))), 0) / logits.length;
    const got = sigmoidCrossEntropy(tf, tf.tensor(logits, [2, 4]), tf.tensor(targets, [2, 4])).dataSync()[0];
    expect(got).toBeCloseTo(ref, 5);
  });

  it('soft Dice is 1 − (2Σpt + 1)/(Σp + Σt + 1) per sample, averaged', () => {
    const per = [0, 1].map((b) => {
      const p = logits.slice(b * 4, b * 4 + 4).map(sigmoid);
      const t = targets.slice(b * 4, b * 4 + 4);
      const inter = p.reduce((s, v, i) => s + v * t[i], 0);
      return 1 - (2 * inter + 1) / (p.reduce((a, c) => a + c) + t.reduce((a, c) => a + c) + 1);
    });
    const got = softDiceLoss(tf, tf.tensor(logits, [2, 1, 2, 2]), tf.tensor(targets, [2, 1, 2, 2])).dataSync()[0];
    expect(got).toBeCloseTo((per[0] + per[1]) / 2, 5);
  });

  it('hard Dice: 1 for a perfect or an empty-on-empty prediction, 0 for disjoint masks', () => {
    const dice = (l: number[], t: number[]) => diceScore(tf, tf.tensor(l, [1, l.length]), tf.tensor(t, [1, t.length])).dataSync()[0];
    expect(dice([3, -3, 2], [1, 0, 1])).toBe(1);
    expect(dice([-1, -1], [0, 0])).toBe(1);
    expect(dice([1, -1], [0, 1])).toBe(0);
    expect(dice([1, 1, -1, -1], [1, 0, 0, 0])).toBeCloseTo(2 / 3, 6);
  });
});

describe('Adam', () => {
  /** A float64 Adam on plain arrays (PyTorch's update rule), for reference. */
  function reference(p: number[], grads: number[][], lrs: number[], b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0) {
    const m = p.map(() => 0);
    const v = p.map(() => 0);
    grads.forEach((g, t) => {
      const bc1 = 1 - b1 ** (t + 1);
      const bc2 = 1 - b2 ** (t + 1);
      p = p.map((x, i) => {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        return x - (lrs[t] / bc1) * (m[i] / (Math.sqrt(v[i] / bc2) + eps)) - lrs[t] * wd * x;
      });
    });
    return p;
  }
  const grads = [
    [0.5, -1, 2],
    [0.1, 0.2, -0.3],
    [-1, 1, 0.05],
    [0.3, 0.3, 0.3],
  ];
  const lrs = [0.1, 0.05, 0.02, 0.01];

  for (const wd of [0, 0.1])
    it(`follows the reference update rule${wd ? ' with decoupled weight decay' : ''}`, () => {
      const w = tf.variable(tf.tensor([1, 2, 3]));
      const adam = new Adam(tf, new Map([['w', w]]), { weightDecay: wd });
      grads.forEach((g, t) => adam.apply(new Map([['w', tf.tensor(g)]]), lrs[t]));
      const want = reference([1, 2, 3], grads, lrs, 0.9, 0.999, 1e-8, wd);
      Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
      expect(adam.step).toBe(4);
      adam.dispose();
      w.dispose();
    });

  it('continues bit-identically from saved state', () => {
    const run = (split: number | undefined) => {
      const w = tf.variable(tf.tensor([1, 2, 3]));
      let adam = new Adam(tf, new Map([['w', w]]));
      for (let t = 0; t < grads.length; t++) {
        if (t === split) {
          const state = adam.state();
          const step = adam.step;
          adam.dispose();
          adam = new Adam(tf, new Map([['w', w]]));
          adam.loadState(state, step);
        }
        adam.apply(new Map([['w', tf.tensor(grads[t])]]), lrs[t]);
      }
      adam.dispose();
      const out = Array.from(w.dataSync());
      w.dispose();
      return out;
    };
    expect(run(2)).toEqual(run(undefined));
  });

  it('refuses state that lacks a moment, and gradients of unknown parameters', () => {
    const w = tf.variable(tf.tensor([1]));
    const adam = new Adam(tf, new Map([['enc.w', w]]));
    expect(() => adam.loadState(new Map(), 3)).toThrow("the checkpoint has no '__optimizer__.adam.m.enc.w'");
    expect(() => adam.apply(new Map([['dec.w', tf.tensor([1])]]), 0.1)).toThrow("gradient for 'dec.w'");
    adam.dispose();
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly to the peak, then decays by cosine to the floor', () => {
    const lr = warmupCosine({ lr: 1e-3, totalSteps: 100, warmupSteps: 10, minFactor: 0.1 });
    expect(lr(0)).toBeCloseTo(1e-4, 12);
    expect(lr(9)).toBeCloseTo(1e-3, 12);
    expect(lr(10)).toBeCloseTo(1e-3, 12);
    expect(lr(99)).toBeCloseTo(1e-4, 12);
    const steps = Array.from({ length: 100 }, (_, s) => lr(s));
    for (let s = 1; s < 10; s++) expect(steps[s]).toBeGreaterThan(steps[s - 1]);
    for (let s = 11; s < 100; s++) expect(steps[s]).toBeLessThan(steps[s - 1]);
    expect(lr(55)).toBeCloseTo(1e-4 + 0.5 * 9e-4 * (1 + Math.cos((Math.PI * 45) / 89)), 12);
  });

  it('rejects nonsense', () => {
    expect(() => warmupCosine({ lr: 0, totalSteps: 10 })).toThrow('lr must be positive');
    expect(() => warmupCosine({ lr: 1, totalSteps: 10, warmupSteps: 11 })).toThrow('warmupSteps must be an integer in [0, 10]');
  });
});

describe('data RNG', () => {
  it('resumes from its state exactly', () => {
    const a = new DataRng(42);
    for (let i = 0; i < 17; i++) a.next();
    const b = DataRng.fromState(a.state);
    expect(Array.from({ length: 10 }, () => a.int(1000))).toEqual(Array.from({ length: 10 }, () => b.int(1000)));
    expect(new DataRng(1).permutation(10).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
