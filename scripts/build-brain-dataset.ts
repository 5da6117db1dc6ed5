// The training set of issue 14, reproducibly: the INIA19 macaque T1 template and its NeuroMaps label map (Debian
// package mricron-data, installed here when missing and we are root) → `oneprompt dataset from-labels` with fixed
// options → runs/data/inia19-128 (gitignored). Prints the inputs' sha256 (checked against the ones this script was
// written with) and one sha256 over the whole output tree, so two machines can compare builds.
//
//   npx tsx scripts/build-brain-dataset.ts [--out runs/data/inia19-128] [--force]
//   npx tsx scripts/build-brain-dataset.ts --sample samples-heldout   also (re)write the bundled held-out sample
//
// Only the INIA19 files of mricron-data are read. Its human templates (ch2*, aal, brodmann, the MNI-grid label maps)
// are reserved as an independent test and are never opened here or anywhere in this repository.
//
// The human T1 of insighttoolkit5-examples (KmeansTest_T1UCharRaw.nii.gz with its skull-stripped brain and k-means
// tissue labels) is deliberately NOT used for training: it is the volume the bundled samples/mri slices come from,
// and those are the human test slices of the README. (The package's BrainWeb folder holds only checksums, no images.)
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { DATASET_FILE, readDatasetProvenance } from '../src/app/data/dataset-provenance.js';
import { datasetFromLabels, evenlySpaced, sha256File, type FromLabelsOptions } from '../src/app/data/from-labels.js';
import { formatDataError, orThrow } from '../src/app/data/errors.js';
import { readMask } from '../src/app/data/load.js';
import { insideDistance } from '../src/app/data/distance.js';

const readMaskFile = (path: string) => orThrow(readMask(path));

const TEMPLATES = '/usr/share/mricron/templates';
export const BRAIN_DATASET: Omit<FromLabelsOptions, 'out'> = {
  image: `${TEMPLATES}/inia19-t1-brain.nii.gz`,
  labels: `${TEMPLATES}/inia19-NeuroMaps.nii.gz`,
  planes: ['axial', 'coronal', 'sagittal'],
  size: 128,
  minPixels: 25,
  minSlices: 4,
  maxSlices: 24,
  grouping: { kind: 'mirror' },
  holdout: 0.2,
  sliceHoldout: 0.2,
  // Structures kept out of training to choose models on (issue 14 phase 2), drawn after the held-out ones.
  validation: 0.1,
  seed: 14,
  // Large targets beside the small structures: the pilot trained on the structures alone collapsed to background.
  coarse: { hemispheres: true, regions: 24 },
};
export const BRAIN_DATASET_DIR = 'runs/data/inia19-128';
/** sha256 of the inputs in Debian's mricron-data 1.2.20211006+dfsg-4 (bookworm). */
const EXPECTED_SHA256: Record<string, string> = {
  'inia19-t1-brain.nii.gz': '3f0707f4999a0c6b56d6c9a0145310cba17753e2b4612f577d8dbfe65a89e231',
  'inia19-NeuroMaps.nii.gz': '5e3019d073aedc6cabfeed107b049959fe8398a8ab6b0218d8ac050c311aaf79',
};

function ensurePackage(): void {
  if (existsSync(BRAIN_DATASET.image) && existsSync(BRAIN_DATASET.labels)) return;
  const root = process.getuid?.() === 0;
  if (!root || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${BRAIN_DATASET.labels} is missing: install the Debian package mricron-data (as root: apt-get update && apt-get install -y mricron-data)`);
  }
  console.error('build-brain-dataset: installing mricron-data');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mricron-data >/dev/null'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('apt-get install mricron-data failed');
}

/** One sha256 over every file of a folder: sorted relative paths and contents. */
export function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
  for (const f of files) h.update(`${f}\0`).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

interface TaskJson {
  readonly structure: string;
  readonly plane: string;
  readonly areas: number[];
}

/**
 * The bundled held-out sample: a few HELD-OUT structures that appear together on the same slices (so each slice has
 * several labelled structures to prompt), a few slices each. Chosen from the dataset alone: the plane and slice
 * shared by the most held-out structures, its largest held-out structures (up to `structures`), and `slices` slices
 * evenly spaced through those all of them appear on.
 */
export function writeHeldOutSample(dataset: string, out: string, structures = 4, slices = 4): string[] {
  const split = JSON.parse(readFileSync(join(dataset, 'split.json'), 'utf8')) as { heldout: string[] };
  const info = new Map(split.heldout.map((t) => [t, JSON.parse(readFileSync(join(dataset, t, 'task.json'), 'utf8')) as TaskJson]));
  const files = new Map(split.heldout.map((t) => [t, new Set(readdirSync(join(dataset, t, 'images')))]));
  const counts = new Map<string, number>();
  for (const set of files.values()) for (const f of set) counts.set(f, (counts.get(f) ?? 0) + 1);
  let best: { tasks: string[]; common: string[] } = { tasks: [], common: [] };
  for (const [f] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 50)) {
    const mean = (t: string) => info.get(t)!.areas.reduce((a, b) => a + b, 0) / info.get(t)!.areas.length;
    const here = split.heldout.filter((t) => files.get(t)!.has(f)).sort((a, b) => mean(b) - mean(a) || (a < b ? -1 : 1));
    // Drop the smallest until the rest share enough slices.
    for (let k = Math.min(structures, here.length); k >= 2; k--) {
      const tasks = here.slice(0, k);
      const common = [...files.get(tasks[0])!].filter((x) => tasks.every((t) => files.get(t)!.has(x))).sort();
      if (common.length >= slices && (k > best.tasks.length || (k === best.tasks.length && common.length > best.common.length))) best = { tasks, common };
      if (common.length >= slices) break;
    }
  }
  if (best.tasks.length < 2) throw new Error(`no ${slices} slices shared by two held-out structures in ${dataset}`);
  rmSync(out, { recursive: true, force: true });
  const chosen = evenlySpaced(best.common.length, slices).map((i) => best.common[i]);
  for (const t of best.tasks)
    for (const sub of ['images', 'masks']) {
      mkdirSync(join(out, t, sub), { recursive: true });
      for (const f of chosen) copyFileSync(join(dataset, t, sub, f), join(out, t, sub, f));
    }
  const meta = orThrow(readDatasetProvenance(dataset));
  writeFileSync(
    join(out, 'README.md'),
    [
      '# Held-out macaque structures (selectivity test set)',
      '',
      `${best.tasks.length} structures of the NeuroMaps atlas on the INIA19 macaque T1 template that the training set of`,
      '`scripts/build-brain-dataset.ts` holds out (held out by structure: no slice of them is trained on), on the same',
      `${chosen.length} ${best.tasks[0].split('-').pop()} slices, so that every slice has several labelled structures to prompt. One task per structure`,
      '(`images/`, `masks/` with the same names; the images of a slice are the same file in every task).',
      '',
      ...best.tasks.map((t) => `- \`${t}\`: labels ${JSON.parse(readFileSync(join(dataset, t, 'task.json'), 'utf8')).labels.join(' + ')}`),
      '',
      `Source: Debian package mricron-data (${TEMPLATES}/inia19-t1-brain.nii.gz, sha256 ${meta.inputs.image.sha256};`,
      `inia19-NeuroMaps.nii.gz, sha256 ${meta.inputs.labels.sha256}). INIA19 template and NeuroMaps labels: T. Rohlfing et al.,`,
      '"The INIA19 template and NeuroMaps atlas for primate brain image parcellation and spatial normalization",',
      "Front. Neuroinform. 6:27 (2012). Debian ships them under the package's BSD-3-clause terms.",
      '',
      `\`<task>/prompt.json\`: a click at the structure's deepest point on \`${chosen[Math.floor((chosen.length - 1) / 2)]}\`, the template of \`npm run main\`.`,
      '',
      'Regenerate: `npx tsx scripts/build-brain-dataset.ts --sample samples-heldout`.',
      '',
    ].join('\n'),
  );
  writeFileSync(join(out, 'split.json'), JSON.stringify({ train: [], heldout: best.tasks }, null, 1) + '\n');
  writeHeldOutPrompts(out, best.tasks, chosen[Math.floor((chosen.length - 1) / 2)]);
  return best.tasks;
}

/**
 * One click per held-out structure on the sample's template slice (the middle one), at the structure's deepest
 * point (farthest from its border): TASK/prompt.json, for `npm run main` (scripts/main.ts).
 */
export function writeHeldOutPrompts(out: string, tasks: readonly string[], template: string): void {
  for (const t of tasks) {
    const mask = readMaskFile(join(out, t, 'masks', template));
    const depth = insideDistance(mask);
    let best = 0;
    for (let i = 1; i < depth.length; i++) if (depth[i] > depth[best]) best = i;
    const prompt = { type: 'click', points: [{ x: best % mask.width, y: Math.floor(best / mask.width), label: 1 }] };
    writeFileSync(join(out, t, 'prompt.json'), JSON.stringify(prompt) + '\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = new Command()
    .option('--out <dir>', 'dataset folder', BRAIN_DATASET_DIR)
    .option('--force', 'rebuild even when the folder exists')
    .option('--sample <dir>', 'also write the bundled held-out sample here (e.g. samples-heldout)')
    .parse()
    .opts<{ out: string; force?: boolean; sample?: string }>();
  ensurePackage();
  for (const path of [BRAIN_DATASET.image, BRAIN_DATASET.labels]) {
    const sum = sha256File(path);
    const name = path.split('/').pop()!;
    const ok = EXPECTED_SHA256[name] === sum;
    console.error(
      `${name}: sha256 ${sum}${ok ? ' (as expected)' : ` — DIFFERS from ${EXPECTED_SHA256[name]}: another mricron-data version; the dataset will differ`}`,
    );
  }
  if (existsSync(join(o.out, DATASET_FILE)) && !o.force) console.error(`${o.out} exists (use --force to rebuild)`);
  else {
    const t0 = Date.now();
    const r = datasetFromLabels({ ...BRAIN_DATASET, out: o.out, force: true });
    if (E.isLeft(r)) {
      console.error(`error: ${formatDataError(r.left)}`);
      process.exit(1);
    }
    const held = r.right.structures.filter((s) => s.heldOut).length;
    console.error(
      `built ${o.out} in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${r.right.structures.length} structures (${held} held out, ${r.right.tooSmall} too small), ${r.right.train.length} training tasks, ${r.right.heldout.length} held-out tasks, ${r.right.heldoutSlices.length} held-out slabs, ${r.right.validation.length} validation tasks`,
    );
  }
  console.log(`dataset tree sha256: ${treeDigest(o.out)}  (${o.out})`);
  if (o.sample) {
    const tasks = writeHeldOutSample(o.out, o.sample);
    console.log(`wrote the held-out sample ${o.sample}: ${tasks.join(', ')}`);
  }
}
