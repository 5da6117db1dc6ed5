// The pure parts of the page's volume tools: zoom/pan arithmetic, the one undo history, display windows, and files →
// stacks (NIfTI volumes, DICOM series grouped and sorted) with their label-volume export equal to what the CLI's
// writer produces for the same masks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Mask } from '../../src/app/data/image.js';
import { parseNiftiFile } from '../../src/app/data/nifti2.js';
import { displayRange, intensityStats } from '../../web/display-window.js';
import { canUndoLast, commit, startHistory, undoLast, HISTORY_LIMIT } from '../../web/history.js';
import { greyToRgba, greyToRgbaWindow } from '../../web/pixels.js';
import { labelVolumeNifti, readSources, stackOf, type ImageStack } from '../../web/stacks.js';
import { canvasToPixel, FIT, panBy, pixelToCanvas, placement, zoomAt } from '../../web/view-transform.js';
import { makeDicom, makeNifti, makeNifti2 } from '../data/fixtures.js';
import { greyImage } from '../../src/app/data/image.js';

describe('view transform', () => {
  const image = { width: 100, height: 50 };
  const canvas = { width: 400, height: 200 };

  it('fits the image, maps pixel centres both ways', () => {
    const p = placement(FIT, image, canvas);
    expect(p).toEqual({ scale: 4, x: 0, y: 0 });
    expect(canvasToPixel(p, 2, 2)).toEqual([0, 0]);
    expect(pixelToCanvas(p, 99, 49)).toEqual([398, 198]);
    const tall = placement(FIT, { width: 50, height: 50 }, canvas);
    expect(tall).toEqual({ scale: 4, x: 100, y: 0 });
  });

  it('zooms about the cursor: the pixel under it stays under it', () => {
    for (const [cx, cy] of [
      [10, 10],
      [200, 100],
      [390, 150],
    ]) {
      const before = canvasToPixel(placement(FIT, image, canvas), cx, cy);
      const z = zoomAt(FIT, 3, cx, cy, image, canvas);
      expect(z.zoom).toBe(3);
      const after = canvasToPixel(placement(z, image, canvas), cx, cy);
      expect(after[0]).toBeCloseTo(before[0], 9);
      expect(after[1]).toBeCloseTo(before[1], 9);
      // And back.
      const back = zoomAt(z, 1 / 3, cx, cy, image, canvas);
      expect(back.zoom).toBeCloseTo(1, 12);
      expect(Math.abs(back.panX) + Math.abs(back.panY)).toBeLessThan(1e-9);
    }
    expect(zoomAt(FIT, 1000, 0, 0, image, canvas).zoom).toBe(32);
    expect(zoomAt(FIT, 0.001, 0, 0, image, canvas).zoom).toBe(0.5);
  });

  it('pans in canvas pixels', () => {
    const v = panBy(FIT, 8, -4);
    expect(canvasToPixel(placement(v, image, canvas), 10, 10)).toEqual([0, 3]);
  });
});

describe('one undo history', () => {
  it('goes back one change at a time, whatever it was, and knows when it cannot', () => {
    let h = startHistory('empty');
    expect(canUndoLast(h)).toBe(false);
    h = commit(h, 'box');
    h = commit(h, 'box + doodle');
    h = commit(h, 'cleared');
    expect(h.present).toBe('cleared');
    h = undoLast(h);
    expect(h.present).toBe('box + doodle');
    h = undoLast(undoLast(h));
    expect([h.present, canUndoLast(h)]).toEqual(['empty', false]);
    expect(undoLast(h)).toBe(h);
    expect(commit(h, h.present)).toBe(h);
  });

  it('keeps at most HISTORY_LIMIT states', () => {
    let h = startHistory(0);
    for (let i = 1; i <= HISTORY_LIMIT + 10; i++) h = commit(h, i);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(10);
  });
});

describe('display windows', () => {
  it('auto is min–max, MRI the 1st–99th percentiles, CT presets center/width', () => {
    const values = Float32Array.from({ length: 1001 }, (_, i) => i);
    values[1000] = 1e6; // one hot voxel
    const stats = intensityStats([values]);
    expect([stats.min, stats.max]).toEqual([0, 1e6]);
    expect(displayRange('auto', stats)).toEqual([0, 1e6]);
    expect(displayRange('mri', stats)).toEqual([10, 990]);
    expect(displayRange('soft-tissue', stats)).toEqual([-160, 240]);
    expect(displayRange('lung', stats)).toEqual([-1350, 150]);
  });

  it('windowed pixels: below black, above white, the plain version min–max', () => {
    const img = greyImage(4, 1, Float32Array.from([-1000, 40, 240, 3000]));
    const px = greyToRgbaWindow(img, -160, 240);
    expect([px[0], px[8], px[12]]).toEqual([0, 255, 255]);
    expect(Math.abs(px[4] - 127.5)).toBeLessThan(1);
    expect(Array.from(greyToRgba(img).filter((_, i) => i % 4 === 0))).toEqual([0, 66, 79, 255]);
  });
});

describe('files → stacks', () => {
  const dims = [6, 5, 4];
  const values = Array.from({ length: 120 }, (_, n) => n);
  const masks = (stack: ImageStack): Mask[] =>
    Array.from({ length: stack.count }, (_, i) => {
      const s = stack.slice(i);
      return { width: s.width, height: s.height, data: Uint8Array.from(s.data, (v) => (v % 3 === 0 ? 1 : 0)) };
    });

  it('a .nii.gz volume: slices per plane, and its label volume lies on its voxels in its space', async () => {
    const sform = [-2, 0, 0, 10, 0, 2, 0, -5, 0, 0, 3, 7];
    const nii = makeNifti({ dims, datatype: 4, bitpix: 16, values, sform });
    const sources = await readSources([{ name: 'scan.nii.gz', bytes: gzipSync(nii) }]);
    if (E.isLeft(sources)) throw new Error(sources.left.message);
    expect(sources.right.map((s) => s.kind)).toEqual(['volume']);
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      const stack = stackOf(sources.right[0], plane);
      expect(stack.count).toBe({ axial: 4, coronal: 5, sagittal: 6 }[plane]);
      expect(stack.templateRef(2)).toBe(`scan.nii.gz#${plane}=2`);
      const out = labelVolumeNifti(stack, masks(stack));
      if (E.isLeft(out)) throw new Error(out.left);
      const back = parseNiftiFile(out.right, 'labels.nii');
      if (E.isLeft(back)) throw new Error(back.left.message);
      // Whatever the plane, voxel n is labelled exactly when its value n is a multiple of 3.
      expect(Array.from(back.right.data)).toEqual(values.map((v) => (v % 3 === 0 ? 1 : 0)));
      expect(back.right.affine).toEqual(sform);
    }
    const partial = masks(stackOf(sources.right[0], 'axial'));
    expect(labelVolumeNifti(stackOf(sources.right[0], 'axial'), [partial[0], undefined, partial[2], partial[3]])).toEqual(
      E.left('scan.nii.gz: slice 1 has no mask yet'),
    );
  });

  it('a picked .nii.gz is read as the CLI reads it: inflated header first, held to the voxel limit, NaN replaced', async () => {
    const H = join(import.meta.dirname, '..', 'fixtures', 'hostile');
    // 1 MiB of a 1024×1024×512 volume (1090 bytes gzipped): refused from its header, nothing inflated past it.
    const big = await readSources([{ name: 'big-volume.nii.gz', bytes: new Uint8Array(readFileSync(join(H, 'big-volume.nii.gz'))) }]);
    expect(E.isLeft(big) && big.left).toMatchObject({ file: 'big-volume.nii.gz', where: 'offset 42' });
    expect(E.isLeft(big) && big.left.message).toContain('volume 1024×1024×512 (536870912 voxels) exceeds the voxel limit');
    const zeros = await readSources([{ name: 'zeros.nii.gz', bytes: new Uint8Array(readFileSync(join(H, 'zeros.nii.gz'))) }]);
    expect(E.isLeft(zeros) && zeros.left.message).toContain('not a NIfTI file: sizeof_hdr is 0');
    const nan = await readSources([{ name: 'nan.nii.gz', bytes: gzipSync(readFileSync(join(H, 'nan-inf.nii'))) }]);
    if (E.isLeft(nan)) throw new Error(nan.left.message);
    const vol = nan.right[0].kind === 'volume' ? nan.right[0].volume : undefined;
    expect(vol?.nonFinite).toBe(3);
    expect(vol?.data.every(Number.isFinite)).toBe(true);
    // NIfTI-2, gzipped.
    const n2 = await readSources([{ name: 'n2.nii.gz', bytes: gzipSync(makeNifti2({ dims, datatype: 4, bitpix: 16, values })) }]);
    if (E.isLeft(n2)) throw new Error(n2.left.message);
    expect(n2.right[0].kind === 'volume' && Array.from(n2.right[0].volume.data)).toEqual(values);
  });

  it('DICOM files of one series become one stack sorted along the normal; other files stay apart', async () => {
    const files = [2, 0, 1].map((z) => ({
      name: `im${z}.dcm`,
      bytes: makeDicom({
        rows: 2,
        cols: 3,
        pixels: new Array(6).fill(z),
        position: [0, 0, 5 * z],
        orientation: [1, 0, 0, 0, 1, 0],
        pixelSpacing: [1, 1],
        seriesUid: '7.7',
        instanceNumber: 9 - z,
      }),
    }));
    const other = { name: 'other.dcm', bytes: makeDicom({ rows: 2, cols: 2, pixels: [1, 2, 3, 4], seriesUid: '8.8' }) };
    const sources = await readSources([...files, other]);
    if (E.isLeft(sources)) throw new Error(sources.left.message);
    expect(sources.right.map((s) => [s.kind, s.name])).toEqual([
      ['series', 'series 7.7'],
      ['series', 'other.dcm'],
    ]);
    const stack = stackOf(sources.right[0], 'axial');
    expect(stack.count).toBe(3);
    expect([0, 1, 2].map((i) => stack.slice(i).data[0])).toEqual([0, 1, 2]);
    expect(stack.space!.sform).toEqual([-1, -0, -0, -0, -0, -1, -0, -0, 0, 0, 5, 0]);
    const bad = await readSources([files[0], { name: 'big.dcm', bytes: makeDicom({ rows: 3, cols: 3, pixels: new Array(9).fill(0), seriesUid: '7.7' }) }]);
    expect(E.isLeft(bad) && bad.left.message).toContain("slice size 3×3 differs from the series' 3×2");
  });
});
