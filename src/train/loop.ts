// The training loop, generic over a graph with named inputs and a mask-logits output, and over the engine
// that trains it (tfjs, or ONNX Runtime's training-step model: src/train/engine.ts).
// Data comes from a `nextBatch(step, rng)` callback (see its contract below); the loop owns the
// data-order RNG and checkpoints, so that a killed run resumes exactly.
import { existsSync } from 'node:fs';
import type { AdamConfig } from './adam.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { TfjsEngine, type Batch, type TrainEngine } from './engine.js';
import type { TfjsExecutor } from './tfjs/executor.js';
import type { LossWeights } from './loss.js';
import { DataRng } from './rng.js';
import type { LrSchedule } from './schedule.js';

export type { Batch } from './engine.js';

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
  /**
   * tfjs: the executor of the graph to train (parameters frozen there stay fixed), with `logits`, `lr`,
   * `adam` and `lossWeights`. Or `engine`, which has all of those built in (src/train/ort/engine.ts).
   */
  readonly executor?: TfjsExecutor;
  readonly engine?: TrainEngine;
  /** The graph output holding mask logits (tfjs). */
  readonly logits?: string;
  readonly nextBatch: NextBatch;
  readonly totalSteps: number;
  /** The learning rate by step (tfjs). */
  readonly lr?: LrSchedule;
  readonly adam?: AdamConfig;
  readonly lossWeights?: LossWeights;
  /** Parameter shapes by module path, for checkpoints (needed with `engine`; default: the executor graph's). */
  readonly paramShapes?: ReadonlyMap<string, readonly number[]>;
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

function engineOf(opts: TrainOptions): { engine: TrainEngine; shapes: ReadonlyMap<string, readonly number[]>; owned: boolean } {
  if (opts.engine) {
    if (!opts.paramShapes) throw new Error('train: an engine needs paramShapes (parameter shapes for checkpoints)');
    return { engine: opts.engine, shapes: opts.paramShapes, owned: false };
  }
  const ex = opts.executor;
  if (!ex || !opts.logits || !opts.lr) throw new Error('train: give an engine, or a tfjs executor with logits and lr');
  const engine = new TfjsEngine({ executor: ex, logits: opts.logits, lr: opts.lr, adam: opts.adam, lossWeights: opts.lossWeights });
  return { engine, shapes: opts.paramShapes ?? new Map(ex.graph.params.map((p) => [p.name, p.shape])), owned: true };
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { engine, shapes, owned } = engineOf(opts);
  let rng = new DataRng(opts.seed);
  let step = 0;

  const ck = opts.checkpoint;
  const save = () => {
    if (!ck) return;
    saveCheckpoint(
      ck.path,
      {
        step,
        rngState: rng.state,
        optimizerStep: engine.optimizerStep,
        params: engine.readParams(),
        optimizer: engine.optimizerState(),
        extra: ck.metadata ?? {},
      },
      shapes,
    );
    opts.onCheckpoint?.(step, ck.path);
  };
  let startStep = 0;
  let last: StepReport | undefined;
  try {
    if (opts.resume && ck && existsSync(ck.path)) {
      const state = loadCheckpoint(ck.path);
      for (const [k, v] of Object.entries(ck.metadata ?? {}))
        if (state.extra[k] !== v)
          throw new ResumeMismatchError(`resume: ${ck.path} was written with ${k} = ${JSON.stringify(state.extra[k])}, this run has ${JSON.stringify(v)}`);
      engine.loadState(state.params, state.optimizer, state.optimizerStep);
      rng = DataRng.fromState(state.rngState);
      step = startStep = state.step;
    }
    await opts.onStart?.(startStep);
    while (step < opts.totalSteps) {
      const batch = await opts.nextBatch(step, rng);
      const r = await engine.step(batch, step);
      if (!Number.isFinite(r.loss)) throw new Error(`train: the loss became ${r.loss} at step ${step} (lr ${r.lr}); lower the learning rate`);
      step++;
      last = { ...r, step, totalSteps: opts.totalSteps, batchSize: batch.target.dims[0] ?? 1 };
      await opts.onStep?.(last);
      if (ck && (step % ck.every === 0 || step === opts.totalSteps)) save();
    }
  } finally {
    if (owned) await engine.dispose();
  }
  return { startStep, steps: step - startStep, last };
}
