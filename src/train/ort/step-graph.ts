// One training step as one graph: the model's forward, the loss (src/train/loss.ts's cross-entropy + soft
// Dice, as graph ops), the backward pass built by src/autodiff from each op's vjp, the learning-rate
// schedule (src/train/schedule.ts's warm-up + cosine) and Adam (src/train/adam.ts's update), so that
// ONNX Runtime runs a whole step as one session call:
//   inputs   the model's inputs, `target` (shaped like the logits), every trained parameter under its
//            module path, its Adam moments under their checkpoint names, `step` and `adam_step` (int64)
//   outputs  `loss`, `ce`, `dice_loss`, `dice` (hard Dice of logits > 0), `lr`, and `new:<name>` for
//            every trained parameter and moment
// Frozen parameters (--freeze, or Param.trainable = false) stay initializers: constants of the step.
import type { Graph } from '../../dsl/build.js';
import { build } from '../../dsl/build.js';
import type { Value } from '../../dsl/graph.js';
import type { Param } from '../../dsl/params.js';
import { input, wrap, type Tensor } from '../../dsl/tensor.js';
import { gradOps as d } from '../../autodiff/grad-ops.js';
import { gradients, paramValues } from '../../autodiff/grad.js';
import { momentName, type AdamConfig } from '../adam.js';
import type { LossWeights } from '../loss.js';
import type { WarmupCosine } from '../schedule.js';

export interface TrainingStepSpec {
  /** The model; its parameters' current values are the step model's frozen constants. */
  readonly graph: Graph;
  /** The graph output holding mask logits. */
  readonly logits: string;
  /** Parameter-path prefixes kept fixed. */
  readonly freeze?: readonly string[];
  readonly schedule: WarmupCosine;
  readonly adam?: AdamConfig;
  readonly lossWeights?: LossWeights;
}

export interface TrainingStep {
  readonly graph: Graph;
  /** Parameters whose values are inputs and whose updates are outputs, in graph order. */
  readonly trainable: readonly Param[];
  /** Trained parameters the loss does not reach through differentiable ops: they keep their values. */
  readonly untouched: readonly Param[];
  /** Output name of each updated state tensor (trained parameters and moments), by input name. */
  readonly updates: ReadonlyMap<string, string>;
  /** Model inputs, then `target`. */
  readonly dataInputs: readonly string[];
}

export const STEP_INPUT = 'step';
export const ADAM_STEP_INPUT = 'adam_step';
export const TARGET_INPUT = 'target';
export const REPORT_OUTPUTS = ['loss', 'ce', 'dice_loss', 'dice', 'lr'] as const;
export const updatedName = (name: string): string => `new:${name}`;

/** Loss parts on logits x and targets t in {0, 1} (the first axis is the batch); mirrors src/train/loss.ts. */
export function segmentationLossGraph(x: Value, t: Value, weights: LossWeights = {}): { loss: Value; ce: Value; diceLoss: Value; dice: Value } {
  const pixelAxes = x.shape.slice(1).map((_, i) => i + 1);
  const all = x.shape.map((_, i) => i);
  // max(x, 0) − x·t + log(1 + e^−|x|): stable sigmoid cross-entropy; with a positive weight w,
  // (1 − t)·x + (1 + (w − 1)·t)·(log(1 + e^−|x|) + max(−x, 0)); with a focal γ, times (1 − p_t)^γ.
  const w = weights.positiveWeight ?? 1;
  const gamma = weights.focalGamma ?? 0;
  const p = d.sigmoid(x);
  let perPixel =
    w === 1
      ? d.add(d.sub(d.relu(x), d.mul(x, t)), d.softplus(d.neg(d.abs(x))))
      : d.add(d.mul(d.sub(1, t), x), d.mul(d.add(d.mul(t, w - 1), 1), d.add(d.softplus(d.neg(d.abs(x))), d.relu(d.neg(x)))));
  if (gamma !== 0) perPixel = d.mul(perPixel, d.pow(d.sub(d.add(p, t), d.mul(d.mul(p, t), 2)), d.constant(Float32Array.of(gamma), [])));
  const ce = d.reduceMean(perPixel, all, false);
  const inter = d.reduceSum(d.mul(p, t), pixelAxes, false);
  const denom = d.add(d.add(d.reduceSum(p, pixelAxes, false), d.reduceSum(t, pixelAxes, false)), 1);
  const diceLoss = d.reduceMean(d.sub(1, d.div(d.add(d.mul(inter, 2), 1), denom)), [0], false);
  const loss = d.add(d.mul(ce, weights.crossEntropy ?? 1), d.mul(diceLoss, weights.dice ?? 1));
  // The reported metric: hard Dice of (x > 0), 1 for a sample whose mask and prediction are both empty.
  const pb = d.cast(d.greater(x, 0), 'float32');
  const tb = d.cast(d.greater(t, 0.5), 'float32');
  const hardInter = d.reduceSum(d.mul(pb, tb), pixelAxes, false);
  const total = d.add(d.reduceSum(pb, pixelAxes, false), d.reduceSum(tb, pixelAxes, false));
  const dice = d.reduceMean(d.where(d.equal(total, 0), 1, d.div(d.mul(hardInter, 2), d.maximum(total, 1))), [0], false);
  return { loss, ce, diceLoss, dice };
}

/** src/train/schedule.ts's warmupCosine at a float step, as graph ops. */
export function warmupCosineGraph(step: Value, s: WarmupCosine): Value {
  const warm = s.warmupSteps ?? (s.totalSteps > 1 ? Math.max(1, Math.round(0.05 * s.totalSteps)) : 0);
  const floor = s.lr * (s.minFactor ?? 0.01);
  const decaySteps = s.totalSteps - warm;
  const cosine =
    decaySteps <= 1
      ? d.add(d.mul(step, 0), s.lr)
      : d.add(d.mul(d.add(d.cos(d.mul(d.minimum(d.div(d.sub(step, warm), decaySteps - 1), 1), Math.PI)), 1), 0.5 * (s.lr - floor)), floor);
  if (warm === 0) return cosine;
  return d.where(d.less(step, warm), d.mul(d.add(step, 1), s.lr / warm), cosine);
}

export function buildTrainingStep(spec: TrainingStepSpec): TrainingStep {
  const { graph } = spec;
  const logits = graph.outputs.find((o) => o.name === spec.logits);
  if (!logits) throw new Error(`buildTrainingStep: graph '${graph.name}' has no output '${spec.logits}'`);
  const freeze = spec.freeze ?? [];
  const params = paramValues(graph);
  const trainable = [...params.keys()].filter((p) => p.trainable && !freeze.some((prefix) => p.name.startsWith(prefix)));
  if (trainable.length === 0) throw new Error(`buildTrainingStep: every parameter of graph '${graph.name}' is frozen; nothing to train`);

  const target = input(TARGET_INPUT, logits.value.shape);
  const step = input(STEP_INPUT, [], 'int64');
  const adamStep = input(ADAM_STEP_INPUT, [], 'int64');
  const parts = segmentationLossGraph(logits.value, target.value, spec.lossWeights);
  const grads = gradients(
    parts.loss,
    trainable.map((p) => params.get(p)!),
  );

  const lr = warmupCosineGraph(d.cast(step.value, 'float32'), spec.schedule);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = spec.adam ?? {};
  const t = d.add(d.cast(adamStep.value, 'float32'), 1);
  const bc1 = d.sub(1, d.pow(d.constant(Float32Array.of(beta1), []), t));
  const bc2 = d.sub(1, d.pow(d.constant(Float32Array.of(beta2), []), t));
  const stepSize = d.div(lr, bc1);

  const inputs: Record<string, Tensor> = {};
  for (const i of graph.inputs) inputs[i.name] = wrap(i.value);
  inputs[TARGET_INPUT] = target;
  const outputs: Record<string, Tensor> = {
    loss: wrap(parts.loss),
    ce: wrap(parts.ce),
    dice_loss: wrap(parts.diceLoss),
    dice: wrap(parts.dice),
    lr: wrap(lr),
  };
  const updates = new Map<string, string>();
  trainable.forEach((p, k) => {
    const value = params.get(p)!;
    const [mName, vName] = [momentName('m', p.name), momentName('v', p.name)];
    const m = input(mName, p.shape);
    const v = input(vName, p.shape);
    inputs[mName] = m;
    inputs[vName] = v;
    const g = grads[k];
    // A parameter the loss does not reach keeps its value and moments (as tfjs's Adam skips it).
    const m2 = g ? d.add(d.mul(m.value, beta1), d.mul(g, 1 - beta1)) : m.value;
    const v2 = g ? d.add(d.mul(v.value, beta2), d.mul(d.mul(g, g), 1 - beta2)) : v.value;
    // PyTorch's form: p −= lr/bc1 · m / (√(v/bc2) + ε), then the decoupled decay lr·wd·p.
    let next = g ? d.sub(value, d.mul(d.div(m2, d.add(d.sqrt(d.div(v2, bc2)), epsilon)), stepSize)) : value;
    if (g && weightDecay) next = d.sub(next, d.mul(value, d.mul(lr, weightDecay)));
    for (const [name, out] of [
      [p.name, next],
      [mName, m2],
      [vName, v2],
    ] as const) {
      outputs[updatedName(name)] = wrap(out);
      updates.set(name, updatedName(name));
    }
  });
  inputs[STEP_INPUT] = step;
  inputs[ADAM_STEP_INPUT] = adamStep;
  return {
    graph: build({
      name: `${graph.name}_train_step`,
      inputs,
      outputs,
      doc: `one training step of ${graph.name}: forward, cross-entropy + soft Dice, backward, Adam`,
    }),
    trainable,
    untouched: trainable.filter((_, k) => !grads[k]),
    updates,
    dataInputs: [...graph.inputs.map((i) => i.name), TARGET_INPUT],
  };
}
