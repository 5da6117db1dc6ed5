// What the `train` command needs from a model configuration and its data, as two small interfaces,
// so that wiring in a model (the One-Prompt configs) is one `registerTask` call.
import type { Graph } from '../dsl/build.js';
import type { ParamStore } from '../dsl/params.js';
import type { NextBatch } from './loop.js';

export interface TrainModel {
  readonly graph: Graph;
  /** The graph output holding mask logits, shaped like the batch targets. */
  readonly logits: string;
}

export interface TrainData {
  /** Samples in one epoch (sets the number of steps for --epochs). */
  readonly samplesPerEpoch: number;
  /** The batch provider; see NextBatch for its contract (all randomness from the given rng). */
  readonly nextBatch: NextBatch;
  /** One line for the log, e.g. "3 tasks, 120 queries, 24 templates". */
  readonly summary: string;
}

export interface TrainTask {
  readonly name: string;
  readonly description: string;
  /** Build the model with parameters in `store` (named by module path; the seed is the store's). */
  model(store: ParamStore): TrainModel;
  /** Open the training data at `dir` for batches of `batchSize`; throw with a clear message if unusable. */
  data(dir: string, batchSize: number): TrainData | Promise<TrainData>;
  /** Parameter-path prefixes frozen by default (the CLI's --freeze overrides). */
  readonly freeze?: readonly string[];
}

const tasks = new Map<string, TrainTask>();

export function registerTask(task: TrainTask): void {
  if (tasks.has(task.name)) throw new Error(`registerTask: '${task.name}' is already registered`);
  tasks.set(task.name, task);
}

export function getTask(name: string): TrainTask {
  const t = tasks.get(name);
  if (!t) throw new Error(`unknown --config '${name}'; available: ${[...tasks.keys()].join(', ') || '(none registered)'}`);
  return t;
}

export const taskNames = (): string[] => [...tasks.keys()];
