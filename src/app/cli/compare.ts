// `oneprompt compare A.json B.json`: two `oneprompt eval --json` reports of the same tasks, model B against model A,
// task by task, with a paired-bootstrap interval on the difference (src/app/eval/compare.ts).
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { formatDataError } from '../data/errors.js';
import { readJsonFile } from '../data/json-file.js';
import { DEFAULT_RESAMPLES } from '../eval/bootstrap.js';
import { compareEvals, readComparableEval, type ComparableEval, type MetricComparison } from '../eval/compare.js';
import { table } from './format.js';
import { processIO, type CliIO } from './io.js';
import { nonNegativeInt, positiveInt } from './options.js';

interface CompareCliOptions {
  readonly json?: boolean;
  readonly resamples: number;
  readonly seed: number;
}

/** A report file, read (json-file.ts: a regular file, bounded) and checked; the message names the file. */
const readReport = (file: string): E.Either<string, ComparableEval> =>
  E.chain((value: unknown) => readComparableEval(value, file))(E.mapLeft(formatDataError)(readJsonFile(file, 'an eval report')));

const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;

/** The table: a row per metric; "within noise" where the interval holds 0. */
export function compareTable(rows: readonly MetricComparison[]): string {
  return table(
    ['metric', 'tasks', 'A', 'B', 'B − A', '95% interval', 'B better / worse', 'reading'],
    rows.map((r) => [
      r.metric,
      String(r.tasks),
      r.base.toFixed(1),
      r.other.toFixed(1),
      signed(r.difference),
      `[${signed(r.low)}, ${signed(r.high)}]`,
      `${r.better} / ${r.worse}`,
      r.low > 0 ? 'B higher' : r.high < 0 ? 'B lower' : 'within noise',
    ]),
  );
}

export function registerCompare(program: Command, io: CliIO = processIO): void {
  program
    .command('compare')
    .summary('compare two eval reports of the same tasks, task by task')
    .description(
      "Model B's Dice and selectivity minus model A's, from two `oneprompt eval --json` reports of the same tasks (the same eval options, another model), with a 95% interval from a paired bootstrap over tasks and how many tasks went each way. 'within noise': the interval holds 0, so the tasks alone could give a difference that size.",
    )
    .argument('<a.json>', 'the first report (A, e.g. the shipped model)')
    .argument('<b.json>', 'the second report (B, the candidate)')
    .option('--json', 'print the comparison as JSON')
    .option('--resamples <n>', 'bootstrap resamples (at least 100)', positiveInt, DEFAULT_RESAMPLES)
    .option('--seed <n>', 'seed of the resampling', nonNegativeInt, 0)
    .addHelpText(
      'after',
      '\nExample:\n  oneprompt eval --model A.onnx --data D --tasks validation --prompt click --json > a.json\n  oneprompt eval --model B.onnx --data D --tasks validation --prompt click --json > b.json\n  oneprompt compare a.json b.json',
    )
    .action((a: string, b: string, o: CompareCliOptions) => {
      const ra = readReport(a);
      const rb = readReport(b);
      const result = E.isLeft(ra) ? ra : E.isLeft(rb) ? rb : compareEvals(ra.right, rb.right, [a, b], { resamples: o.resamples, seed: o.seed });
      if (E.isLeft(result)) throw new Error(result.left);
      if (o.json) {
        io.out(JSON.stringify(result.right));
        return;
      }
      io.out(`B = ${b} against A = ${a}: model Dice (%) and selectivity (Dice points), mean over the tasks both score`);
      io.out(compareTable(result.right));
    });
}
