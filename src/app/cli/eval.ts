// `oneprompt eval`: the evaluation protocol of src/app/eval/protocol.ts on a dataset folder, with the model from an
// ONNX file: per-task Dice (%) of the model and of both baselines on the same pairs, as a table or one JSON object.
import { Option, type Command } from 'commander';
import { readDataset, tasksOf, type Dataset } from '../data/dataset.js';
import { orThrow } from '../data/errors.js';
import { PROMPT_TYPES, type PromptType } from '../data/prompt.js';
import { QUALITIES, type Quality } from '../data/simulate.js';
import { bootstrapMeanInterval } from '../eval/bootstrap.js';
import { evaluate, type EvalReport, type Score } from '../eval/protocol.js';
import { DEFAULT_MAX_OTHERS, evaluateSelectivity, type SelectivityReport, type SelectivityScores } from '../eval/selectivity.js';
import { table } from './format.js';
import { processIO, type CliIO } from './io.js';
import {
  fractionOrMore,
  nonNegativeInt,
  positiveInt,
  withLimitOptions,
  withLimits,
  withRuntimeOptions,
  type LimitCliOptions,
  type RuntimeCliOptions,
} from './options.js';
import { progress } from './progress.js';
import { loadSegmenter } from '../inference/load-segmenter.js';

export const TASK_PARTS = ['heldout', 'train', 'heldout-slices', 'validation', 'all'] as const;

export interface EvalCliOptions extends RuntimeCliOptions, LimitCliOptions {
  readonly model: string;
  readonly data: string;
  readonly prompt: PromptType | 'given';
  readonly quality: Quality;
  readonly templates: number;
  readonly tasks: (typeof TASK_PARTS)[number];
  readonly json?: boolean;
  readonly seed: number;
  readonly batch: number;
  /** Measure prompt selectivity where tasks share images (default true; --no-selectivity). */
  readonly selectivity?: boolean;
  readonly maxOthers?: number;
  /** Score each query as a second patient, its warp ranges scaled by this factor (src/app/eval/second-patient.ts). */
  readonly secondPatient?: number;
}

/** Selectivity in Dice points (src/app/eval/selectivity.ts); null where no other structure shares the task's images. */
export type SelectivityJson = { model: number; copy_template: number; region_grow: number } | null;

/** The `--json` object: exactly these keys, in this order, Dice in %. */
export interface EvalJson {
  tasks: { task: string; pairs: number; model: Score; copy_template: Score; region_grow: Score; selectivity: SelectivityJson }[];
  mean: { model: number; copy_template: number; region_grow: number };
  selectivity: SelectivityJson;
  /** 95 % bootstrap intervals over tasks (src/app/eval/bootstrap.ts) of the model's mean Dice and mean selectivity. */
  interval: { model: readonly [number, number]; selectivity: readonly [number, number] | null };
}

const scoreJson = (s: Score): Score => ({ dice: s.dice, std: s.std });

const selectivityJson = (s: SelectivityScores | undefined): SelectivityJson =>
  s ? { model: s.model!, copy_template: s.copy_template, region_grow: s.region_grow } : null;

export function evalJson(r: EvalReport, sel?: SelectivityReport): EvalJson {
  const byTask = new Map((sel?.tasks ?? []).map((t) => [t.task, t.selectivity]));
  return {
    tasks: r.tasks.map((t) => ({
      task: t.task,
      pairs: t.pairs,
      model: scoreJson(t.model!),
      copy_template: scoreJson(t.copy_template),
      region_grow: scoreJson(t.region_grow),
      selectivity: selectivityJson(byTask.get(t.task)),
    })),
    mean: { model: r.mean.model!, copy_template: r.mean.copy_template, region_grow: r.mean.region_grow },
    selectivity: selectivityJson(sel?.mean),
    interval: {
      model: bootstrapMeanInterval(r.tasks.map((t) => t.model!.dice)),
      selectivity: sel?.tasks.length ? bootstrapMeanInterval(sel.tasks.map((t) => t.selectivity.model!)) : null,
    },
  };
}

const cell = (s: Score): string => `${s.dice.toFixed(1)} ± ${s.std.toFixed(1)}`;

export function evalTable(r: EvalJson): string {
  const rows = r.tasks.map((t) => [t.task, String(t.pairs), cell(t.model), cell(t.copy_template), cell(t.region_grow)]);
  rows.push([
    'mean',
    String(r.tasks.reduce((a, t) => a + t.pairs, 0)),
    r.mean.model.toFixed(1),
    r.mean.copy_template.toFixed(1),
    r.mean.region_grow.toFixed(1),
  ]);
  const sel = r.selectivity;
  const withSel = r.tasks.filter((t) => t.selectivity).length;
  if (sel) rows.push([`selectivity (${withSel} tasks)`, '', sel.model.toFixed(1), sel.copy_template.toFixed(1), sel.region_grow.toFixed(1)]);
  const span = ([lo, hi]: readonly [number, number]) => `[${lo.toFixed(1)}, ${hi.toFixed(1)}]`;
  const intervals = `the model's 95% intervals over tasks (bootstrap): mean ${span(r.interval.model)}${r.interval.selectivity ? `, selectivity ${span(r.interval.selectivity)}` : ''}`;
  return `${table(['task', 'pairs', 'model', 'copy template', 'region grow'], rows)}\n${intervals}`;
}

/** Pairs the protocol will run (each of min(K, n) templates against the n − 1 other images), for the progress bar. */
const expectedPairs = (ds: Dataset, names: readonly string[], k: number, given: boolean): number =>
  names.reduce((a, n) => {
    const t = ds.tasks.find((x) => x.name === n);
    return a + (t ? Math.min(k, given ? (t.templates?.length ?? 0) : t.pairs.length) * (t.pairs.length - 1) : 0);
  }, 0);

export async function runEval(o: EvalCliOptions, io: CliIO = processIO): Promise<EvalJson> {
  const dataset = orThrow(readDataset(o.data));
  const names = tasksOf(dataset, o.tasks).map((t) => t.name);
  if (names.length === 0)
    throw new Error(
      `eval: ${o.data} has no ${o.tasks} tasks (split.json lists ${dataset.split ? `${dataset.split.train.length} train, ${dataset.split.heldout.length} held-out` : 'none'})`,
    );
  const model = await loadSegmenter(o.model, { device: o.device, threads: o.threads, warn: (l) => io.err(l + '\n') });
  try {
    const total = expectedPairs(dataset, names, o.templates, o.prompt === 'given');
    const bar = progress(io, 'eval', total, 'pairs');
    let before = 0;
    let current = '';
    let currentDone = 0;
    const common = {
      dataset,
      tasks: names,
      quality: o.quality,
      templates: o.templates,
      seed: o.seed,
      geometry: model.geometry,
      batchSize: o.batch,
      secondPatient: o.secondPatient,
    };
    const report = await evaluate(
      {
        ...common,
        promptType: o.prompt,
        onProgress: (p) => {
          if (p.task !== current) [before, current] = [before + currentDone, p.task];
          currentDone = p.done;
          bar.update(Math.min(total, before + p.done), p.task);
        },
      },
      model.prompts,
    );
    const scored = orThrow(report);
    if (o.selectivity === false || o.prompt === 'given') return evalJson(scored);
    // Selectivity: the same templates prompted on the other structures labelled on them (src/app/eval/selectivity.ts).
    const selBar = progress(io, 'selectivity', names.length, 'tasks');
    let tasksDone = 0;
    const sel = await evaluateSelectivity(
      {
        ...common,
        promptType: o.prompt,
        maxOthers: o.maxOthers ?? DEFAULT_MAX_OTHERS,
        onProgress: (p) => {
          if (p.done >= p.total) selBar.update(++tasksDone, p.task);
        },
      },
      model.prompts,
    );
    return evalJson(scored, orThrow(sel));
  } finally {
    await model.release();
  }
}

export function registerEval(program: Command, io: CliIO = processIO): void {
  const command = program
    .command('eval')
    .description(
      'Dice (%) per task of the model and of two baselines (copy the template mask; region-grow from the prompt) on the same template→query pairs, with simulated prompts or the ones given in templates.json',
    )
    .requiredOption('--model <file>', 'compiled One-Prompt model (.onnx)')
    .requiredOption('--data <dir>', 'dataset folder: DIR/<task>/images, DIR/<task>/masks, optional DIR/split.json')
    .addOption(
      new Option('--prompt <type>', 'prompt type simulated on each template, or "given": the prompted templates of each task\'s templates.json')
        .choices([...PROMPT_TYPES, 'given'])
        .default('click'),
    )
    .addOption(new Option('--quality <level>', 'simulated prompt quality (paper §4.5)').choices(QUALITIES).default('oracle'))
    .option('--templates <k>', 'templates per task (drawn with the seed; each applied to every other image)', positiveInt, 5)
    .addOption(
      new Option(
        '--tasks <part>',
        'which tasks of split.json (all tasks when there is none); heldout-slices: the held-out slabs of training structures; validation: the structures kept out of training for model selection (dataset from-labels --validation)',
      )
        .choices(TASK_PARTS)
        .default('heldout'),
    )
    .option('--json', 'print one JSON object {"tasks": [...], "mean": {...}} instead of the table')
    .option('--seed <n>', 'seed of the template draw and the prompt simulation', nonNegativeInt, 0)
    .option(
      '--no-selectivity',
      'skip prompt selectivity (measured where several tasks label the same images: Dice for the prompted structure minus Dice when other structures on the same template are prompted)',
    )
    .option('--max-others <n>', 'selectivity: other structures prompted per template', positiveInt, DEFAULT_MAX_OTHERS)
    .option(
      '--second-patient <warp>',
      "score each query as a second patient: its image and mask warped and its intensities changed (train --augment's ranges, the warp scaled by WARP, e.g. 0.5), seeded per image; where all images come from one head this keeps copying the template's mask from being an answer",
      fractionOrMore,
    );
  withRuntimeOptions(command, 'pairs per model run');
  withLimitOptions(command);
  command
    .addHelpText(
      'after',
      '\nExamples:\n  oneprompt synth --out data/synth && oneprompt eval --model M.onnx --data data/synth --prompt bbox\n  oneprompt eval --model M.onnx --data my-dataset --tasks all --prompt click --quality low --json',
    )
    .action(async (o: EvalCliOptions) => {
      const r = await withLimits(o, () => runEval(o, io));
      if (o.json) {
        io.out(JSON.stringify(r));
        return;
      }
      const n = r.tasks.length;
      const prompts =
        o.prompt === 'given' ? `the prompts given in templates.json, up to ${o.templates}` : `${o.prompt} prompts at ${o.quality} quality, ${o.templates}`;
      const patient = o.secondPatient === undefined ? '' : `; each query as a second patient (warp ${o.secondPatient})`;
      io.out(
        `Dice (%) of ${o.model} on ${n} task${n === 1 ? '' : 's'} of ${o.data} (--tasks ${o.tasks}): ${prompts} template${o.templates === 1 ? '' : 's'} per task (mean ± std over templates)${o.prompt === 'given' ? '' : `, seed ${o.seed}`}${patient}`,
      );
      io.out(evalTable(r));
    });
}
