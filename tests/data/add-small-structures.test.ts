// scripts/add-small-structures.ts (docs/brain-data.md, "More structures: the small ones"): the structures a
// from-labels dataset left out as too small come back as training tasks, and nothing the source held out moves.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFromLabels } from '../../src/app/data/from-labels.js';
import { readDataset, tasksOf } from '../../src/app/data/dataset.js';
import { tempDir } from '../cli/run-cli.js';
import { volumeOf } from './fixtures.js';

// A 24×20×16 volume: a left/right pair of boxes (labels 5 and 1005), a midline box (7), and a small left/right pair
// (11 and 1011: 2×2 voxels in cross-section) that a threshold of 12 pixels leaves out and one of 4 keeps.
const [NX, NY, NZ] = [24, 20, 16];
const label = (x: number, y: number, z: number): number => {
  if (z >= 3 && z < 13 && y >= 6 && y < 12 && x >= 4 && x < 9) return 5;
  if (z >= 3 && z < 13 && y >= 6 && y < 12 && x >= 15 && x < 20) return 1005;
  if (z >= 4 && z < 12 && y >= 13 && y < 17 && x >= 9 && x < 15) return 7;
  if (z >= 4 && z < 12 && y >= 2 && y < 4 && x >= 6 && x < 8) return 11;
  if (z >= 4 && z < 12 && y >= 2 && y < 4 && x >= 16 && x < 18) return 1011;
  return 0;
};
const volume = (f: (x: number, y: number, z: number) => number): Uint8Array => volumeOf([NX, NY, NZ], f);

function sourceDataset(): string {
  const dir = tempDir('add-small');
  writeFileSync(
    join(dir, 'image.nii'),
    volume((x, y, z) => (label(x, y, z) ? 200 : 100)),
  );
  writeFileSync(join(dir, 'labels.nii'), volume(label));
  const out = join(dir, 'source');
  const r = datasetFromLabels({
    image: join(dir, 'image.nii'),
    labels: join(dir, 'labels.nii'),
    out,
    planes: ['axial', 'coronal'],
    size: 32,
    minPixels: 12,
    minSlices: 3,
    maxSlices: 6,
    grouping: { kind: 'mirror' },
    holdout: ['7'],
    sliceHoldout: 0.3,
    seed: 1,
  });
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return out;
}

const add = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/add-small-structures.ts', ...args], { encoding: 'utf8', timeout: 120_000 });

describe('scripts/add-small-structures.ts', () => {
  it('adds the left-out structures as training tasks and keeps every split of the source as it was', () => {
    const from = sourceDataset();
    const fromSplit = JSON.parse(readFileSync(join(from, 'split.json'), 'utf8')) as Record<string, string[]>;
    expect(fromSplit.train.some((t) => t.startsWith('label-0011'))).toBe(false);

    const out = join(from, '..', 'more');
    const r = add('--from', from, '--out', out, '--min-pixels', '4');
    expect(r.status, r.stderr).toBe(0);
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as Record<string, string[]>;
    const added = split.train.slice(fromSplit.train.length);
    expect(split.train.slice(0, fromSplit.train.length)).toEqual(fromSplit.train);
    expect(added.length).toBeGreaterThan(0);
    for (const t of added) expect(t).toMatch(/^label-0011-1011-/);
    for (const key of Object.keys(fromSplit).filter((k) => k !== 'train')) expect(split[key]).toEqual(fromSplit[key]);
    expect(JSON.parse(readFileSync(join(out, 'added-structures.json'), 'utf8')).tasks).toEqual(added);

    // The folder reads as a dataset, the added tasks with their images, and the held-out task still there.
    const ds = readDataset(out);
    if (E.isLeft(ds)) throw new Error(String(ds.left));
    const train = tasksOf(ds.right, 'train');
    expect(train.map((t) => t.name)).toEqual(split.train);
    for (const t of train.filter((t) => added.includes(t.name))) expect(t.pairs.length).toBeGreaterThanOrEqual(3);
    expect(tasksOf(ds.right, 'heldout').map((t) => t.name)).toEqual(fromSplit.heldout);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(`${out}.cut`)).toBe(false);
  });

  it('refuses a threshold not below the source’s and an existing folder, leaving nothing', () => {
    const from = sourceDataset();
    const same = add('--from', from, '--out', join(from, '..', 'same'), '--min-pixels', '12');
    expect(same.status).not.toBe(0);
    expect(same.stderr).toContain('--min-pixels must be a whole number from 1 to 11');
    expect(existsSync(join(from, '..', 'same'))).toBe(false);
    const exists = add('--from', from, '--out', from, '--min-pixels', '4');
    expect(exists.status).not.toBe(0);
    expect(exists.stderr).toContain('exists');
  });
});
