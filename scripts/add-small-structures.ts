// More structures to learn from, without touching what is held out: a dataset of `oneprompt dataset from-labels`
// keeps a structure only where it covers --min-pixels (25 for scripts/build-brain-dataset.ts) on enough slices, and
// the held-out and validation draws are made among those. This script cuts the same volumes again at a lower
// threshold and adds, as training tasks, only the structures the source dataset does not have at all, so its
// held-out, validation and slab splits stay exactly as they were and every model can still be read on them.
// The output links every entry of the source (nothing copied) beside the added tasks; split.json is the source's
// with the added tasks appended to "train", and added-structures.json lists them. docs/brain-data.md ("More
// structures: the small ones") has the run that used it.
//
//   npx tsx scripts/add-small-structures.ts --from runs/data/inia19-128 --out runs/data/inia19-128-s12 --min-pixels 12
import { Command } from 'commander';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { readDatasetProvenance } from '../src/app/data/dataset-provenance.js';
import { datasetFromLabels } from '../src/app/data/from-labels.js';
import { formatDataError, orThrow } from '../src/app/data/errors.js';
import { readRawSplit, writeLinkedDataset } from '../src/app/data/linked-dataset.js';

const o = new Command()
  .description('add, as training tasks, the structures a from-labels dataset left out as too small')
  .requiredOption('--from <dir>', 'dataset of `oneprompt dataset from-labels` (with dataset.json and split.json)')
  .requiredOption('--out <dir>', 'new dataset folder (must not exist)')
  .requiredOption('--min-pixels <n>', "the lower threshold (below the source's)")
  .parse()
  .opts<{ from: string; out: string; minPixels: string }>();

const source = orThrow(readDatasetProvenance(o.from));
const split = orThrow(readRawSplit(o.from));
const minPixels = Number(o.minPixels);
if (!(Number.isInteger(minPixels) && minPixels >= 1 && minPixels < source.options.minPixels))
  throw new Error(
    `add-small-structures: --min-pixels must be a whole number from 1 to ${source.options.minPixels - 1} (the source's is ${source.options.minPixels}); got '${o.minPixels}'`,
  );
if (source.options.grouping !== 'mirror')
  throw new Error(`add-small-structures: the source groups structures by '${source.options.grouping}'; this script handles 'mirror' only`);
if (existsSync(o.out)) throw new Error(`add-small-structures: ${o.out} exists; give a new folder`);

// Every atlas structure of the source, held out, validation or trained, is excluded from the new cut by name (it
// gets no task there, nothing of it is written), so the new cut's tasks are exactly the structures the source does
// not have. Labels are checked as well: a structure of the new cut sharing a label with any of the source's is an
// error, not an addition. The cut is made in a temporary folder; its tasks are moved into the new dataset.
const sourceAtlas = source.structures.filter((s) => !s.coarse);
const sourceLabels = new Set(sourceAtlas.flatMap((s) => s.labels));
const cut = `${o.out}.cut`;
rmSync(cut, { recursive: true, force: true });
const r = datasetFromLabels({
  image: source.inputs.image.path,
  labels: source.inputs.labels.path,
  out: cut,
  planes: source.options.planes,
  size: source.options.size,
  minPixels,
  minSlices: source.options.minSlices,
  maxSlices: source.options.maxSlices,
  grouping: { kind: 'mirror' },
  holdout: [],
  exclude: sourceAtlas.map((s) => s.name),
  sliceHoldout: 0,
  force: true,
});
if (E.isLeft(r)) throw new Error(`add-small-structures: ${formatDataError(r.left)}`);
const added = r.right.structures;
const overlap = added.filter((s) => s.labels.some((l) => sourceLabels.has(l)));
if (overlap.length > 0)
  throw new Error(`add-small-structures: ${overlap.map((s) => s.name).join(', ')} share labels with structures of ${o.from}; the pairing differs`);
const tasks = r.right.train;

const summary = {
  from: o.from,
  minPixels,
  structures: added.map((s) => ({ name: s.name, labels: s.labels, voxels: s.voxels, planes: Object.keys(s.planes) })),
  tasks,
};
try {
  writeLinkedDataset({
    from: o.from,
    out: o.out,
    split: { ...split, train: [...split.train, ...tasks] },
    fill: (staging) => {
      for (const t of tasks) renameSync(join(cut, t), join(staging, t));
      writeFileSync(join(staging, 'added-structures.json'), `${JSON.stringify(summary, null, 1)}\n`);
    },
  });
} finally {
  rmSync(cut, { recursive: true, force: true });
}
console.log(
  `${o.out}: ${o.from} (linked) + ${added.length} structures (${tasks.length} training tasks) that cover ≥ ${minPixels} pixels on ≥ ${source.options.minSlices} slices but not ${source.options.minPixels}`,
);
