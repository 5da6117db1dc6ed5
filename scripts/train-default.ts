// The issue-14 default model: tiny128 trained on real anatomy (the INIA19 macaque template and its NeuroMaps
// structures, runs/data/inia19-128 from scripts/build-brain-dataset.ts), template and query augmented as two
// patients, on whichever training backend `oneprompt train --backend` offers; and the measurements the issue asks
// for, on held-out structures.
//
//   npx tsx scripts/train-default.ts train [--backend auto] [--steps N | --epochs E] [--batch 8] [--lr 0.001]
//                                          [--config tiny128] [--out runs/default-tiny128] [--init FILE] [--ship]
//       builds the dataset when missing, trains (resuming from the run's checkpoint when there is one), and with
//       --ship compiles the result to compiled/oneprompt-default.onnx (+ .json). Prints every command first.
//   npx tsx scripts/train-default.ts eval [MODEL.onnx] [--templates 3] [--quick]
//       markdown tables: held-out structures (Dice and selectivity per prompt type, model vs copy template vs region
//       grow), the held-out slabs of training structures, prompt quality low → oracle, the bundled human slices
//       (samples/mri), and `everything`'s distinct masks. --quick: click and seglab only, 1 template.
import { Command } from 'commander';
import { cli, run } from './run-command.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BRAIN_DATASET_DIR } from './build-brain-dataset.js';

const MODEL = 'compiled/oneprompt-default.onnx';

function train(o: { backend: string; steps?: string; epochs: string; batch: string; lr: string; config: string; out: string; init?: string; ship?: boolean; seed: string }): void {
  if (!existsSync(join(BRAIN_DATASET_DIR, 'split.json'))) run(['npx', 'tsx', 'scripts/build-brain-dataset.ts', '--out', BRAIN_DATASET_DIR]);
  const t0 = Date.now();
  const resume = existsSync(join(o.out, 'last.safetensors'));
  const length = o.steps ? ['--steps', o.steps] : ['--epochs', o.epochs];
  run(
    cli('train', '--config', o.config, '--augment', '--data', BRAIN_DATASET_DIR, ...length, '--batch', o.batch, '--lr', o.lr, '--seed', o.seed, '--backend', o.backend, '--checkpoint-every', '100', '--out', o.out,
      ...(resume ? ['--resume'] : o.init ? ['--init', o.init] : [])),
  );
  console.error(`trained in ${((Date.now() - t0) / 60000).toFixed(1)} min; loss curve ${o.out}/loss.png, log ${o.out}/loss.jsonl`);
  if (o.ship) run(cli('compile', '--config', o.config, '--weights', join(o.out, 'last.safetensors'), '--out', MODEL));
}

interface EvalJson {
  tasks: { task: string; pairs: number; model: { dice: number }; selectivity: { model: number } | null }[];
  mean: { model: number; copy_template: number; region_grow: number };
  selectivity: { model: number; copy_template: number; region_grow: number } | null;
}

const f = (x: number | undefined | null) => (x === undefined || x === null ? '—' : x.toFixed(1));
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function evaluate(model: string, o: { templates: string; quick?: boolean }): void {
  const prompts = o.quick ? ['click', 'seglab'] : ['click', 'bbox', 'doodle', 'seglab'];
  const templates = o.quick ? '1' : o.templates;
  const evalJson = (data: string, tasks: string, prompt: string, quality = 'oracle', extra: string[] = []) =>
    JSON.parse(run(cli('eval', '--model', model, '--data', data, '--tasks', tasks, '--prompt', prompt, '--quality', quality, '--templates', templates, '--seed', '0', '--json', ...extra), true)) as EvalJson;
  const split = JSON.parse(readFileSync(join(BRAIN_DATASET_DIR, 'split.json'), 'utf8')) as { heldout: string[]; heldout_slices: string[] };

  const held = prompts.map((p) => [p, evalJson(BRAIN_DATASET_DIR, 'heldout', p)] as const);
  console.log(`\nHeld-out macaque structures (${split.heldout.length} structure-plane tasks; held out by structure), oracle prompts, ${templates} template(s) per task; Dice (%) and selectivity (Dice points):\n`);
  console.log(table(['prompt', 'model', 'copy template', 'region grow', 'selectivity: model', 'copy template', 'region grow'], held.map(([p, j]) => [p, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow), f(j.selectivity?.model), f(j.selectivity?.copy_template), f(j.selectivity?.region_grow)])));

  const slabs = prompts.map((p) => [p, evalJson(BRAIN_DATASET_DIR, 'heldout-slices', p, 'oracle', ['--no-selectivity'])] as const);
  console.log(`\nHeld-out slabs of training structures (${split.heldout_slices.length} tasks; structures seen in training, slices not), oracle prompts:\n`);
  console.log(table(['prompt', 'model', 'copy template', 'region grow'], slabs.map(([p, j]) => [p, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow)])));

  const qualities = ['low', 'medium', 'high', 'oracle'];
  const byQuality = qualities.map((q) => [q, evalJson(BRAIN_DATASET_DIR, 'heldout', 'click', q, ['--no-selectivity'])] as const);
  console.log('\nPrompt quality (click prompts, held-out structures):\n');
  console.log(table(['quality', 'model', 'copy template', 'region grow'], byQuality.map(([q, j]) => [q, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow)])));

  const human = prompts.map((p) => [p, evalJson('samples', 'all', p, 'oracle', ['--templates', '6'])] as const);
  console.log('\nThe bundled human MRI slices (samples/mri: brain; each slice the template for the other five), oracle prompts:\n');
  console.log(table(['prompt', 'model', 'copy template', 'region grow'], human.map(([p, j]) => [p, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow)])));

  const sample = readdirFirst('samples-heldout');
  const rows: string[][] = [];
  for (const image of [sample, 'samples/mri/images/axial-066.png']) {
    const out = run(cli('everything', '--model', model, '--image', image, '--out', `runs/everything-eval/${image.replace(/[/.]/g, '_')}`), true);
    const m = /→ (\d+) distinct masks/.exec(out);
    rows.push([image, m ? m[1] : '?']);
  }
  console.log('\n`oneprompt everything` (8×8 clicks, IoU 0.7):\n');
  console.log(table(['image', 'distinct masks'], rows));
}

/** The first image of the bundled held-out macaque set (a brain slice with several structures). */
function readdirFirst(dir: string): string {
  const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as { heldout: string[] };
  const images = join(dir, split.heldout[0], 'images');
  return join(images, readdirSync(images).sort()[0]);
}

const program = new Command();
program
  .command('train')
  .option('--backend <name>', 'training backend, passed to `oneprompt train --backend`', 'auto')
  .option('--steps <n>', 'training steps (default: --epochs)')
  .option('--epochs <n>', 'passes over the training queries', '20')
  .option('--batch <b>', 'batch size', '8')
  .option('--lr <x>', 'peak learning rate', '0.001')
  .option('--seed <n>', 'seed', '1')
  .option('--config <name>', 'One-Prompt configuration', 'tiny128')
  .option('--out <dir>', 'run folder', 'runs/default-tiny128')
  .option('--init <file>', 'start from these weights (same configuration)')
  .option('--ship', `compile the trained weights to ${MODEL}`)
  .action(train);
program
  .command('eval')
  .argument('[model]', 'model to measure', MODEL)
  .option('--templates <k>', 'templates per task', '3')
  .option('--quick', 'click and seglab only, one template per task')
  .action((model: string, o: { templates: string; quick?: boolean }) => evaluate(model, o));
program.parse();
