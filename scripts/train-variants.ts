// The paper's Fig. 6 in spirit, at our scale: the 12 Prompt-Parser variants (prompting add | concat-mlp |
// stack-mlp × masking add | binary | norm | gaussian) trained briefly on the same data with the same seed and
// steps, then scored on held-out structures: Dice and prompt selectivity per prompt type. Our measurement, on our
// data and model size, not the paper's numbers.
//
//   npx tsx scripts/train-variants.ts [--config brain128] [--data runs/data/inia19-128] [--steps 600] [--batch 8]
//       [--backend auto|wasm|cpu|...] [--threads N] [--eval-data DIR] [--tasks heldout|validation] [--prompts click,seglab] [--templates 2]
//       [--out runs/variants] [--only stack-mlp/gaussian,add/add] [--train-options "--warp 0.5 --loss pos=10"]
//       [--init FILE]
//
// Each variant is `oneprompt train --config C --parser P --masking M --augment --steps N --backend B` in
// OUT/<parser>-<masking>/, then `oneprompt eval --model OUT/<parser>-<masking>/model.onnx --json` per prompt type.
// With --init FILE every variant starts from FILE's weights except its Prompt-Parser (decoder.*.parser.*, seeded
// afresh for every variant, the default one included: `--init-exclude`), so that a short budget compares the
// parsers on a trunk that already works rather than on a model that has not yet learnt to read prompts.
// --backend is passed to `train` unchanged, so the script runs on whichever training backend `train --backend`
// offers (tfjs wasm/cpu/node today; the ONNX Runtime one when it lands). A variant whose model.onnx exists is not
// trained again; one with a checkpoint but no model is resumed. The table goes to stdout (markdown) and
// OUT/variants.json. A smoke run: --steps 2 --eval-data samples-heldout --templates 1.
import { Command } from 'commander';
import { cli, run } from './run-command.js';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PARSERS = ['add', 'concat-mlp', 'stack-mlp'] as const;
const MASKINGS = ['add', 'binary', 'norm', 'gaussian'] as const;

const o = new Command()
  .option('--config <name>', 'One-Prompt configuration', 'brain128')
  .option('--data <dir>', 'training dataset (scripts/build-brain-dataset.ts builds the default)', 'runs/data/inia19-128')
  .option('--eval-data <dir>', 'evaluation dataset (its held-out tasks); default: --data')
  .option('--steps <n>', 'training steps per variant', '600')
  .option('--batch <b>', 'batch size', '8')
  .option('--lr <x>', 'peak learning rate', '0.001')
  .option('--seed <n>', 'seed (weights and data order; the same for every variant)', '1')
  .option('--backend <name>', 'training backend, passed to `oneprompt train --backend`', 'auto')
  .option('--prompts <list>', 'prompt types to evaluate', 'click,seglab')
  .option('--templates <k>', 'templates per held-out task in eval', '2')
  .option('--tasks <set>', 'which tasks of --eval-data to score: heldout (structures held out of training) or validation', 'heldout')
  .option('--out <dir>', 'folder of the variant runs', 'runs/variants')
  .option('--only <list>', 'a subset, e.g. stack-mlp/gaussian,add/add')
  .option('--threads <n>', 'ONNX Runtime threads for training and eval')
  .option('--train-options <args>', 'more `oneprompt train` options, the same for every variant, e.g. "--warp 0.5 --interactive 0.5 --loss pos=10"', '')
  .option('--init <file>', "start every variant from these weights, its Prompt-Parser seeded afresh (the parser's parameters are excluded)")
  .parse()
  .opts<{
    config: string;
    data: string;
    evalData?: string;
    steps: string;
    batch: string;
    lr: string;
    seed: string;
    backend: string;
    prompts: string;
    templates: string;
    tasks: string;
    out: string;
    only?: string;
    threads?: string;
    trainOptions: string;
    init?: string;
  }>();

interface Row {
  parser: string;
  masking: string;
  steps: number;
  seconds: number;
  /** Mean loss over the last 10 % of steps. */
  loss: number;
  dice: Record<string, number>;
  selectivity: Record<string, number | null>;
}

const prompts = o.prompts
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const variants = PARSERS.flatMap((parser) => MASKINGS.map((masking) => ({ parser, masking }))).filter(
  (v) =>
    !o.only ||
    o.only
      .split(',')
      .map((s) => s.trim())
      .includes(`${v.parser}/${v.masking}`),
);
if (variants.length === 0) throw new Error(`--only ${o.only} names no variant (parser/masking, e.g. stack-mlp/gaussian)`);
mkdirSync(o.out, { recursive: true });
const rows: Row[] = [];
const threads = o.threads ? ['--threads', o.threads] : [];
for (const { parser, masking } of variants) {
  const dir = join(o.out, `${parser}-${masking}`);
  if (!existsSync(join(dir, 'model.onnx'))) {
    const resume = existsSync(join(dir, 'last.safetensors')) ? ['--resume'] : [];
    const init =
      o.init && !resume.length
        ? ['--init', o.init, '--init-exclude', 'decoder.0.parser.,decoder.1.parser.,decoder.2.parser.,decoder.3.parser.,decoder.4.parser.']
        : [];
    const extra = o.trainOptions.split(/\s+/).filter(Boolean);
    run(
      cli(
        'train',
        '--config',
        o.config,
        '--parser',
        parser,
        '--masking',
        masking,
        '--augment',
        ...extra,
        '--data',
        o.data,
        '--steps',
        o.steps,
        '--batch',
        o.batch,
        '--lr',
        o.lr,
        '--seed',
        o.seed,
        '--backend',
        o.backend,
        ...threads,
        '--out',
        dir,
        ...resume,
        ...init,
      ),
    );
  }
  const log = readFileSync(join(dir, 'loss.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number; time_s: number });
  const tail = log.slice(Math.floor(log.length * 0.9));
  const row: Row = {
    parser,
    masking,
    steps: log.length,
    seconds: log[log.length - 1].time_s,
    loss: tail.reduce((a, r) => a + r.loss, 0) / tail.length,
    dice: {},
    selectivity: {},
  };
  for (const prompt of prompts) {
    // A variant's scores are kept beside its model (and reused while the model stays), so a rerun scores only new ones.
    const scores = join(dir, `eval-${(o.evalData ?? o.data).replace(/[^\w.-]+/g, '_')}-${o.tasks}-${prompt}-${o.templates}.json`);
    const fresh = () =>
      run(
        cli(
          'eval',
          '--model',
          join(dir, 'model.onnx'),
          '--data',
          o.evalData ?? o.data,
          '--tasks',
          o.tasks,
          '--prompt',
          prompt,
          '--quality',
          'oracle',
          '--templates',
          o.templates,
          '--seed',
          '0',
          ...threads,
          '--json',
        ),
        true,
      );
    if (!existsSync(scores) || statSync(scores).mtimeMs < statSync(join(dir, 'model.onnx')).mtimeMs) writeFileSync(scores, fresh());
    const j = JSON.parse(readFileSync(scores, 'utf8')) as {
      mean: { model: number };
      selectivity: { model: number } | null;
    };
    row.dice[prompt] = j.mean.model;
    row.selectivity[prompt] = j.selectivity?.model ?? null;
  }
  rows.push(row);
  writeFileSync(
    join(o.out, 'variants.json'),
    JSON.stringify(
      {
        config: o.config,
        data: o.data,
        evalData: o.evalData ?? o.data,
        tasks: o.tasks,
        steps: Number(o.steps),
        batch: Number(o.batch),
        backend: o.backend,
        trainOptions: o.trainOptions,
        init: o.init ?? null,
        rows,
      },
      null,
      1,
    ) + '\n',
  );
}

const f = (x: number | null) => (x === null ? '—' : x.toFixed(1));
const head = ['prompting', 'masking', 'steps', 'time (s)', 'loss (last 10 %)', ...prompts.map((p) => `Dice ${p}`), ...prompts.map((p) => `selectivity ${p}`)];
console.log(
  `Prompt-Parser variants, ${o.config}${o.trainOptions ? ` (${o.trainOptions})` : ''}, ${o.steps} steps of ${o.batch} on ${o.data} (backend ${o.backend})${o.init ? `, each from ${o.init} with its Prompt-Parser seeded afresh` : ''}, ${o.tasks} tasks of ${o.evalData ?? o.data}, oracle prompts, ${o.templates} templates per task. Our measurement at our scale (cf. the paper's Fig. 6).\n`,
);
console.log(`| ${head.join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |`);
for (const r of rows)
  console.log(
    `| ${[r.parser, r.masking, String(r.steps), r.seconds.toFixed(0), r.loss.toFixed(4), ...prompts.map((p) => f(r.dice[p])), ...prompts.map((p) => f(r.selectivity[p]))].join(' | ')} |`,
  );
