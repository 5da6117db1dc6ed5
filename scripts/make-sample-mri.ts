// Regenerates samples/mri from ITK's example data (Debian package insighttoolkit5-examples, Apache-2.0):
// six axial slices, evenly spaced through the brain, of a T1 MRI (KmeansTest_T1UCharRaw.nii.gz) with brain masks
// from its skull-stripped label volume (KmeansTest_T1RawSkullStrip.nii.gz, mask = non-zero), resampled to square
// 2 mm pixels, as 8-bit PNGs; plus a prompt example on the middle slice.
//
//   npx tsx scripts/make-sample-mri.ts [--data DIR] [--out samples/mri] [--slices 6]
import { Command } from 'commander';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { readVolume, saveGreyPng, saveMaskPng } from '../src/app/data/load.js';
import { sliceCount, sliceVolume, type Volume } from '../src/app/data/nifti.js';
import { maskArea, maskFromImage, type LoadedImage } from '../src/app/data/image.js';
import { resizeBilinear, resizeMask, squarePixelSize } from '../src/app/data/resize.js';
import { simulatePrompt } from '../src/app/data/simulate.js';
import { promptToJson } from '../src/app/data/prompt.js';
import { formatDataError, type DataError } from '../src/app/data/errors.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { mulberry32 } from '../src/util/rng.js';

const program = new Command()
  .option('--data <dir>', 'ITK example data folder', '/usr/share/doc/insighttoolkit5-examples/examples/Data')
  .option('--out <dir>', 'output task folder', 'samples/mri')
  .option('--slices <n>', 'number of slices', '6')
  .parse();
const opts = program.opts<{ data: string; out: string; slices: string }>();

const orDie = <T>(r: E.Either<DataError, T>): T => {
  if (E.isLeft(r)) {
    console.error(`error: ${formatDataError(r.left)}`);
    process.exit(1);
  }
  return r.right;
};

const image = orDie(readVolume(join(opts.data, 'KmeansTest_T1UCharRaw.nii.gz')));
const labels = orDie(readVolume(join(opts.data, 'KmeansTest_T1RawSkullStrip.nii.gz')));
if (image.dims.join() !== labels.dims.join()) throw new Error(`volume sizes differ: ${image.dims} vs ${labels.dims}`);

const slice = (vol: Volume, i: number): LoadedImage => orDie(sliceVolume(vol, 'axial', i));
const count = sliceCount(image, 'axial');
const areas = Array.from({ length: count }, (_, i) => maskArea(maskFromImage(slice(labels, i))));
const maxArea = Math.max(...areas);
// "Through the brain": slices whose brain section is at least a quarter of the largest one.
const inBrain = areas
  .map((a, i) => [a, i])
  .filter(([a]) => a >= maxArea / 4)
  .map(([, i]) => i);
const n = Number(opts.slices);
const chosen = Array.from({ length: n }, (_, k) => inBrain[Math.floor(((k + 0.5) / n) * inBrain.length)]);

// One intensity scale for the whole volume keeps the slices comparable (the data are 0..255 already).
let lo = Infinity;
let hi = -Infinity;
for (const v of image.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];

rmSync(join(opts.out, 'images'), { recursive: true, force: true });
rmSync(join(opts.out, 'masks'), { recursive: true, force: true });
const names: string[] = [];
for (const i of chosen) {
  const img = slice(image, i);
  const size = squarePixelSize(img.width, img.height, img.meta.pixelSpacing ?? [1, 1]);
  const square = resizeBilinear(img, size.width, size.height);
  const scaled = { ...square, data: square.data.map((v) => (v - lo) / (hi - lo)) };
  const mask = resizeMask(maskFromImage(slice(labels, i)), size.width, size.height);
  const name = `axial-${String(i).padStart(3, '0')}.png`;
  saveGreyPng(join(opts.out, 'images', name), scaled);
  saveMaskPng(join(opts.out, 'masks', name), mask);
  names.push(name);
  console.log(`${name}: ${size.width}×${size.height}, brain ${maskArea(mask)} px`);
}

// The prompt example: a box around the brain on the middle slice, as an oracle box (tight) from its mask.
const template = names[Math.floor(names.length / 2)];
const templateSlice = chosen[Math.floor(names.length / 2)];
const tImg = slice(labels, templateSlice);
const tSize = squarePixelSize(tImg.width, tImg.height, tImg.meta.pixelSpacing ?? [1, 1]);
const tMask = resizeMask(maskFromImage(tImg), tSize.width, tSize.height);
const box = orDie(simulatePrompt(tMask, 'bbox', 'oracle', mulberry32(1)));
writeFileAtomic(join(opts.out, 'prompt.json'), JSON.stringify(promptToJson(box)) + '\n');
// The same prompted template in the dataset layout's templates.json, for `oneprompt eval --prompt given`.
writeFileAtomic(join(opts.out, 'templates.json'), JSON.stringify([{ image: template, prompt: promptToJson(box) }]) + '\n');
console.log(`prompt.json: ${JSON.stringify(promptToJson(box))} on images/${template}`);
