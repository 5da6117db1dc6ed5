import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetFromLabels, evenlySpaced, stratifiedHoldout } from '../../src/app/data/from-labels.js';
import { groupLabels, mirrorPairs, parseLabelNames } from '../../src/app/data/label-groups.js';
import { readDataset, tasksOf } from '../../src/app/data/dataset.js';
import { readImage, readMask, readVolume } from '../../src/app/data/load.js';
import { maskArea } from '../../src/app/data/image.js';
import { right, message } from './either.js';
import { makeNifti, volumeOf } from './fixtures.js';
import { main } from '../../src/app/cli/main.js';
import { recordingIO } from '../../src/app/cli/io.js';
import { onePromptTask } from '../../src/app/train/one-prompt-task.js';

// A 24×20×16 "brain": a bright ellipsoid with, inside it, a left box (label 5), its mirror twin on the right
// (label 1005), a midline box (label 7, its own mirror) and a one-voxel label (9), too small to keep.
const [NX, NY, NZ] = [24, 20, 16];
const label = (x: number, y: number, z: number): number => {
  if (z >= 3 && z < 13 && y >= 6 && y < 12 && x >= 4 && x < 9) return 5;
  if (z >= 3 && z < 13 && y >= 6 && y < 12 && x >= 15 && x < 20) return 1005;
  if (z >= 4 && z < 12 && y >= 13 && y < 17 && x >= 9 && x < 15) return 7;
  if (x === 12 && y === 3 && z === 8) return 9;
  return 0;
};
const inBrain = (x: number, y: number, z: number) => ((x - 11.5) / 11) ** 2 + ((y - 9.5) / 9) ** 2 + ((z - 7.5) / 7.5) ** 2 <= 1;
const volume = (f: (x: number, y: number, z: number) => number): Uint8Array => volumeOf([NX, NY, NZ], f);

const dir = mkdtempSync(join(tmpdir(), 'from-labels-'));
const imagePath = join(dir, 'image.nii');
const labelsPath = join(dir, 'labels.nii');
writeFileSync(
  imagePath,
  volume((x, y, z) => (label(x, y, z) === 5 || label(x, y, z) === 1005 ? 200 : label(x, y, z) === 7 ? 60 : inBrain(x, y, z) ? 120 : 0)),
);
writeFileSync(labelsPath, volume(label));

const build = (out: string, extra: Partial<Parameters<typeof datasetFromLabels>[0]> = {}) =>
  datasetFromLabels({
    image: imagePath,
    labels: labelsPath,
    out,
    planes: ['axial', 'coronal'],
    size: 32,
    minPixels: 6,
    minSlices: 3,
    maxSlices: 6,
    holdout: ['7'],
    sliceHoldout: 0.3,
    seed: 1,
    ...extra,
  });

describe('label groups', () => {
  const vol = right(readVolume(labelsPath));

  it('pairs left and right labels by mirroring the volume, keeps midline labels single', () => {
    expect(mirrorPairs(vol)).toEqual([[5, 1005]]);
    const groups = right(groupLabels(vol, { kind: 'mirror' }));
    expect(groups.map((g) => [g.name, g.labels, g.voxels])).toEqual([
      ['label-0005-1005', [5, 1005], 600],
      ['label-0007', [7], 192],
      ['label-0009', [9], 1],
    ]);
    expect(right(groupLabels(vol, { kind: 'labels' })).map((g) => g.name)).toEqual(['label-0005', 'label-1005', 'label-0007', 'label-0009']);
  });

  it('groups by a label-name file and leaves unlisted labels out', () => {
    const text = '# label name\n5 Putamen left\n1005 putamen\n\n7\tSeptum\n';
    const groups = right(groupLabels(vol, { kind: 'file', path: 'names.txt', text }));
    expect(groups.map((g) => [g.name, g.labels])).toEqual([
      ['putamen', [5, 1005]],
      ['septum', [7]],
    ]);
    expect(message(parseLabelNames('5 a\nfive b\n', 'names.txt'))).toBe(
      'names.txt (line 2): expected "LABEL NAME" with a positive whole-number label, got "five b"',
    );
    expect(message(parseLabelNames('5 a\n5 b\n', 'names.txt'))).toBe('names.txt (line 2): label 5 is listed twice');
  });

  it('holds out one structure per run of 1/f, largest first, with the seed', () => {
    const groups = Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, labels: [i + 1], voxels: 100 - i }));
    const a = stratifiedHoldout(groups, 0.25, 3);
    expect(a.size).toBe(5);
    // One per run of four consecutive sizes.
    for (let r = 0; r < 5; r++) expect([...a].filter((n) => Math.floor(Number(n.slice(1)) / 4) === r)).toHaveLength(1);
    expect(stratifiedHoldout(groups, 0.25, 3)).toEqual(a);
    expect(evenlySpaced(10, 4)).toEqual([0, 3, 6, 9]);
    expect(evenlySpaced(3, 5)).toEqual([0, 1, 2]);
  });
});

describe('dataset from-labels', () => {
  const out = join(dir, 'ds');
  const result = right(build(out));

  it('writes one task per structure and plane, held out by structure, with a held-out slab of slices', () => {
    expect(result.tooSmall).toBe(1);
    expect(result.heldout).toEqual(['label-0007-axial', 'label-0007-coronal']);
    expect(result.train).toEqual(['label-0005-1005-axial', 'label-0005-1005-coronal']);
    expect(result.heldoutSlices).toEqual(['label-0005-1005-axial-slab']);
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    expect(split).toMatchObject({ train: result.train, heldout: result.heldout, heldout_slices: result.heldoutSlices });
    const ds = right(readDataset(out));
    expect(ds.tasks).toHaveLength(5);
    expect(tasksOf(ds, 'heldout-slices').map((t) => t.name)).toEqual(result.heldoutSlices);
    expect(tasksOf(ds, 'heldout').map((t) => t.name)).toEqual(result.heldout);
    // The slab and the training slices of a structure never share a slice, nor touch (a gap of 2 slices).
    const slices = (t: string) => JSON.parse(readFileSync(join(out, t, 'task.json'), 'utf8')).slices as number[];
    const train = slices('label-0005-1005-axial');
    const slab = slices('label-0005-1005-axial-slab');
    expect(slab.length).toBeGreaterThanOrEqual(3);
    for (const k of slab) expect(Math.min(...train.map((t) => Math.abs(t - k)))).toBeGreaterThan(2);
  });

  it('keeps validation structures out of training, drawn after the held-out ones (which do not move)', () => {
    const vout = join(dir, 'ds-validation');
    const v = right(build(vout, { validation: 0.9 }));
    expect(v.heldout).toEqual(result.heldout);
    expect(v.validation).toEqual(['label-0005-1005-axial', 'label-0005-1005-coronal']);
    // A validation structure is neither trained on nor given a slab.
    expect(v.train).toEqual([]);
    expect(v.heldoutSlices).toEqual([]);
    expect(JSON.parse(readFileSync(join(vout, 'split.json'), 'utf8')).validation).toEqual(v.validation);
    const ds = right(readDataset(vout));
    expect(tasksOf(ds, 'validation').map((t) => t.name)).toEqual(v.validation);
    expect(v.structures.find((s) => s.name === 'label-0005-1005')).toMatchObject({ heldOut: false, validation: true });
    expect(E.isLeft(build(join(dir, 'ds-bad'), { validation: 1 }))).toBe(true);
    // Without it, split.json has no validation list.
    expect(JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')).validation).toBeUndefined();
    expect(result.validation).toEqual([]);
  });

  it('gives excluded structures no task (by name or label value) and refuses one the label map lacks', async () => {
    const xout = join(dir, 'ds-exclude');
    const x = right(build(xout, { exclude: ['1005'] }));
    expect(x.structures.map((s) => s.name)).toEqual(['label-0007']);
    expect([...x.train, ...x.heldoutSlices]).toEqual([]);
    expect(x.heldout).toEqual(result.heldout);
    expect(x.tooSmall).toBe(result.tooSmall); // the excluded pair is not counted as too small
    expect(readdirSync(xout).sort()).toEqual(['dataset.json', 'label-0007-axial', 'label-0007-coronal', 'split.json']);
    const meta = JSON.parse(readFileSync(join(xout, 'dataset.json'), 'utf8'));
    expect(meta.options.exclude).toEqual(['label-0005-1005']);
    expect(meta.counts.excluded).toBe(1);
    expect(message(build(join(dir, 'x-unknown'), { exclude: ['42'] }))).toBe(`${labelsPath}: exclude: no structure is named or labelled "42"`);
    // An excluded structure cannot be held out: it has no task.
    expect(message(build(join(dir, 'x-held'), { exclude: ['label-0007'] }))).toContain('--holdout: no usable structure is named or labelled "7"');
    const io = recordingIO();
    const cliOut = join(dir, 'cli-exclude');
    const args = ['--image', imagePath, '--labels', labelsPath, '--out', cliOut, '--size', '32', '--min-pixels', '6', '--min-slices', '3'];
    expect(await main(['dataset', 'from-labels', ...args, '--holdout', '7', '--exclude', 'label-0005-1005'], io), io.stderr.join('')).toBe(0);
    expect(right(readDataset(cliOut)).tasks.map((t) => t.name)).toEqual(['label-0007-axial']);
  });

  it('cuts masks that match the image: the structure is where the image is bright', () => {
    for (const t of ['label-0005-1005-axial', 'label-0005-1005-coronal']) {
      for (const f of readdirSync(join(out, t, 'images'))) {
        const img = right(readImage(join(out, t, 'images', f)));
        const m = right(readMask(join(out, t, 'masks', f)));
        expect([img.width, img.height]).toEqual([32, 32]);
        expect(maskArea(m)).toBeGreaterThanOrEqual(6);
        const bright = 0.9 * Math.max(...img.data);
        let inside = 0;
        let outside = 0;
        for (let i = 0; i < m.data.length; i++) {
          if (m.data[i]) inside += img.data[i] > bright ? 1 : 0;
          else outside += img.data[i] > bright ? 1 : 0;
        }
        // Bright = the structure; the mask's border pixels are partly covered, so allow a little slack.
        expect(inside / maskArea(m), `${t}/${f}`).toBeGreaterThan(0.8);
        expect(outside, `${t}/${f}`).toBeLessThan(maskArea(m) * 0.3);
      }
    }
  });

  it('records the inputs by sha256 and is byte-identical when run again', () => {
    const meta = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'));
    expect(meta.inputs.image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.counts).toMatchObject({ labels: 4, structures: 3, usable: 2, tooSmall: 1 });
    const again = join(dir, 'ds2');
    right(build(again));
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => join(d.parentPath, d.name).slice(root.length))
        .sort();
    expect(files(again)).toEqual(files(out));
    for (const f of files(out)) expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  });

  it('refuses mismatched grids, a non-empty folder, and names what is wrong', () => {
    const small = join(dir, 'small.nii');
    writeFileSync(small, makeNifti({ dims: [4, 4, 4], datatype: 2, bitpix: 8, values: new Array(64).fill(1) }));
    expect(message(build(join(dir, 'x'), { labels: small }))).toBe(`${small}: the label volume is 4×4×4, the image 24×20×16: they must share one voxel grid`);
    expect(message(build(out))).toBe(`${out}: the folder is not empty; choose a new one or add --force to replace it`);
    expect(E.isRight(build(out, { force: true }))).toBe(true);
    expect(message(build(join(dir, 'y'), { holdout: ['42'] }))).toContain('--holdout: no usable structure is named or labelled "42"');
    expect(message(build(join(dir, 'z'), { minPixels: 10000 }))).toContain('no structure has 3 slices covering ≥ 10000 pixels at 32×32');
  });

  it('runs as `oneprompt dataset from-labels`, with a progress line per stage and a summary', async () => {
    const io = recordingIO();
    const cliOut = join(dir, 'cli');
    const code = await main(
      [
        'dataset',
        'from-labels',
        '--image',
        imagePath,
        '--labels',
        labelsPath,
        '--out',
        cliOut,
        '--plane',
        'all',
        '--size',
        '32',
        '--min-pixels',
        '6',
        '--min-slices',
        '3',
        '--holdout',
        '7',
        '--seed',
        '1',
      ],
      io,
    );
    expect(code, io.stderr.join('')).toBe(0);
    expect(io.stdout.join('\n')).toContain('2 structures (1 too small at 32×32 left out)');
    expect(io.stdout.join('\n')).toContain('held-out structures: label-0007');
    expect(io.stderr.join('')).toMatch(/from-labels: measure axial: \d+\/16 slices/);
    expect(right(readDataset(cliOut)).split!.heldout).toEqual(['label-0007-axial', 'label-0007-coronal', 'label-0007-sagittal']);
    const bad = recordingIO();
    expect(await main(['dataset', 'from-labels', '--image', imagePath, '--labels', labelsPath, '--out', cliOut], bad)).toBe(1);
    expect(bad.stderr.join('')).toContain('the folder is not empty');
  });

  it('adds large targets (brain, hemispheres, regions) as training tasks, regions free of held-out voxels', () => {
    const big = join(dir, 'coarse');
    const r = right(build(big, { coarse: { hemispheres: true, regions: 2 }, sliceHoldout: 0 }));
    expect(r.structures.filter((x) => x.coarse).map((x) => x.name)).toEqual(['brain', 'hemisphere-left', 'hemisphere-right', 'region-01']);
    expect(r.heldout).toEqual(['label-0007-axial', 'label-0007-coronal']);
    expect(r.train).toContain('hemisphere-left-axial');
    const f = 'axial-008.png';
    const mask = (t: string) => right(readMask(join(big, t, 'masks', f)));
    const held = mask('label-0007-axial');
    const pair = mask('label-0005-1005-axial');
    const region = mask('region-01-axial');
    const [left, rightSide, brain] = ['hemisphere-left-axial', 'hemisphere-right-axial', 'brain-axial'].map(mask);
    for (let i = 0; i < held.data.length; i++) {
      // The region is made of training structures only: it never covers the held-out structure.
      if (held.data[i]) expect(region.data[i], `pixel ${i}`).toBe(0);
      // Left and right split the brain; the brain holds every structure.
      expect(left.data[i] & rightSide.data[i]).toBe(0);
      if (pair.data[i] || held.data[i]) expect(brain.data[i]).toBe(1);
    }
    // Radiological display: the patient's left (label 5, x < 0 in RAS) is on the image's right.
    let [leftCols, rightCols] = [0, 0];
    for (let i = 0; i < left.data.length; i++) if (left.data[i]) i % 32 >= 16 ? (leftCols += 1) : (rightCols += 1);
    expect(leftCols).toBeGreaterThan(rightCols);
  });

  it('train --targets draws from the large targets only, or from the atlas structures only', async () => {
    const big = join(dir, 'coarse');
    const summary = async (targets: 'large' | 'structures' | 'all') => (await onePromptTask('tiny', { targets }).data(big, 2)).summary;
    expect(await summary('large')).toMatch(/: 8 training task\(s\)/); // brain, 2 hemispheres, 1 region × 2 planes
    expect(await summary('structures')).toMatch(/: 2 training task\(s\)/);
    expect(await summary('all')).toMatch(/: 10 training task\(s\)/);
    expect(onePromptTask('tiny', { targets: 'large' }).name).toBe('tiny+targets=large');
    await expect(async () => onePromptTask('tiny', { targets: 'large' }).data(join(dir, 'ds-validation'), 2)).rejects.toThrow(
      /no training task is a large target/,
    );
  });
});
