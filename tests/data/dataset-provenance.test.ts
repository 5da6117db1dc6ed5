// dataset.json of `dataset from-labels` (src/app/data/dataset-provenance.ts): read back as written, and refused with
// the file and field named when a field is missing or of the wrong kind.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_FILE, largeTargetTaskNames, readDatasetProvenance, type DatasetRecord } from '../../src/app/data/dataset-provenance.js';
import { formatDataError } from '../../src/app/data/errors.js';
import { datasetFromLabels, sha256File } from '../../src/app/data/from-labels.js';
import { tempDir } from '../cli/run-cli.js';
import { volumeOf } from './fixtures.js';

// Two boxes in a 20×16×12 volume (labels 3 and 9).
const label = (x: number, y: number, z: number): number => (z >= 2 && z < 10 && y >= 3 && y < 9 ? (x >= 2 && x < 8 ? 3 : x >= 11 && x < 17 ? 9 : 0) : 0);

function built(): { dir: string; image: string; labels: string; structures: unknown } {
  const root = tempDir('provenance');
  const [image, labels] = [join(root, 'image.nii'), join(root, 'labels.nii')];
  writeFileSync(
    image,
    volumeOf([20, 16, 12], (x, y, z) => (label(x, y, z) ? 180 : 60)),
  );
  writeFileSync(labels, volumeOf([20, 16, 12], label));
  const dir = join(root, 'out');
  const r = datasetFromLabels({
    image,
    labels,
    out: dir,
    planes: ['axial'],
    size: 24,
    minPixels: 8,
    minSlices: 3,
    maxSlices: 4,
    grouping: { kind: 'labels' },
    holdout: ['9'],
    seed: 2,
  });
  if (E.isLeft(r)) throw new Error(formatDataError(r.left));
  return { dir, image, labels, structures: r.right.structures };
}

describe('dataset.json', () => {
  it('reads back what from-labels wrote: inputs, options and every structure', () => {
    const { dir, image, labels, structures } = built();
    const d = readDatasetProvenance(dir);
    if (E.isLeft(d)) throw new Error(formatDataError(d.left));
    expect(d.right.inputs).toEqual({ image: { path: image, sha256: sha256File(image) }, labels: { path: labels, sha256: sha256File(labels) } });
    expect(d.right.options).toEqual({ planes: ['axial'], size: 24, minPixels: 8, minSlices: 3, maxSlices: 4, grouping: 'labels' });
    expect(d.right.structures).toEqual(structures);
    expect(d.right.structures.map((s) => [s.name, s.heldOut])).toEqual([
      ['label-0003', false],
      ['label-0009', true],
    ]);
  });

  it('names the file and the first field that is wrong', () => {
    const { dir } = built();
    const file = join(dir, DATASET_FILE);
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { structures: Record<string, unknown>[] };
    const refusal = (bad: unknown): string => {
      writeFileSync(file, JSON.stringify(bad));
      const r = readDatasetProvenance(dir);
      if (E.isRight(r)) throw new Error('accepted');
      expect(r.left.file).toBe(file);
      return r.left.message;
    };
    expect(refusal({ ...good, generator: 'something else' })).toMatch(/^generator must be "oneprompt dataset from-labels"/);
    expect(refusal({ ...good, inputs: { ...(good.inputs as object), labels: { path: 'l.nii', sha256: 'xyz' } } })).toBe(
      'inputs.labels.sha256 must be a sha256 in hex',
    );
    expect(refusal({ ...good, options: { ...(good.options as object), size: '24' } })).toBe('options.size must be a whole number ≥ 0');
    const [first, ...rest] = good.structures;
    expect(refusal({ ...good, structures: [first, { ...rest[0], labels: [9, 'x'] }] })).toBe('structures[1].labels[1] must be a whole number ≥ 0');
    expect(refusal({ ...good, structures: [{ ...first, planes: { top: {} } }] })).toBe('structures[0].planes key must be one of axial, coronal, sagittal');
    expect(refusal({ ...good, structures: [{ ...first, coarse: 'yes' }] })).toBe('structures[0].coarse must be true when present');
    expect(refusal([good])).toBe('the file must hold an object');
  });

  it('lists the large targets’ tasks over every plane', () => {
    const plane = (task: string) => ({ task, slices: 4, slabSlices: 0, medianArea: 10, medianWidth: 3 });
    const d: DatasetRecord = {
      generator: 'oneprompt dataset from-labels',
      inputs: { image: { path: 'i', sha256: '0'.repeat(64) }, labels: { path: 'l', sha256: '0'.repeat(64) } },
      options: { planes: ['axial', 'coronal'], size: 24, minPixels: 8, minSlices: 3, maxSlices: 4, grouping: 'mirror' },
      structures: [
        { name: 'brain', labels: [1, 2], voxels: 10, heldOut: false, coarse: true, planes: { axial: plane('brain-axial'), coronal: plane('brain-coronal') } },
        { name: 'label-0003', labels: [3], voxels: 5, heldOut: false, planes: { axial: plane('label-0003-axial') } },
      ],
    };
    expect([...largeTargetTaskNames(d)]).toEqual(['brain-axial', 'brain-coronal']);
  });
});
