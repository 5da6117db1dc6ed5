// Segmentation loss on mask logits, as in the paper: cross-entropy + soft Dice (a plain sum by default).
// Shape-agnostic: the first axis is the batch, every other axis is pixels of one sample's mask.
import type { TF, TFTensor } from '../dsl/graph.js';

export interface LossWeights {
  readonly crossEntropy?: number;
  readonly dice?: number;
}

export interface SegmentationLoss {
  /** weights.crossEntropy · ce + weights.dice · dice (scalar). */
  readonly loss: TFTensor;
  /** Mean binary cross-entropy over all pixels of the batch (scalar). */
  readonly crossEntropy: TFTensor;
  /** Mean over the batch of 1 − soft Dice (scalar). */
  readonly dice: TFTensor;
}

/** Mean sigmoid cross-entropy, computed stably as max(x,0) − x·t + log(1 + e^−|x|). */
export function sigmoidCrossEntropy(tf: TF, logits: TFTensor, targets: TFTensor): TFTensor {
  return tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.softplus(tf.neg(tf.abs(logits))))));
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
  if (logits.shape.join() !== targets.shape.join()) throw new Error(`segmentationLoss: logits ${JSON.stringify(logits.shape)} and targets ${JSON.stringify(targets.shape)} differ in shape`);
  const crossEntropy = sigmoidCrossEntropy(tf, logits, targets);
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
