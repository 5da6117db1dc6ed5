import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pairReadOptions, readDataset } from '../../src/app/data/dataset.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import { formatDataError } from '../../src/app/data/errors.js';
import { right } from './either.js';
import { readImage, readMask } from '../../src/app/data/load.js';
import { encodeGreyPng, encodeMaskPng } from '../../src/app/data/png.js';
import { greyImage } from '../../src/app/data/image.js';
import { evaluate } from '../../src/app/eval/protocol.js';
import { makeNifti } from './fixtures.js';

const [NX, NY, NZ] = [8, 6, 4];
/** Foreground of slice k (k = 1: the left half, k = 2: the top two rows; none elsewhere). */
const inside = (x: number, y: number, k: number) => (k === 1 && x < NX / 2) || (k === 2 && y < 2);
const volume = (value: (x: number, y: number, k: number) => number) => {
  const values: number[] = [];
  for (let k = 0; k < NZ; k++) for (let y = 0; y < NY; y++) for (let x = 0; x < NX; x++) values.push(value(x, y, k));
  // RAS-aligned (identity sform): the axial slices are the k planes.
  return makeNifti({ dims: [NX, NY, NZ], datatype: 2, bitpix: 8, values, sform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] });
};

function writeTask(root: string, name: string, files: Record<string, Uint8Array>): void {
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(root, name, path.split('/')[0]), { recursive: true });
    writeFileSync(join(root, name, path), bytes);
  }
}

describe('datasets of volumes', () => {
  const root = mkdtempSync(join(tmpdir(), 'ds-vol-'));
  // The image is bright exactly where the mask is: a slice read from the wrong place shows.
  const image = volume((x, y, k) => (inside(x, y, k) ? 200 : 20 + k));
  const mask = volume((x, y, k) => (inside(x, y, k) ? 1 : 0));
  const png = encodeGreyPng(
    greyImage(
      NX,
      NY,
      Float32Array.from({ length: NX * NY }, (_, i) => (i % NX < 3 ? 1 : 0)),
    ),
  );
  const pngMask = encodeMaskPng({ width: NX, height: NY, data: Uint8Array.from({ length: NX * NY }, (_, i) => (i % NX < 3 ? 1 : 0)) });
  writeTask(root, 'brain', {
    'images/a.png': png,
    'masks/a.png': pngMask,
    'images/scan.nii': image,
    'masks/scan.nii': mask,
    'images/gz.nii.gz': gzipSync(image),
    'masks/gz.nii.gz': gzipSync(mask),
  });
  writeFileSync(
    join(root, 'brain', 'templates.json'),
    JSON.stringify([{ image: 'scan.nii#axial=2', prompt: { type: 'click', points: [{ x: 2, y: 1, label: 1 }] } }]),
  );

  it('lists a volume as one sample per axial slice with foreground, read from that slice', () => {
    const ds = right(readDataset(root));
    const task = ds.tasks[0];
    expect(task.pairs.map((p) => [p.name, p.slice])).toEqual([
      ['a.png', undefined],
      ['gz.nii.gz#axial=1', 1],
      ['gz.nii.gz#axial=2', 2],
      ['scan.nii#axial=1', 1],
      ['scan.nii#axial=2', 2],
    ]);
    expect(task.templates).toEqual([{ pair: 4, prompt: { type: 'click', points: [{ x: 2, y: 1, label: 1 }] } }]);
    const areas = new Set<number>();
    for (const p of task.pairs.slice(1)) {
      const img = right(readImage(p.image, pairReadOptions(p)));
      const m = right(readMask(p.mask, pairReadOptions(p)));
      expect([img.width, img.height, m.width, m.height], p.name).toEqual([NX, NY, NX, NY]);
      // Bright pixels and mask pixels coincide: image and mask come from the same slice.
      m.data.forEach((v, i) => expect(img.data[i] > 100, `${p.name} pixel ${i}`).toBe(v === 1));
      areas.add(m.data.reduce((a, v) => a + v, 0));
    }
    expect([...areas].sort((a, b) => a - b)).toEqual([NX * 2, (NX / 2) * NY]);
  });

  it('trains and evaluates on those slices', async () => {
    const ds = right(readDataset(root));
    const provider = right(createBatchProvider({ dataset: ds, geometry: { size: 16, points: 4 }, batchSize: 5, seed: 0 }));
    expect(E.isRight(provider.preload())).toBe(true);
    const b = provider.batch(0, Math.random);
    expect(b.samples.map((s) => s.task)).toEqual(Array(5).fill('brain'));
    expect(b.target.some((v) => v === 1)).toBe(true);
    // The given template (scan.nii slice 2: the top two rows, 16 px) against the four other samples. Copying its
    // mask: a.png (x < 3, 18 px) overlaps 6 px → 35.3; both left halves (24 px) overlap 8 px → 40; the other
    // volume's slice 2 is the same mask → 100.
    const report = right(
      await evaluate({ dataset: ds, promptType: 'given', quality: 'oracle', templates: 1, seed: 0, geometry: { size: 16, points: 4 }, batchSize: 4 }),
    );
    expect(report.tasks[0].pairs).toBe(4);
    expect(report.tasks[0].copy_template.dice).toBeCloseTo(((200 * 6) / 34 + 40 + 100 + 40) / 4, 6);
  });

  it('says so when a task has volumes but no foreground in any slice', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ds-vol-empty-'));
    writeTask(empty, 'nothing', { 'images/scan.nii': image, 'masks/scan.nii': volume(() => 0) });
    const r = readDataset(empty);
    expect(E.isLeft(r) && formatDataError(r.left)).toMatch(/task nothing: its mask volumes have no foreground in any axial slice/);
  });
});
