// The training loop, generic over a graph with named inputs and a mask-logits output.
// Data comes from a `nextBatch(step, rng)` callback (see its contract below); the loop owns the
// optimiser, the data-order RNG and checkpoints, so that a killed run resumes exactly.
import { existsSync } from 'node:fs';
import type { TFTensor } from '../dsl/graph.js';
import type { HostTensor } from '../runtime/session.js';
import { Adam, type AdamConfig } from './adam.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { toTfTensor, type TfjsExecutor } from './executor.js';
import { diceScore, segmentationLoss, type LossWeights } from './loss.js';
import { DataRng } from './rng.js';
import type { LrSchedule } from './schedule.js';

export interface Batch {
  /** Every graph input by name; the batch dim may be any size ≥ 1 (the same for all inputs). */
  readonly inputs: Readonly<Record<string, HostTensor>>;
  /** Target masks in {0, 1} (float32), shaped like the logits output. */
  readonly target: HostTensor;
}

/**
 * Where training data comes from.
 *
 * Contract:
 * - Called exactly once per step, in step order, with the 0-based step about to be trained.
 * - All randomness (which queries, which template of the same task, augmentations) must be drawn from
 *   `rng` and nothing else: the loop checkpoints the RNG's state, so a resumed run draws the same batches
 *   as an uninterrupted one. Deterministic functions of `step` (e.g. epoch = ⌊step·B / N⌋) are fine.
 * - The returned arrays are copied before the next call, so a provider may reuse its buffers.
 * - Errors thrown here stop training; nothing since the last checkpoint is saved.
 */
export type NextBatch = (step: number, rng: DataRng) => Batch | Promise<Batch>;

export interface StepReport {
  /** Steps completed (1-based), out of totalSteps. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly crossEntropy: number;
  /** Soft Dice loss (1 − soft Dice). */
  readonly diceLoss: number;
  /** Hard Dice score of (logits > 0) on this batch, in [0, 1]. */
  readonly dice: number;
  readonly lr: number;
  readonly batchSize: number;
}

export interface CheckpointPlan {
  /** Where the latest checkpoint is written (atomically). */
  readonly path: string;
  /** Write one every this many steps (and always after the last). */
  readonly every: number;
  /** Extra metadata stored with each checkpoint and compared on resume (config name, batch size, ...). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface TrainOptions {
  /** Executor of the graph to train; parameters frozen there stay fixed. */
  readonly executor: TfjsExecutor;
  /** The graph output holding mask logits. */
  readonly logits: string;
  readonly nextBatch: NextBatch;
  readonly totalSteps: number;
  readonly lr: LrSchedule;
  readonly adam?: AdamConfig;
  readonly lossWeights?: LossWeights;
  /** Seed of the data-order RNG on a fresh start. */
  readonly seed: number;
  readonly checkpoint?: CheckpointPlan;
  /** Continue from `checkpoint.path` when it exists (same weights, optimiser state and data order). */
  readonly resume?: boolean;
  /** Called once before the first step with the step training starts from (the checkpoint's when resumed). */
  readonly onStart?: (startStep: number) => void | Promise<void>;
  /** Called after every step; awaited (so it may write logs). */
  readonly onStep?: (r: StepReport) => void | Promise<void>;
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (step: number, path: string) => void;
}

export interface TrainResult {
  /** The step training started from (0, or the checkpoint's step when resumed). */
  readonly startStep: number;
  readonly steps: number;
  readonly last?: StepReport;
}

export class ResumeMismatchError extends Error {
  override name = 'ResumeMismatchError';
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const ex = opts.executor;
  const tf = ex.tf;
  if (!ex.graph.outputs.some((o) => o.name === opts.logits)) throw new Error(`train: graph '${ex.graph.name}' has no output '${opts.logits}'`);
  const trainable = new Map([...ex.variables].filter(([, v]) => v.trainable));
  if (trainable.size === 0) throw new Error(`train: every parameter of graph '${ex.graph.name}' is frozen; nothing to train`);
  const byVarName = new Map([...trainable].map(([path, v]) => [v.name, path]));
  const adam = new Adam(tf, trainable, opts.adam);
  const shapes = new Map(ex.graph.params.map((p) => [p.name, p.shape]));
  let rng = new DataRng(opts.seed);
  let step = 0;

  const ck = opts.checkpoint;
  const save = () => {
    if (!ck) return;
    saveCheckpoint(ck.path, { step, rngState: rng.state, optimizerStep: adam.step, params: ex.readParams(), optimizer: adam.state(), extra: ck.metadata ?? {} }, shapes);
    opts.onCheckpoint?.(step, ck.path);
  };
  let startStep = 0;
  let last: StepReport | undefined;
  try {
    if (opts.resume && ck && existsSync(ck.path)) {
      const state = loadCheckpoint(ck.path);
      for (const [k, v] of Object.entries(ck.metadata ?? {}))
        if (state.extra[k] !== v) throw new ResumeMismatchError(`resume: ${ck.path} was written with ${k} = ${JSON.stringify(state.extra[k])}, this run has ${JSON.stringify(v)}`);
      ex.loadParams(state.params);
      adam.loadState(state.optimizer, state.optimizerStep);
      rng = DataRng.fromState(state.rngState);
      step = startStep = state.step;
    }
    await opts.onStart?.(startStep);
    while (step < opts.totalSteps) {
      const batch = await opts.nextBatch(step, rng);
      const lr = opts.lr(step);
      last = trainStep(batch, lr);
      step++;
      await opts.onStep?.({ ...last, step });
      if (ck && (step % ck.every === 0 || step === opts.totalSteps)) save();
    }
  } finally {
    adam.dispose();
  }
  return { startStep, steps: step - startStep, last };

  function trainStep(batch: Batch, lr: number): StepReport {
    const feeds: Record<string, TFTensor> = {};
    const made: TFTensor[] = [];
    try {
      for (const [name, t] of Object.entries(batch.inputs)) made.push((feeds[name] = toTfTensor(tf, t, `batch input '${name}'`)));
      const target = toTfTensor(tf, batch.target, 'batch target');
      made.push(target);
      let parts: TFTensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const logits = ex.run(feeds, [opts.logits])[opts.logits];
        const l = segmentationLoss(tf, logits, target, opts.lossWeights);
        // Kept past the gradient's tidy for the report; freed below.
        parts = [tf.keep(l.crossEntropy), tf.keep(l.dice), tf.keep(diceScore(tf, logits, target))];
        return l.loss as never;
      }, [...trainable.values()]);
      made.push(value, ...parts, ...Object.values(grads));
      const named = new Map<string, TFTensor>();
      for (const [varName, g] of Object.entries(grads)) named.set(byVarName.get(varName)!, g);
      adam.apply(named, lr);
      const [loss, ce, diceLoss, dice] = [value, ...parts].map((t) => t.dataSync()[0]);
      if (!Number.isFinite(loss)) throw new Error(`train: the loss became ${loss} at step ${step} (lr ${lr}); lower the learning rate`);
      return { step, totalSteps: opts.totalSteps, loss, crossEntropy: ce, diceLoss, dice, lr, batchSize: batch.target.dims[0] ?? 1 };
    } finally {
      for (const t of made) t.dispose();
    }
  }
}
