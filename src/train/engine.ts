// What the training loop needs from a backend: one optimiser step on a batch, and the state a checkpoint
// holds. Two engines: tfjs (the graph run by each op's tfjs kernel, tfjs autodiff, Adam on tf.Variables;
// here) and ONNX Runtime (one emitted training-step model per step; src/train/ort/engine.ts).
import type { TFTensor } from '../dsl/graph.js';
import type { HostTensor } from '../runtime/session.js';
import { Adam, type AdamConfig } from './adam.js';
import { toTfTensor, type TfjsExecutor } from './tfjs/executor.js';
import { diceScore, segmentationLoss, type LossWeights } from './loss.js';
import type { LrSchedule } from './schedule.js';

/** One step's training batch: every graph input by name, and target masks in {0, 1} shaped like the logits. */
export interface Batch {
  readonly inputs: Readonly<Record<string, HostTensor>>;
  readonly target: HostTensor;
}

export interface EngineStepReport {
  readonly loss: number;
  readonly crossEntropy: number;
  /** Soft Dice loss (1 − soft Dice). */
  readonly diceLoss: number;
  /** Hard Dice of (logits > 0) on this batch. */
  readonly dice: number;
  /** The learning rate this step used. */
  readonly lr: number;
}

export interface TrainEngine {
  /** Forward, loss, backward and one Adam update on `batch`; `step` is the 0-based step (the schedule's). */
  step(batch: Batch, step: number): Promise<EngineStepReport>;
  /** Every parameter's current values by module path (copies). */
  readParams(): Map<string, Float32Array>;
  /** Adam's moments by checkpoint name (copies). */
  optimizerState(): Map<string, Float32Array>;
  /** Updates applied so far (Adam's t). */
  readonly optimizerStep: number;
  /** Restore a checkpoint's parameters, moments and Adam step. */
  loadState(params: ReadonlyMap<string, Float32Array>, optimizer: ReadonlyMap<string, Float32Array>, optimizerStep: number): void;
  /** Put the trained values into the graph's Params, so that emitting the graph writes them. */
  syncParams(): void;
  dispose(): void | Promise<void>;
}

export interface TfjsEngineOptions {
  readonly executor: TfjsExecutor;
  /** The graph output holding mask logits. */
  readonly logits: string;
  readonly lr: LrSchedule;
  readonly adam?: AdamConfig;
  readonly lossWeights?: LossWeights;
  /** Dispose the executor with the engine. */
  readonly ownsExecutor?: boolean;
}

/** The graph on tfjs: gradients from tfjs autodiff through each op's kernel, Adam on the trainable variables. */
export class TfjsEngine implements TrainEngine {
  private readonly adam: Adam;
  private readonly byVarName: Map<string, string>;
  private readonly trainable: ReturnType<TfjsExecutor['trainableVariables']>;

  constructor(private readonly o: TfjsEngineOptions) {
    const ex = o.executor;
    if (!ex.graph.outputs.some((out) => out.name === o.logits)) throw new Error(`train: graph '${ex.graph.name}' has no output '${o.logits}'`);
    const trainable = new Map([...ex.variables].filter(([, v]) => v.trainable));
    if (trainable.size === 0) throw new Error(`train: every parameter of graph '${ex.graph.name}' is frozen; nothing to train`);
    this.trainable = [...trainable.values()];
    this.byVarName = new Map([...trainable].map(([path, v]) => [v.name, path]));
    this.adam = new Adam(ex.tf, trainable, o.adam);
  }

  get optimizerStep(): number {
    return this.adam.step;
  }

  async step(batch: Batch, step: number): Promise<EngineStepReport> {
    const { executor: ex, lossWeights } = this.o;
    const tf = ex.tf;
    const lr = this.o.lr(step);
    const feeds: Record<string, TFTensor> = {};
    const made: TFTensor[] = [];
    try {
      for (const [name, t] of Object.entries(batch.inputs)) made.push((feeds[name] = toTfTensor(tf, t, `batch input '${name}'`)));
      const target = toTfTensor(tf, batch.target, 'batch target');
      made.push(target);
      let parts: TFTensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const logits = ex.run(feeds, [this.o.logits])[this.o.logits];
        const l = segmentationLoss(tf, logits, target, lossWeights);
        // Kept past the gradient's tidy for the report; freed below.
        parts = [tf.keep(l.crossEntropy), tf.keep(l.dice), tf.keep(diceScore(tf, logits, target))];
        return l.loss as never;
      }, this.trainable);
      made.push(value, ...parts, ...Object.values(grads));
      const named = new Map<string, TFTensor>();
      for (const [varName, g] of Object.entries(grads)) named.set(this.byVarName.get(varName)!, g);
      this.adam.apply(named, lr);
      const [loss, crossEntropy, diceLoss, dice] = [value, ...parts].map((t) => t.dataSync()[0]);
      return { loss, crossEntropy, diceLoss, dice, lr };
    } finally {
      for (const t of made) t.dispose();
    }
  }

  readParams(): Map<string, Float32Array> {
    return this.o.executor.readParams();
  }
  optimizerState(): Map<string, Float32Array> {
    return this.adam.state();
  }
  loadState(params: ReadonlyMap<string, Float32Array>, optimizer: ReadonlyMap<string, Float32Array>, optimizerStep: number): void {
    this.o.executor.loadParams(params);
    this.adam.loadState(optimizer, optimizerStep);
  }
  syncParams(): void {
    this.o.executor.syncParams();
  }
  dispose(): void {
    this.adam.dispose();
    if (this.o.ownsExecutor) this.o.executor.dispose();
  }
}
