// `oneprompt dataset from-labels`: an image volume and its label map → a multi-task dataset (src/app/data/from-labels.ts):
// one task per structure and plane, held out by structure, plus a held-out slab of slices per training structure.
import { InvalidArgumentError, type Command } from 'commander';
import { DATASET_FILE } from '../data/dataset-provenance.js';
import { datasetFromLabels, readGrouping } from '../data/from-labels.js';
import { orThrow } from '../data/errors.js';
import { PLANES, type Plane } from '../data/nifti.js';
import { processIO, type CliIO } from './io.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { progress, type Progress } from './progress.js';

export interface FromLabelsCliOptions {
  readonly image: string;
  readonly labels: string;
  readonly out: string;
  readonly plane: Plane | 'all';
  readonly size: number;
  readonly minPixels: number;
  readonly minSlices: number;
  readonly maxSlices: number;
  readonly group: string;
  readonly holdout: number | string[];
  readonly exclude?: string[];
  readonly sliceHoldout: number;
  readonly validation?: number;
  readonly seed: number;
  readonly coarse?: { hemispheres?: boolean; regions?: number };
  readonly force?: boolean;
}

/** "hemispheres,regions=16" → { hemispheres: true, regions: 16 }. */
const coarseArg = (v: string): { hemispheres?: boolean; regions?: number } => {
  const out: { hemispheres?: boolean; regions?: number } = {};
  for (const item of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^regions=(\d+)$/.exec(item);
    if (item === 'hemispheres') out.hemispheres = true;
    else if (m && Number(m[1]) >= 1) out.regions = Number(m[1]);
    else throw new InvalidArgumentError(`expected hemispheres and/or regions=K (K ≥ 1), comma-separated, got '${item}'`);
  }
  return out;
};

const planeOrAll = (v: string): Plane | 'all' => {
  if (v !== 'all' && !(PLANES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected all or one of ${PLANES.join(', ')}, got '${v}'`);
  return v as Plane | 'all';
};

/** "54,label-0037-1037" → the structures named, by label value or name; `expected` says what else would do. */
const structureList = (v: string, expected = 'a comma-separated list of structure names or label values'): string[] => {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError(`expected ${expected}`);
  return list;
};

/** "0.2" (a fraction of the structures) or "54,82,label-0037-1037" (structures by label value or name). */
const holdoutArg = (v: string): number | string[] => {
  const n = Number(v);
  // A whole number is a label value ("--holdout 7"); any other number must be a fraction.
  if (v.trim() !== '' && Number.isFinite(n) && !Number.isInteger(n)) {
    if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction in (0, 1) or a comma-separated list of structures, got '${v}'`);
    return n;
  }
  return structureList(v, 'a fraction or a list of structures');
};

const fraction = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction in (0, 1), got '${v}'`);
  return n;
};

const sliceFraction = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a number in [0, 1), got '${v}'`);
  return n;
};

export function runFromLabels(o: FromLabelsCliOptions, io: CliIO = processIO) {
  // One bar per stage (measuring, then writing, each plane).
  let bar: Progress | undefined;
  let stage = '';
  const result = orThrow(
    datasetFromLabels({
      image: o.image,
      labels: o.labels,
      out: o.out,
      planes: o.plane === 'all' ? PLANES : [o.plane],
      size: o.size,
      minPixels: o.minPixels,
      minSlices: o.minSlices,
      maxSlices: o.maxSlices,
      grouping: orThrow(readGrouping(o.group)),
      holdout: o.holdout,
      ...(o.exclude ? { exclude: o.exclude } : {}),
      sliceHoldout: o.sliceHoldout,
      validation: o.validation,
      seed: o.seed,
      coarse: o.coarse,
      force: o.force,
      onProgress: (p) => {
        if (p.stage !== stage || !bar) [stage, bar] = [p.stage, progress(io, `from-labels: ${p.stage}`, p.total, 'slices')];
        bar.update(p.done);
      },
    }),
  );
  return result;
}

export function registerDataset(program: Command, io: CliIO = processIO): void {
  const dataset = program.command('dataset').description('build datasets in the dataset layout (docs/workflow.md#dataset-folders)');
  dataset
    .command('from-labels')
    .description(
      'an image volume and its label map → one task per structure (or structure group) and plane: slices as PNG images and masks, split by structure (held-out structures) and by slice (a held-out slab of each training structure)',
    )
    .requiredOption('--image <file>', 'image volume (NIfTI .nii/.nii.gz)')
    .requiredOption('--labels <file>', 'label volume on the same voxel grid (whole-number labels, 0 = background)')
    .requiredOption('--out <dir>', 'output dataset folder (new or empty; --force replaces it)')
    .option('--plane <plane>', 'axial, coronal, sagittal or all (one task per structure and plane)', planeOrAll, 'axial')
    .option('--size <s>', 'output image side in pixels (each plane is cropped to one square around the brain)', positiveInt, 128)
    .option('--min-pixels <n>', 'a slice counts for a structure when the structure covers at least N output pixels', positiveInt, 25)
    .option('--min-slices <n>', 'a structure-plane needs at least N counting slices to be a task', positiveInt, 4)
    .option('--max-slices <n>', 'at most N slices per task, evenly spaced through the counting ones', positiveInt, 24)
    .option(
      '--group <how>',
      'structures: "mirror" (left-right label pairs merged, found by mirroring the volume), "labels" (each label), or a label-name file (LABEL NAME per line; labels with one name merged, unlisted ones left out)',
      'mirror',
    )
    .option(
      '--holdout <f|list>',
      'held-out structures: a fraction (stratified by size, seeded) or a comma-separated list of structure names or label values',
      holdoutArg,
      0.2,
    )
    .option(
      '--exclude <list>',
      'structures given no task at all (comma-separated names or label values), e.g. those another cut of the same volumes already has',
      (v: string) => structureList(v),
    )
    .option(
      '--validation <f>',
      'validation structures for model selection: a fraction of the structures not held out (stratified by size, seeded, drawn after the held-out ones), kept out of training',
      fraction,
    )
    .option('--slice-holdout <f>', "share of each training structure's slices held out as one contiguous slab (0: none)", sliceFraction, 0.2)
    .option(
      '--coarse <list>',
      'large targets trained beside the structures, never held out: "hemispheres" (whole brain, left, right) and/or "regions=K" (K regions of neighbouring training structures, k-means on their centroids)',
      coarseArg,
    )
    .option('--seed <n>', 'seed of the held-out draws (and of the regions)', nonNegativeInt, 0)
    .option('--force', 'replace a non-empty --out folder')
    .addHelpText(
      'after',
      '\nExample (the INIA19 macaque template and its NeuroMaps labels, Debian package mricron-data):\n' +
        '  oneprompt dataset from-labels --image /usr/share/mricron/templates/inia19-t1-brain.nii.gz \\\n' +
        '      --labels /usr/share/mricron/templates/inia19-NeuroMaps.nii.gz --out data/inia19 --plane all --size 128\n' +
        `Writes OUT/<structure>-<plane>/{images,masks}/<plane>-NNN.png, task.json, OUT/split.json and OUT/${DATASET_FILE} (inputs' sha256, options, per-structure sizes).`,
    )
    .action((o: FromLabelsCliOptions) => {
      const t0 = performance.now();
      const r = runFromLabels(o, io);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      const held = r.structures.filter((s) => s.heldOut);
      io.out(
        `wrote ${r.files} files to ${o.out} in ${secs} s: ${r.structures.filter((x) => !x.coarse).length} structures (${r.tooSmall} too small at ${o.size}×${o.size} left out)`,
      );
      const large = r.structures.filter((s) => s.coarse).length;
      io.out(
        `tasks: ${r.train.length} training${large ? ` (${large} large targets among the structures)` : ''}, ${r.heldout.length} held-out (${held.length} structures), ${r.heldoutSlices.length} held-out slabs of training structures${r.validation.length ? `, ${r.validation.length} validation (${r.structures.filter((s) => s.validation).length} structures)` : ''}`,
      );
      io.out(`held-out structures: ${held.map((s) => s.name).join(', ') || '(none)'}`);
    });
}
