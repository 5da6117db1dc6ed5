// A dataset folder holding a few of another's training tasks, for a fit test: can the model fit structures it is
// drilled on when nothing else is asked of it? Every entry of the source is linked, not copied; split.json lists only
// the chosen tasks, as "train" and as "validation" (so that `eval` and scripts/inference-checks.ts score them with
// `--tasks train` or `--tasks validation`), and holds nothing out. docs/brain-data.md ("Does the model fit what it was
// trained on?") has the test and the 20 tasks it used.
//
//   npx tsx scripts/subset-dataset.ts --from runs/data/inia19-128 --out runs/data/fit20 --tasks label-0005-1005-coronal,…
//   npx tsx scripts/subset-dataset.ts --from runs/data/inia19-128 --out runs/data/fit20 --count 20 --seed 20
//
// --count draws from the atlas structures' training tasks ("label-…"), not the large targets.
import { Command } from 'commander';
import { orThrow } from '../src/app/data/errors.js';
import { readRawSplit, writeLinkedDataset } from '../src/app/data/linked-dataset.js';
import { DataRng } from '../src/train/rng.js';

const o = new Command()
  .requiredOption('--from <dir>', 'dataset with a split.json')
  .requiredOption('--out <dir>', 'new dataset folder (must not exist)')
  .option('--tasks <names>', 'the training tasks to keep, comma-separated')
  .option('--count <n>', 'or: how many atlas-structure training tasks to draw')
  .option('--seed <n>', 'seed of the draw', '0')
  .parse()
  .opts<{ from: string; out: string; tasks?: string; count?: string; seed: string }>();

const split = orThrow(readRawSplit(o.from));

function chosen(): string[] {
  if ((o.tasks === undefined) === (o.count === undefined)) throw new Error('subset-dataset: give either --tasks or --count');
  if (o.tasks !== undefined) {
    const names = o.tasks.split(',').filter((t) => t !== '');
    const unknown = names.filter((t) => !split.train.includes(t));
    if (unknown.length > 0) throw new Error(`subset-dataset: not training tasks of ${o.from}: ${unknown.join(', ')}`);
    return names;
  }
  const count = Number(o.count);
  const structures = split.train.filter((t) => t.startsWith('label-'));
  if (!(Number.isInteger(count) && count >= 1 && count <= structures.length))
    throw new Error(`subset-dataset: --count must be a whole number from 1 to ${structures.length}; got '${o.count}'`);
  const order = new DataRng(Number(o.seed)).permutation(structures.length);
  return order
    .slice(0, count)
    .map((i) => structures[i])
    .sort();
}

const tasks = chosen();
writeLinkedDataset({ from: o.from, out: o.out, split: { ...split, train: tasks, validation: tasks, heldout: [], heldout_slices: [] } });
console.log(`${o.out}: ${tasks.length} training task(s) of ${o.from}, linked: ${tasks.join(', ')}`);
