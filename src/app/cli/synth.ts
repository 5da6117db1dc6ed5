// `oneprompt synth`: a synthetic multi-task dataset (src/app/data/synth.ts) in the dataset layout, with a split into
// training and held-out tasks. Refuses a non-empty folder (tasks of two datasets would mix) unless --force.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { SPLIT_FILE, synthesize } from '../data/synth.js';
import { processIO, type CliIO } from './io.js';
import { fraction, nonNegativeInt, positiveInt } from './options.js';
import { progress } from './progress.js';

const headTargets = (v: string): number => {
  const n = positiveInt(v);
  if (n > 4) throw new InvalidArgumentError(`expected 1 to 4 (brain, ventricles, head, scalp), got '${v}'`);
  return n;
};

export interface SynthCliOptions {
  readonly out: string;
  readonly tasks: number;
  readonly images: number;
  readonly size: number;
  readonly seed: number;
  readonly heldout?: number;
  readonly headTasks?: number;
  readonly headTargets?: number;
  readonly force?: boolean;
}

export function runSynth(o: SynthCliOptions, io: CliIO = processIO): { train: string[]; heldout: string[] } {
  if (existsSync(o.out)) {
    if (!statSync(o.out).isDirectory()) throw new Error(`synth: --out ${o.out} is a file, expected a folder`);
    if (readdirSync(o.out).length > 0 && !o.force) throw new Error(`synth: ${o.out} is not empty; choose a new folder or add --force to write into it`);
  }
  if (o.size < 8) throw new Error(`synth: --size ${o.size} is too small (at least 8)`);
  const bar = progress(io, 'synth', o.tasks + (o.headTasks ?? 0), 'tasks');
  return synthesize({
    out: o.out,
    tasks: o.tasks,
    images: o.images,
    size: o.size,
    seed: o.seed,
    heldOutFraction: o.heldout,
    headTasks: o.headTasks,
    headTargets: o.headTargets,
    onTask: (t, done) => bar.update(done, t.name),
  });
}

export function registerSynth(program: Command, io: CliIO = processIO): void {
  program
    .command('synth')
    .description(
      'write a synthetic multi-task dataset: OUT/<task>/images/NNNN.png, OUT/<task>/masks/NNNN.png, OUT/<task>/task.json, OUT/split.json (training and held-out tasks)',
    )
    .requiredOption('--out <dir>', 'output folder (new or empty)')
    .option('--tasks <n>', 'number of tasks ("anatomies")', positiveInt, 24)
    .option('--images <m>', 'images per task', positiveInt, 16)
    .option('--size <s>', 'image side in pixels', positiveInt, 64)
    .option('--seed <x>', 'seed: the same seed gives the same dataset', nonNegativeInt, 0)
    .option('--heldout <fraction>', 'fraction of tasks held out from training (default 0.25)', fraction)
    .option('--head-tasks <n>', 'head-scene tasks (brain, ventricles, head or scalp in an axial head slice) added after the shape tasks', nonNegativeInt, 0)
    .option(
      '--head-targets <n>',
      'structures asked for per head scene (1-4): tasks sharing a scene have the same images, so only the prompt tells them apart',
      headTargets,
      1,
    )
    .option('--force', 'write into a non-empty folder')
    .addHelpText(
      'after',
      '\nExamples:\n  oneprompt synth --out data/synth --tasks 24 --images 16 --size 64 --seed 0\n  oneprompt synth --out data/mixed --tasks 48 --head-tasks 16 --images 40 --seed 1',
    )
    .action((o: SynthCliOptions) => {
      const t0 = performance.now();
      const r = runSynth(o, io);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      io.out(`wrote ${o.tasks + (o.headTasks ?? 0)} tasks × ${o.images} images of ${o.size}×${o.size} to ${o.out} in ${secs} s`);
      io.out(`training tasks (${r.train.length}): ${r.train.join(', ') || '(none)'}`);
      io.out(`held-out tasks (${r.heldout.length}): ${r.heldout.join(', ') || '(none)'}`);
      io.out(`split: ${join(o.out, SPLIT_FILE)}`);
    });
}
