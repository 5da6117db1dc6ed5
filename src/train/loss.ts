// Segmentation loss on mask logits, as in the paper: cross-entropy + soft Dice (a plain sum by default).
// Shape-agnostic: the first axis is the batch, every other axis is pixels of one sample's mask.
// Two options for targets that are a small share of the image (issue 14: brain structures ≈ 0.4 % of a slice):
// a positive weight w on the cross-entropy of foreground pixels (PyTorch's BCEWithLogits pos_weight), and a focal
// factor (1 − p_t)^γ (Lin et al. 2017) that lets confidently right pixels, mostly background, count less.
// src/train/ort/step-graph.ts writes the same loss as graph ops; tests/train/loss-parity.test.ts holds them equal.
import type { TF, TFTensor } from '../dsl/graph.js';

export interface LossWeights {
  readonly crossEntropy?: number;
  readonly dice?: number;
  /** Weight w of the foreground pixels' cross-entropy (default 1): −[w·t·log p + (1 − t)·log(1 − p)]. */
  readonly positiveWeight?: number;
  /** Focal exponent γ (default 0, plain cross-entropy): each pixel's cross-entropy times (1 − p_t)^γ. */
  readonly focalGamma?: number;
}

/** The options as the run records them ("ce=1,dice=1,pos=1,focal=0"), in one order. */
export const formatLossWeights = (w: LossWeights = {}): string =>
  `ce=${w.crossEntropy ?? 1},dice=${w.dice ?? 1},pos=${w.positiveWeight ?? 1},focal=${w.focalGamma ?? 0}`;

/** "dice=2,pos=10" → LossWeights; the keys ce, dice, pos, focal, each a number ≥ 0. */
export function parseLossWeights(text: string): LossWeights {
  const keys = { ce: 'crossEntropy', dice: 'dice', pos: 'positiveWeight', focal: 'focalGamma' } as const;
  const out: { -readonly [K in keyof LossWeights]: number } = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(ce|dice|pos|focal)=([0-9.eE+-]+)$/.exec(item);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v) || v < 0) throw new Error(`loss: expected ce=X, dice=X, pos=X or focal=X with X ≥ 0, comma-separated, got '${item}'`);
    out[keys[m[1] as keyof typeof keys]] = v;
  }
  if ((out.crossEntropy ?? 1) === 0 && (out.dice ?? 1) === 0) throw new Error('loss: ce and dice are both 0; nothing to train');
  return out;
}

export interface SegmentationLoss {
  /** weights.crossEntropy · ce + weights.dice · dice (scalar). */
  readonly loss: TFTensor;
  /** Mean binary cross-entropy over all pixels of the batch (scalar). */
  readonly crossEntropy: TFTensor;
  /** Mean over the batch of 1 − soft Dice (scalar). */
  readonly dice: TFTensor;
}

/**
 * Mean sigmoid cross-entropy, computed stably as max(x,0) − x·t + log(1 + e^−|x|); with a positive weight w, as
 * (1 − t)·x + (1 + (w − 1)·t)·(log(1 + e^−|x|) + max(−x, 0)) (the same for w = 1); with a focal exponent γ, each
 * pixel's term times (1 − p_t)^γ, 1 − p_t = p + t − 2·p·t.
 */
export function sigmoidCrossEntropy(tf: TF, logits: TFTensor, targets: TFTensor, positiveWeight = 1, focalGamma = 0): TFTensor {
  return tf.tidy(() => {
    const x = logits;
    const t = targets;
    let perPixel =
      positiveWeight === 1
        ? tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.softplus(tf.neg(tf.abs(x))))
        : tf.add(tf.mul(tf.sub(1, t), x), tf.mul(tf.add(tf.mul(t, positiveWeight - 1), 1), tf.add(tf.softplus(tf.neg(tf.abs(x))), tf.relu(tf.neg(x)))));
    if (focalGamma !== 0) {
      const p = tf.sigmoid(x);
      const miss = tf.sub(tf.add(p, t), tf.mul(tf.mul(p, t), 2));
      perPixel = tf.mul(perPixel, tf.pow(miss, focalGamma));
    }
    return tf.mean(perPixel);
  });
}

/** Per sample flattened to [B, pixels]. */
const perSample = (tf: TF, t: TFTensor): TFTensor => tf.reshape(t, [t.shape[0] ?? 1, -1]);

/**
 * 1 − (2·Σ p·t + s) / (Σ p + Σ t + s) with p = sigmoid(logits), per sample, averaged over the batch.
 * The smoothing s keeps empty masks (t = 0 everywhere) from dividing by zero and rewards predicting empty.
 */
export function softDiceLoss(tf: TF, logits: TFTensor, targets: TFTensor, smooth = 1): TFTensor {
  return tf.tidy(() => {
    const p = perSample(tf, tf.sigmoid(logits));
    const t = perSample(tf, targets);
    const inter = tf.sum(tf.mul(p, t), 1);
    const denom = tf.add(tf.add(tf.sum(p, 1), tf.sum(t, 1)), smooth);
    return tf.mean(tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), smooth), denom)));
  });
}

export function segmentationLoss(tf: TF, logits: TFTensor, targets: TFTensor, weights: LossWeights = {}): SegmentationLoss {
  if (logits.shape.join() !== targets.shape.join())
    throw new Error(`segmentationLoss: logits ${JSON.stringify(logits.shape)} and targets ${JSON.stringify(targets.shape)} differ in shape`);
  const crossEntropy = sigmoidCrossEntropy(tf, logits, targets, weights.positiveWeight ?? 1, weights.focalGamma ?? 0);
  const dice = softDiceLoss(tf, logits, targets);
  const loss = tf.tidy(() => tf.add(tf.mul(crossEntropy, weights.crossEntropy ?? 1), tf.mul(dice, weights.dice ?? 1)));
  return { loss, crossEntropy, dice };
}

/**
 * The evaluation metric: hard Dice of (logits > 0) against targets, per sample, averaged over the batch.
 * A sample whose mask and prediction are both empty scores 1.
 */
export function diceScore(tf: TF, logits: TFTensor, targets: TFTensor): TFTensor {
  return tf.tidy(() => {
    const p = perSample(tf, tf.cast(tf.greater(logits, 0), 'float32'));
    const t = perSample(tf, tf.cast(tf.greater(targets, 0.5), 'float32'));
    const inter = tf.sum(tf.mul(p, t), 1);
    const total = tf.add(tf.sum(p, 1), tf.sum(t, 1));
    const empty = tf.equal(total, 0);
    return tf.mean(tf.where(empty, tf.onesLike(total), tf.div(tf.mul(inter, 2), tf.maximum(total, 1))));
  });
}
