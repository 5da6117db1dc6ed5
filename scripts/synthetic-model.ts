// The default model shipped until issue 14 (tiny at 64² on synthetic scenes), reproducibly, in two stages
// (docs/architecture.md has why); the default now is brain128 on real anatomy (scripts/train-default.ts):
//   1. tiny trained from scratch on shape scenes and head scenes (one structure asked for per scene)
//   2. fine-tuned from stage 1 on scenes whose four tasks share their images and differ in the structure asked
//      for (synth --head-targets 4), so that only the prompt tells them apart
//   npx tsx scripts/synthetic-model.ts train   synthesise both datasets, train both stages, compile
//                                            runs/synthetic-model.onnx (+ .json)   (~40 min on 2 cores)
//   npx tsx scripts/synthetic-model.ts eval [MODEL.onnx]
//                                            Dice on the held-out synthetic tasks (shape and head scenes) for every
//                                            prompt type at oracle quality, and on the bundled MRI slices, as the
//                                            tables of docs/architecture.md (MODEL: another model, e.g. a checkpoint; default the one train wrote)
// Everything is seeded; the commands it runs are printed first. An interrupted stage resumes from its checkpoint.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Stage {
  readonly data: {
    readonly out: string;
    readonly tasks: number;
    readonly headTasks: number;
    readonly headTargets: number;
    readonly images: number;
    readonly size: number;
    readonly seed: number;
  };
  readonly train: { readonly epochs: number; readonly lr: number; readonly out: string; readonly init?: string };
}
const CONFIG = 'tiny';
const BATCH = 8;
const SEED = 1;
export const STAGES: readonly Stage[] = [
  {
    data: { out: 'runs/data/synth-default-heads', tasks: 48, headTasks: 16, headTargets: 1, images: 40, size: 64, seed: 1 },
    train: { epochs: 8, lr: 0.001, out: 'runs/default-tiny-heads' },
  },
  {
    data: { out: 'runs/data/synth-default-prompted', tasks: 48, headTasks: 48, headTargets: 4, images: 40, size: 64, seed: 1 },
    train: { epochs: 2, lr: 0.0003, out: 'runs/default-tiny-prompted', init: 'runs/default-tiny-heads/last.safetensors' },
  },
];
/** The held-out tasks the README reports: the last stage's (its shape tasks are the first stage's). */
export const DATA = STAGES[STAGES.length - 1].data;
const MODEL = 'runs/synthetic-model.onnx';
const cli = (...args: string[]) => ['node', 'bin/oneprompt.mjs', ...args];

function run(cmd: string[], capture = false): string {
  console.error(`$ ${cmd.join(' ')}`);
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`'${cmd.join(' ')}' exited with ${r.status}`);
  return r.stdout ?? '';
}

function train(): void {
  const t0 = Date.now();
  for (const { data: d, train: t } of STAGES) {
    if (!existsSync(`${d.out}/split.json`))
      run(
        cli(
          'synth',
          '--out',
          d.out,
          '--tasks',
          String(d.tasks),
          '--head-tasks',
          String(d.headTasks),
          '--head-targets',
          String(d.headTargets),
          '--images',
          String(d.images),
          '--size',
          String(d.size),
          '--seed',
          String(d.seed),
        ),
      );
    const resume = existsSync(`${t.out}/last.safetensors`) ? ['--resume'] : [];
    const init = t.init && resume.length === 0 ? ['--init', t.init] : [];
    // The shipped model was trained on tfjs-wasm: pinned, so that this reproduces it (train's default is now ONNX Runtime).
    run(
      cli(
        'train',
        '--config',
        CONFIG,
        '--data',
        d.out,
        '--epochs',
        String(t.epochs),
        '--batch',
        String(BATCH),
        '--lr',
        String(t.lr),
        '--seed',
        String(SEED),
        '--checkpoint-every',
        '50',
        '--backend',
        'wasm',
        '--out',
        t.out,
        ...init,
        ...resume,
      ),
    );
  }
  console.error(`trained in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  run(cli('compile', '--config', CONFIG, '--weights', `${STAGES[STAGES.length - 1].train.out}/last.safetensors`, '--out', MODEL));
}

interface EvalJson {
  tasks: { task: string; pairs: number; model: { dice: number }; copy_template: { dice: number }; region_grow: { dice: number } }[];
}

type TaskScore = EvalJson['tasks'][number];

/** The held-out tasks in two groups: the shape scenes and the head scenes (synth --head-tasks). */
const GROUPS = [
  { name: 'shape scenes', has: (task: string) => !task.includes('-head-') },
  { name: 'head scenes', has: (task: string) => task.includes('-head-') },
] as const;
/** The head scenes by the structure they ask for (task names end in -head-<structure>). */
const STRUCTURES = ['brain', 'ventricles', 'head', 'scalp'].map((s) => ({ name: `head scenes: ${s}`, has: (task: string) => task.endsWith(`-head-${s}`) }));

/** One table row: mean Dice over `tasks` of the model and both baselines, the best in bold. */
function row(label: string, prompt: string, tasks: readonly TaskScore[]): string {
  const mean = (f: (t: TaskScore) => number) => tasks.reduce((a, t) => a + f(t), 0) / tasks.length;
  const cells = [mean((t) => t.model.dice), mean((t) => t.copy_template.dice), mean((t) => t.region_grow.dice)];
  const best = Math.max(...cells);
  return `| ${label} (${tasks.length}) | ${prompt} | ${cells.map((x) => (x === best ? `**${x.toFixed(1)}**` : x.toFixed(1))).join(' | ')} |`;
}

function evaluate(model = MODEL): void {
  const head = ['| tasks | prompt (oracle) | One-Prompt (default model) | copy template | region grow |', '| --- | --- | --- | --- | --- |'];
  const results = new Map<string, EvalJson>();
  for (const prompt of ['click', 'bbox', 'doodle', 'seglab']) {
    const out = JSON.parse(
      run(
        cli(
          'eval',
          '--model',
          model,
          '--data',
          DATA.out,
          '--tasks',
          'heldout',
          '--prompt',
          prompt,
          '--quality',
          'oracle',
          '--templates',
          '5',
          '--seed',
          '0',
          '--json',
        ),
        true,
      ),
    ) as EvalJson;
    results.set(prompt, out);
    console.error(`${prompt}: ${out.tasks.length} held-out tasks, ${out.tasks.reduce((n, t) => n + t.pairs, 0)} pairs`);
  }
  const rows = GROUPS.flatMap((g) =>
    [...results]
      .map(([prompt, out]) =>
        row(
          g.name,
          prompt,
          out.tasks.filter((t) => g.has(t.task)),
        ),
      )
      .filter((r) => !r.includes('(0)')),
  );
  // Which structure the head tasks ask for is told by the prompt alone when scenes are shared (synth --head-targets).
  const byStructure = STRUCTURES.map((g) =>
    row(
      g.name,
      'click',
      results.get('click')!.tasks.filter((t) => g.has(t.task)),
    ),
  ).filter((r) => !r.includes('(0)'));
  console.log('Held-out synthetic tasks, mean Dice (%) over tasks (5 templates per task, each applied to every other image):\n');
  console.log([...head, ...rows].join('\n'));
  if (byStructure.length) console.log(`\nThe held-out head scenes by the structure asked for (click prompts):\n\n${[...head, ...byStructure].join('\n')}`);
  // The MRI slices as a one-task dataset: every slice in turn the template, with simulated oracle prompts.
  const mri = ['click', 'bbox', 'doodle', 'seglab'].map((prompt) => {
    const out = JSON.parse(
      run(cli('eval', '--model', model, '--data', 'samples', '--tasks', 'all', '--prompt', prompt, '--quality', 'oracle', '--templates', '6', '--json'), true),
    ) as EvalJson;
    return row('MRI slices', prompt, out.tasks);
  });
  console.log(
    `\nThe bundled MRI slices, each slice the template for the other five in turn (30 pairs), simulated oracle prompts:\n\n${[...head, ...mri].join('\n')}`,
  );
  console.log('\nBundled MRI slices (template axial-066 with samples/mri/prompt.json, queries the other five):\n');
  console.log(run(['npx', 'tsx', 'scripts/main.ts', '--model', model, '--out', 'runs/main-eval'], true).trim());
}

const what = process.argv[2];
if (what === 'train') train();
else if (what === 'eval') evaluate(process.argv[3]);
else {
  console.error('usage: npx tsx scripts/synthetic-model.ts train | eval [MODEL.onnx]');
  process.exit(2);
}
