import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { readImage, readMask, detectFormat } from '../../src/app/data/load.js';
import { encodeGreyPng } from '../../src/app/data/png.js';
import { greyImage } from '../../src/app/data/image.js';
import { resizeBilinear, resizeMask, resizePlaneBilinear, squarePixelSize } from '../../src/app/data/resize.js';
import { normaliseMinMax, normaliseWindow, ctWindows } from '../../src/app/data/intensity.js';
import { imageToInput, logitsToMask, stackBatch, itemPlane } from '../../src/app/inference/model-inputs.js';
import { encodePrompt } from '../../src/app/data/prompt-tensors.js';
import { readPromptFile } from '../../src/app/data/prompt-file.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { message, right } from './either.js';
import { makeDicom, makeNifti } from './fixtures.js';
import { inputDims } from '../../graphs/oneprompt/contract.js';

describe('reading any format', () => {
  it('finds the format from the bytes, not the name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-'));
    writeFileSync(join(dir, 'scan.dat'), makeDicom({ rows: 1, cols: 2, pixels: [3, 4] }));
    writeFileSync(join(dir, 'vol.img'), makeNifti({ dims: [2, 2, 3], datatype: 2, bitpix: 8, values: [...Array(12).keys()] }));
    writeFileSync(join(dir, 'pic.jpg'), encodeGreyPng(greyImage(2, 2, Float32Array.from([0, 1, 1, 0]))));
    writeFileSync(join(dir, 'notes.png'), 'hello, not an image');
    expect(Array.from(right(readImage(join(dir, 'scan.dat'))).data)).toEqual([3, 4]);
    expect(right(readImage(join(dir, 'vol.img'))).meta.source).toBe(`${join(dir, 'vol.img')}[axial 1]`);
    expect(Array.from(right(readImage(join(dir, 'pic.jpg'))).data)).toEqual([0, 255, 255, 0]);
    expect(message(readImage(join(dir, 'notes.png')))).toContain('unrecognised image format: expected PNG, JPEG, NIfTI (.nii/.nii.gz) or DICOM');
    expect(message(readImage(join(dir, 'missing.png')))).toBe(`${join(dir, 'missing.png')}: file not found`);
    expect(detectFormat(new Uint8Array([0x1f, 0x8b, 8]))).toBe('nifti-gz');
    expect(message(readImage(join(dir, 'scan.dat'), { slice: 1 }))).toContain('slice 1 is out of range (0..0)');
  });

  it('makes masks from PNGs (non-zero) or label values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-'));
    writeFileSync(join(dir, 'labels.png'), encodeGreyPng(greyImage(4, 1, Float32Array.from([0, 1, 2, 1].map((v) => v / 255)))));
    expect(Array.from(right(readMask(join(dir, 'labels.png'))).data)).toEqual([0, 1, 1, 1]);
    expect(Array.from(right(readMask(join(dir, 'labels.png'), { label: 2 })).data)).toEqual([0, 0, 1, 0]);
  });
});

describe('resize and normalise', () => {
  it('keeps constants and linear ramps under bilinear resizing, and averages when shrinking', () => {
    const ramp = greyImage(8, 1, Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const half = Array.from(resizeBilinear(ramp, 4, 1).data);
    expect(half.slice(1, 3)).toEqual([2.5, 4.5]); // interior: the mean of the pixels covered
    expect(half[0]).toBeGreaterThan(0.5); // border: taps past the edge are dropped (renormalised)
    expect(half[0]).toBeLessThan(1);
    const up = resizeBilinear(greyImage(2, 1, Float32Array.from([0, 4])), 4, 1);
    expect(Array.from(up.data)).toEqual([0, 1, 3, 4]); // half-pixel centres, clamped at the borders
    const checker = Float32Array.from({ length: 64 }, (_, i) => ((i % 8) + Math.floor(i / 8)) % 2);
    const small = resizePlaneBilinear(checker, 8, 8, 2, 2);
    for (const v of small) expect(Math.abs(v - 0.5)).toBeLessThan(0.02); // no aliasing into a solid colour
    expect(resizeBilinear(greyImage(5, 3, new Float32Array(15).fill(2)), 7, 11).data.every((v) => Math.abs(v - 2) < 1e-6)).toBe(true);
  });

  it('keeps masks binary and sizes pixels square', () => {
    const m = { width: 3, height: 1, data: Uint8Array.from([0, 1, 0]) };
    expect(Array.from(resizeMask(m, 6, 2).data)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]);
    expect(squarePixelSize(128, 62, [2, 3])).toEqual({ width: 128, height: 93 });
    expect(squarePixelSize(10, 10, [0.5, 0.5])).toEqual({ width: 10, height: 10 });
  });

  it('normalises by min–max, percentiles or a window', () => {
    const img = greyImage(5, 1, Float32Array.from([-1000, 0, 40, 240, 3000]));
    expect(Array.from(normaliseMinMax(img).data)).toEqual([0, 1000 / 4000, 1040 / 4000, 1240 / 4000, 1].map(Math.fround));
    expect(Array.from(normaliseWindow(img, ctWindows['soft-tissue']).data)).toEqual([0, 0.4, 0.5, 1, 1].map(Math.fround));
    expect(normaliseMinMax(greyImage(2, 1, Float32Array.from([7, 7]))).data.every((v) => v === 0)).toBe(true);
    const spiky = greyImage(
      100,
      1,
      Float32Array.from({ length: 100 }, (_, i) => (i === 99 ? 1e6 : i)),
    );
    expect(normaliseMinMax(spiky, 0, 98).data[50]).toBeGreaterThan(0.45);
  });
});

describe('model inputs', () => {
  it('stacks a batch with the documented shapes and brings logits back to the image size', () => {
    const g = { size: 8, points: 4 };
    const img = greyImage(
      16,
      12,
      Float32Array.from({ length: 192 }, (_, i) => i),
    );
    const plane = imageToInput(img, 8);
    expect(plane).toHaveLength(64);
    expect(Math.min(...plane)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...plane)).toBeLessThanOrEqual(1);
    const prompt = right(encodePrompt({ type: 'click', points: [{ x: 3, y: 4, label: 1 }] }, img, g));
    const batch = stackBatch(
      [
        { query: plane, template: plane, prompt },
        { query: plane, template: plane, prompt },
      ],
      g,
    );
    const dims = inputDims(2, g);
    expect(dims).toEqual({
      query: [2, 1, 8, 8],
      template: [2, 1, 8, 8],
      prompt_points: [2, 4, 2],
      prompt_labels: [2, 4],
      prompt_mask: [2, 1, 8, 8],
      prompt_type: [2, 4],
    });
    for (const [name, d] of Object.entries(dims)) expect(batch[name as keyof typeof dims]).toHaveLength(d.reduce((a, b) => a * b, 1));
    // Logits positive on the left half → mask on the left half of the original 16×12 image.
    const logits = Float32Array.from({ length: 128 }, (_, i) => (i % 8 < 4 ? 3 : -3));
    const mask = logitsToMask(itemPlane(logits, 1, 8), 8, 16, 12);
    expect([mask.width, mask.height]).toEqual([16, 12]);
    expect(Array.from(mask.data.subarray(0, 16))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('bundled MRI samples', () => {
  const root = join(import.meta.dirname, '../../samples');

  it('form a dataset task whose prompt is valid on its template', () => {
    const ds = right(readDataset(root));
    const mri = ds.tasks.find((t) => t.name === 'mri')!;
    expect(mri.pairs.length).toBe(6);
    for (const p of mri.pairs) {
      const img = right(readImage(p.image));
      const mask = right(readMask(p.mask));
      expect([mask.width, mask.height]).toEqual([img.width, img.height]);
      expect(mask.data.some((v) => v)).toBe(true);
    }
    const template = right(readImage(join(root, 'mri/images/axial-066.png')));
    expect(right(readPromptFile(join(root, 'mri/prompt.json'), template)).type).toBe('bbox');
    expect(readFileSync(join(root, 'mri/LICENSE'), 'utf8')).toContain('Apache License');
  });

  const itk = '/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz';
  it.skipIf(!existsSync(itk))('are what scripts/make-sample-mri.ts makes from the Debian package', () => {
    const out = mkdtempSync(join(tmpdir(), 'mri-'));
    execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../scripts/make-sample-mri.ts'), '--out', out], { stdio: 'pipe' });
    for (const sub of ['images', 'masks']) {
      const names = readdirSync(join(out, sub)).sort();
      expect(names).toEqual(readdirSync(join(root, 'mri', sub)).sort());
      for (const n of names) expect(readFileSync(join(out, sub, n)).equals(readFileSync(join(root, 'mri', sub, n))), `${sub}/${n}`).toBe(true);
    }
    for (const f of ['prompt.json', 'templates.json']) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(root, 'mri', f), 'utf8'));
  });
});
