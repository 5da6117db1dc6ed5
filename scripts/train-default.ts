// The issue-14 default model: brain128 (tiny128 with the aligned route) trained on real anatomy (the INIA19 macaque
// template and its NeuroMaps structures, runs/data/inia19-128 from scripts/build-brain-dataset.ts), template and
// query augmented as two patients, on whichever training backend `oneprompt train --backend` offers (ONNX Runtime
// here); and the measurements the issue asks for. docs/brain-data.md has the experiments behind the settings.
//
//   npx tsx scripts/train-default.ts train [--backend auto] [--threads 2] [--out runs/default-brain128] [--ship]
//       builds the dataset when missing, then eight stages, each from the previous one's weights (--init: a fresh
//       optimiser, warm-up and cosine decay); a finished stage is skipped, a started one resumes from its checkpoint:
//         stage1:  800 steps of 8, lr 1e-3, seed 1, brain128 (from the seeded initialisation)
//         stage2: 1500 steps of 8, lr 7e-4, seed 3, brain128
//         stage3: 1500 steps of 8, lr 7e-4, seed 5, brain128r (+ the raster route, starting at zero)
//         stage4: 1500 steps of 8, lr 7e-4, seed 7, brain128r, --warp-mix (pairs from aligned to warped)
//         stage5: 1200 steps of 8, lr 5e-4, seed 13, brain128r, --warp-mix --targets structures (atlas structures only)
//         stage6: 1200 steps of 8, lr 3e-4, seed 19, brain128r, the same (stage5 trained on)
//         stage7: 1200 steps of 8, lr 2e-4, seed 23, brain128r, the same (stage6 trained on)
//         stage8: 1500 steps of 8, lr 3e-4, seed 43, brain128r, --warp-mix --loss pos=3 (a lighter foreground weight)
//                 --large-target-prompts bbox=1,seglab=1 (the large targets back, asked for by boxes and masks alone)
//       all with --augment --warp 0.5 --interactive 0.5 and, before stage8, --loss pos=10; with --ship it compiles the
//       last stage's weights to compiled/oneprompt-default.onnx (+ .json; scripts/build-compiled.ts adds the
//       encoder/decoder pair). These are the runs e1, e3, r1, r3, r7, r10, r11 and w3L of docs/brain-data.md. Prints
//       every command.
//   npx tsx scripts/train-default.ts eval [MODEL.onnx] [--templates 3] [--quick] [--validation-only]
//       markdown tables: the validation structures (what models are chosen on), held-out structures (Dice and
//       selectivity per prompt type, model vs copy template vs region grow), each as read, then each query as a second
//       patient (eval --second-patient 0.5); the held-out slabs of training structures, prompt quality low → oracle,
//       the bundled human slices (samples/mri), and `everything`'s distinct masks. --quick: click and seglab only,
//       1 template. --validation-only: the validation tables alone.
import { Command } from 'commander';
import { cli, run } from './run-command.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BRAIN_DATASET_DIR } from './build-brain-dataset.js';

const MODEL = 'compiled/oneprompt-default.onnx';

/** The settings every stage shares (docs/brain-data.md: the experiments behind them). */
const RECIPE = ['--augment', '--warp', '0.5', '--interactive', '0.5', '--batch', '8', '--checkpoint-every', '100'];

/**
 * The loss's foreground weight in stages 1–7: 10, which left the outputs too large (template = query, a box's output
 * 2.4 times the structure's area); the last stage lowers it to 3 (w3L of docs/brain-data.md).
 */
const HEAVY_FOREGROUND = 'pos=10';

/** Stages 5–7: pairs from aligned to warped, on the atlas structures alone. */
const ON_STRUCTURES = ['--warp-mix', '--targets', 'structures'];

/**
 * The stages, each from the previous one's weights; the runs e1, e3, r1, r3, r7, r10, r11 and w3L of docs/brain-data.md. The third
 * adds the raster route (brain128r): its new parameters start at zero (--init-partial keeps their seeded values). The
 * fourth varies each pair's warp from none to the recipe's (--warp-mix), so the model also meets aligned pairs. The
 * fifth trains on the atlas structures alone: with the large targets that contain them, a click or doodle on a
 * structure also asked for its region, hemisphere and brain; the sixth and seventh train on at lower rates. The eighth
 * lowers the loss's foreground weight from 10 to 3, which shrinks outputs to the structure's size, and brings the large
 * targets back for boxes and masks alone (which say which nested target is meant): without them, at that weight, a box
 * on the whole brain fell from 76 to 40 Dice on the human slices.
 */
const STAGES = [
  { name: 'stage1', config: 'brain128', steps: '800', lr: '0.001', seed: '1' },
  { name: 'stage2', config: 'brain128', steps: '1500', lr: '0.0007', seed: '3' },
  { name: 'stage3', config: 'brain128r', steps: '1500', lr: '0.0007', seed: '5', initPartial: true },
  { name: 'stage4', config: 'brain128r', steps: '1500', lr: '0.0007', seed: '7', extra: ['--warp-mix'] },
  { name: 'stage5', config: 'brain128r', steps: '1200', lr: '0.0005', seed: '13', extra: ON_STRUCTURES },
  { name: 'stage6', config: 'brain128r', steps: '1200', lr: '0.0003', seed: '19', extra: ON_STRUCTURES },
  { name: 'stage7', config: 'brain128r', steps: '1200', lr: '0.0002', seed: '23', extra: ON_STRUCTURES },
  {
    name: 'stage8',
    config: 'brain128r',
    steps: '1500',
    lr: '0.0003',
    seed: '43',
    extra: ['--warp-mix', '--large-target-prompts', 'bbox=1,seglab=1'],
    loss: 'pos=3',
  },
] as const;

function train(o: { backend: string; threads: string; out: string; ship?: boolean }): void {
  if (!existsSync(join(BRAIN_DATASET_DIR, 'split.json'))) run(['npx', 'tsx', 'scripts/build-brain-dataset.ts', '--out', BRAIN_DATASET_DIR]);
  const t0 = Date.now();
  let init: string | undefined;
  for (const st of STAGES) {
    const dir = join(o.out, st.name);
    // A finished stage is not trained again; a started one resumes.
    if (!existsSync(join(dir, 'model.onnx'))) {
      const partial = 'initPartial' in st ? ['--init-partial'] : [];
      const extra = 'extra' in st ? st.extra : [];
      const loss = 'loss' in st ? st.loss : HEAVY_FOREGROUND;
      const from = existsSync(join(dir, 'last.safetensors')) ? ['--resume'] : init ? ['--init', init, ...partial] : [];
      run(
        cli(
          'train',
          '--config',
          st.config,
          ...RECIPE,
          '--loss',
          loss,
          ...extra,
          '--data',
          BRAIN_DATASET_DIR,
          '--steps',
          st.steps,
          '--lr',
          st.lr,
          '--seed',
          st.seed,
          '--backend',
          o.backend,
          '--threads',
          o.threads,
          '--out',
          dir,
          ...from,
        ),
      );
    }
    init = join(dir, 'last.safetensors');
  }
  console.error(`trained in ${((Date.now() - t0) / 60000).toFixed(1)} min; loss curves ${STAGES.map((st) => join(o.out, st.name, 'loss.png')).join(', ')}`);
  if (o.ship && init) run(cli('compile', '--config', STAGES[STAGES.length - 1].config, '--weights', init, '--out', MODEL));
}

interface EvalJson {
  tasks: { task: string; pairs: number; model: { dice: number }; selectivity: { model: number } | null }[];
  mean: { model: number; copy_template: number; region_grow: number };
  selectivity: { model: number; copy_template: number; region_grow: number } | null;
  interval: { model: [number, number]; selectivity: [number, number] | null };
}

const f = (x: number | undefined | null) => (x === undefined || x === null ? '—' : x.toFixed(1));
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** "[lo, hi]", a 95 % interval over tasks (eval's "interval"). */
const span = (i: readonly [number, number] | null) => (i ? `[${f(i[0])}, ${f(i[1])}]` : '—');

/** Dice and selectivity per prompt type, the model beside both baselines, and the model's intervals over tasks. */
const selectivityTable = (rows: readonly (readonly [string, EvalJson])[]) =>
  table(
    ['prompt', 'model', 'copy template', 'region grow', 'selectivity: model', 'copy template', 'region grow', "model's 95% intervals: Dice; selectivity"],
    rows.map(([p, j]) => [
      p,
      ...[j.mean, j.selectivity].flatMap((m) => [f(m?.model), f(m?.copy_template), f(m?.region_grow)]),
      `${span(j.interval.model)}; ${span(j.interval.selectivity)}`,
    ]),
  );

function evaluate(model: string, o: { templates: string; quick?: boolean; validationOnly?: boolean }): void {
  const prompts = o.quick ? ['click', 'seglab'] : ['click', 'bbox', 'doodle', 'seglab'];
  const templates = o.quick ? '1' : o.templates;
  const evalJson = (data: string, tasks: string, prompt: string, quality = 'oracle', extra: string[] = []) =>
    JSON.parse(
      run(
        cli(
          'eval',
          '--model',
          model,
          '--data',
          data,
          '--tasks',
          tasks,
          '--prompt',
          prompt,
          '--quality',
          quality,
          '--templates',
          templates,
          '--seed',
          '0',
          '--json',
          ...extra,
        ),
        true,
      ),
    ) as EvalJson;
  /** One reading of the macaque tasks, per prompt type (oracle prompts). */
  const perPrompt = (tasks: string, extra: string[] = []) => prompts.map((p) => [p, evalJson(BRAIN_DATASET_DIR, tasks, p, 'oracle', extra)] as const);
  /** Each query as a second patient: its own warp and intensity change, the ranges the training pairs get. */
  const SECOND_PATIENT = ['--second-patient', '0.5'];
  const split = JSON.parse(readFileSync(join(BRAIN_DATASET_DIR, 'split.json'), 'utf8')) as {
    heldout: string[];
    heldout_slices: string[];
    validation?: string[];
  };

  if (split.validation?.length) {
    const val = perPrompt('validation');
    console.log(
      `\nValidation structures (${split.validation.length} structure-plane tasks kept out of training; models and settings were chosen on these), oracle prompts, ${templates} template(s) per task:\n`,
    );
    console.log(selectivityTable(val));
    // As read, neighbouring slices of one head: a model whose outputs fit the structure tightly can gain here and lose
    // where the query's structure has moved (w3L, docs/brain-data.md), so a choice reads both.
    const valPatients = perPrompt('validation', SECOND_PATIENT);
    console.log(
      `\nValidation structures, each query as a second patient (eval ${SECOND_PATIENT.join(' ')}), oracle prompts, ${templates} template(s) per task:\n`,
    );
    console.log(selectivityTable(valPatients));
  }
  if (o.validationOnly) return;

  const held = perPrompt('heldout');
  console.log(
    `\nHeld-out macaque structures (${split.heldout.length} structure-plane tasks; held out by structure), oracle prompts, ${templates} template(s) per task; Dice (%) and selectivity (Dice points):\n`,
  );
  console.log(selectivityTable(held));

  // The same tasks with each query as a second patient (eval --second-patient 0.5, the warp the training pairs get):
  // all slices come from one head, so without it the template's mask lies nearly where the query's structure lies.
  const patients = perPrompt('heldout', SECOND_PATIENT);
  console.log(
    `\nHeld-out macaque structures, each query as a second patient (its own warp and intensity change, eval ${SECOND_PATIENT.join(' ')}), oracle prompts, ${templates} template(s) per task:\n`,
  );
  console.log(selectivityTable(patients));

  const slabs = perPrompt('heldout-slices', ['--no-selectivity']);
  console.log(`\nHeld-out slabs of training structures (${split.heldout_slices.length} tasks; structures seen in training, slices not), oracle prompts:\n`);
  console.log(
    table(
      ['prompt', 'model', 'copy template', 'region grow', "model's 95% interval over tasks"],
      slabs.map(([p, j]) => [p, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow), span(j.interval.model)]),
    ),
  );

  const qualities = ['low', 'medium', 'high', 'oracle'];
  const byQuality = qualities.map((q) => [q, evalJson(BRAIN_DATASET_DIR, 'heldout', 'click', q, ['--no-selectivity'])] as const);
  console.log('\nPrompt quality (click prompts, held-out structures):\n');
  console.log(
    table(
      ['quality', 'model', 'copy template', 'region grow', "model's 95% interval over tasks"],
      byQuality.map(([q, j]) => [q, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow), span(j.interval.model)]),
    ),
  );

  const human = prompts.map((p) => [p, evalJson('samples', 'all', p, 'oracle', ['--templates', '6'])] as const);
  console.log('\nThe bundled human MRI slices (samples/mri: brain; each slice the template for the other five), oracle prompts:\n');
  console.log(
    table(
      ['prompt', 'model', 'copy template', 'region grow'],
      human.map(([p, j]) => [p, f(j.mean.model), f(j.mean.copy_template), f(j.mean.region_grow)]),
    ),
  );

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
  .option('--backend <name>', 'training backend, passed to `oneprompt train --backend`', 'ort')
  .option('--threads <n>', 'ONNX Runtime threads', '2')
  .option('--out <dir>', `run folder (${STAGES[0].name}/ … ${STAGES[STAGES.length - 1].name}/ inside)`, 'runs/default-brain128')
  .option('--ship', `compile the last stage's weights to ${MODEL}`)
  .action(train);
program
  .command('eval')
  .argument('[model]', 'model to measure', MODEL)
  .option('--templates <k>', 'templates per task', '3')
  .option('--quick', 'click and seglab only, one template per task')
  .option('--validation-only', 'only the validation structures, as read and as a second patient (for choosing between models)')
  .action((model: string, o: { templates: string; quick?: boolean; validationOnly?: boolean }) => evaluate(model, o));
program.parse();
