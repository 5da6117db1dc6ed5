// Two evaluations of the same tasks (`oneprompt eval --json`), compared task by task: is model B better than model A,
// or is the difference inside what the choice of tasks alone would give? The difference of the means comes with a
// 95 % interval from a paired bootstrap over tasks (bootstrap.ts on the task-by-task differences: each task's two
// scores stay together), and with how many tasks went each way. Two models trained alike differ by 0.3-0.4
// points of mean selectivity on the 31 validation tasks (docs/brain-data.md); this says whether a gain stands out.
import * as E from 'fp-ts/lib/Either.js';
import { bootstrapMeanInterval, DEFAULT_RESAMPLES, resamplesError } from './bootstrap.js';

/** What a comparison reads of an eval report: each task's model Dice and model selectivity (null where not measured). */
export interface ComparableEval {
  readonly tasks: readonly { readonly task: string; readonly model: { readonly dice: number }; readonly selectivity: { readonly model: number } | null }[];
}

export interface MetricComparison {
  readonly metric: 'dice' | 'selectivity';
  /** Tasks scored on this metric in both reports (selectivity: where other structures share the task's images). */
  readonly tasks: number;
  /** Mean over those tasks, in the first report (base) and the second (other). */
  readonly base: number;
  readonly other: number;
  /** other − base, and its 95 % paired-bootstrap interval. */
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  /** Tasks on which other scores higher, lower (ties are neither). */
  readonly better: number;
  readonly worse: number;
}

export interface CompareOptions {
  /** Bootstrap resamples (default DEFAULT_RESAMPLES, 10 000). */
  readonly resamples?: number;
  /** Seed of the resampling (default 0): the same reports give the same interval. */
  readonly seed?: number;
}

/** `value` is a finite number. */
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks the parts of an `eval --json` object a comparison reads; the message names the file, the task and the field. */
export function readComparableEval(value: unknown, file: string): E.Either<string, ComparableEval> {
  const tasks = (value as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks) || tasks.length === 0) return E.left(`${file}: not an eval report (\`oneprompt eval --json\`): no "tasks" list`);
  const seen = new Set<string>();
  for (const [i, t] of tasks.entries()) {
    const name = (t as { task?: unknown })?.task;
    if (typeof name !== 'string') return E.left(`${file}: tasks[${i}] has no "task" name`);
    if (seen.has(name)) return E.left(`${file}: task ${name} is listed twice`);
    seen.add(name);
    if (!finite((t as { model?: { dice?: unknown } }).model?.dice)) return E.left(`${file}: task ${name} has no finite "model.dice"`);
    const sel = (t as { selectivity?: unknown }).selectivity;
    if (sel !== null && !finite((sel as { model?: unknown } | undefined)?.model))
      return E.left(`${file}: task ${name}: "selectivity" must be null or have a finite "model"`);
  }
  return E.right(value as ComparableEval);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, v) => a + v, 0) / xs.length;

/** The paired comparison of one metric over the tasks both reports score on it. */
function compareMetric(metric: MetricComparison['metric'], pairs: readonly (readonly [number, number])[], resamples: number, seed: number): MetricComparison {
  const diffs = pairs.map(([a, b]) => b - a);
  const [low, high] = bootstrapMeanInterval(diffs, { resamples, seed });
  return {
    metric,
    tasks: pairs.length,
    base: mean(pairs.map(([a]) => a)),
    other: mean(pairs.map(([, b]) => b)),
    difference: mean(diffs),
    low,
    high,
    better: diffs.filter((d) => d > 0).length,
    worse: diffs.filter((d) => d < 0).length,
  };
}

/**
 * other − base for the model's Dice and selectivity, task by task. Both reports must hold the same tasks (the same
 * `eval` options on the same data, another model); which one lacks a task is named.
 */
export function compareEvals(
  base: ComparableEval,
  other: ComparableEval,
  names: readonly [string, string],
  o: CompareOptions = {},
): E.Either<string, MetricComparison[]> {
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const bad = resamplesError(resamples);
  if (bad) return E.left(bad);
  const byName = new Map(other.tasks.map((t) => [t.task, t]));
  const missing = base.tasks.find((t) => !byName.has(t.task));
  if (missing) return E.left(`${names[1]} has no task ${missing.task} (of ${names[0]}): compare reports of the same tasks`);
  if (other.tasks.length !== base.tasks.length) {
    const inBase = new Set(base.tasks.map((t) => t.task));
    return E.left(`${names[0]} has no task ${other.tasks.find((t) => !inBase.has(t.task))?.task} (of ${names[1]}): compare reports of the same tasks`);
  }
  const matched = base.tasks.map((t) => [t, byName.get(t.task)!] as const);
  const dice = matched.map(([a, b]) => [a.model.dice, b.model.dice] as const);
  const sel = matched.flatMap(([a, b]) => (a.selectivity && b.selectivity ? [[a.selectivity.model, b.selectivity.model] as const] : []));
  const seed = o.seed ?? 0;
  return E.right([compareMetric('dice', dice, resamples, seed), ...(sel.length ? [compareMetric('selectivity', sel, resamples, seed)] : [])]);
}
