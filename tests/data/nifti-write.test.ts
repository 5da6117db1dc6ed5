// Label volumes written in the scan's own space: the qform/sform arithmetic, our NIfTI-1/NIfTI-2 writer read back by
// our reader, and, where Debian's python3-nibabel is installed, scans written by nibabel (RAS, LPS and oblique, with
// qform and sform) whose label maps nibabel reads back with the same qform, sform, codes, shape and orientation.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readVolume } from '../../src/app/data/load.js';
import { completeSpace, qformAffine, qformOf, spaceFromAffine, type NiftiSpace } from '../../src/app/data/nifti-space.js';
import { encodeNifti } from '../../src/app/data/nifti-write.js';
import { parseNiftiFile } from '../../src/app/data/nifti2.js';
import { right } from './either.js';
import { python, pythonHas } from './python-oracle.js';

/** 3×4 affine: rotation about z by `az`, then about x by `ax` (radians), voxel sizes, optional x flip, offset. */
function affineOf(az: number, ax: number, sizes: readonly number[], flipX: boolean, offset: readonly number[]): number[] {
  const Rz = [
    [Math.cos(az), -Math.sin(az), 0],
    [Math.sin(az), Math.cos(az), 0],
    [0, 0, 1],
  ];
  const Rx = [
    [1, 0, 0],
    [0, Math.cos(ax), -Math.sin(ax)],
    [0, Math.sin(ax), Math.cos(ax)],
  ];
  const R = Rz.map((row) => [0, 1, 2].map((j) => row.reduce((a, v, k) => a + v * Rx[k][j], 0)));
  return [0, 1, 2].flatMap((i) => [R[i][0] * sizes[0] * (flipX ? -1 : 1), R[i][1] * sizes[1], R[i][2] * sizes[2], offset[i]]);
}

const close = (a: readonly number[], b: readonly number[], tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `element ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));
};

describe('qform from an affine', () => {
  const cases: [string, number[]][] = [
    ['RAS', affineOf(0, 0, [2, 2, 3], false, [-90, -126, -72])],
    ['LPS', [-2, 0, 0, 90, 0, -2, 0, 126, 0, 0, 3, -72]],
    ['oblique', affineOf(0.35, 0.17, [0.9, 1.1, 2.5], false, [10, -20, 30])],
    ['oblique, left-handed', affineOf(-0.8, 1.1, [1.5, 0.7, 1.2], true, [1, 2, 3])],
    ['rotated by 180° (a ≈ 0)', affineOf(Math.PI, 0, [1, 1, 1], false, [0, 0, 0])],
    ['permuted axes (j superior, k anterior)', [-2, 0, 0, 0, 0, 0, 3, 0, 0, 2, 0, 0]],
  ];
  for (const [name, affine] of cases) {
    it(`${name}: the qform gives the affine back`, () => {
      const q = qformOf(affine);
      close(qformAffine({ ...spaceFromAffine(affine), ...q }), affine, 1e-9);
      expect(Math.hypot(...q.quatern)).toBeLessThanOrEqual(1 + 1e-12);
    });
  }

  it('a sheared affine keeps its sform; the qform is the nearest rigid one with the same voxel sizes and offset', () => {
    const sheared = [2, 0.3, 0, 5, 0, 2, 0, 6, 0, 0, 3, 7];
    const s = spaceFromAffine(sheared);
    expect(s.sform).toEqual(sheared);
    const q = qformAffine(s);
    expect([q[3], q[7], q[11]]).toEqual([5, 6, 7]);
    expect(Math.hypot(q[1], q[5], q[9])).toBeCloseTo(Math.hypot(0.3, 2), 9);
  });

  it('completes a space that has only one transform from the other', () => {
    const affine = affineOf(0.2, 0.1, [1, 1, 2], false, [3, 4, 5]);
    const onlyS: NiftiSpace = { ...spaceFromAffine(affine, 2), qformCode: 0, quatern: [0, 0, 0], qoffset: [0, 0, 0] };
    const s = completeSpace(onlyS);
    expect([s.qformCode, s.sformCode]).toEqual([2, 2]);
    close(qformAffine(s), affine, 1e-9);
    const onlyQ: NiftiSpace = { ...spaceFromAffine(affine, 1), sformCode: 0, sform: new Array(12).fill(0) };
    const q = completeSpace(onlyQ);
    expect([q.qformCode, q.sformCode]).toEqual([1, 1]);
    close(q.sform, affine, 1e-9);
    const none: NiftiSpace = { ...onlyQ, qformCode: 0 };
    expect(completeSpace(none)).toBe(none);
  });
});

describe('NIfTI writer, read back by our reader', () => {
  const dims = [5, 4, 3] as const;
  const labels = Uint8Array.from({ length: 60 }, (_, n) => (n * 7) % 4);
  const space = spaceFromAffine(affineOf(0.3, -0.2, [0.8, 0.8, 2], true, [12, -7, 40]));

  for (const format of ['nifti1', 'nifti2'] as const) {
    it(`${format}: dims, labels, qform and sform survive, gzipped too`, () => {
      const bytes = encodeNifti({ dims, data: labels, space }, format);
      expect(bytes.length).toBe((format === 'nifti1' ? 352 : 544) + 60);
      const vol = right(parseNiftiFile(bytes, `l.${format}.nii`));
      expect(vol.dims).toEqual([5, 4, 3]);
      expect(Array.from(vol.data)).toEqual(Array.from(labels));
      expect([vol.space!.qformCode, vol.space!.sformCode]).toEqual([1, 1]);
      close(vol.affine, space.sform, format === 'nifti1' ? 1e-4 : 1e-12);
      close(qformAffine(vol.space!), space.sform, format === 'nifti1' ? 1e-4 : 1e-9);
      const dir = mkdtempSync(join(tmpdir(), 'nii-w-'));
      writeFileSync(join(dir, 'l.nii.gz'), gzipSync(bytes));
      expect(Array.from(right(readVolume(join(dir, 'l.nii.gz'))).data)).toEqual(Array.from(labels));
    });
  }

  it('writes labels above 255 as uint16', () => {
    const wide = Uint16Array.from({ length: 60 }, (_, n) => (n % 3) * 300);
    const vol = right(parseNiftiFile(encodeNifti({ dims, data: wide, space }), 'w.nii'));
    expect(Array.from(vol.data)).toEqual(Array.from(wide));
  });

  it('refuses data that does not match the dims', () => {
    expect(() => encodeNifti({ dims, data: new Uint8Array(59), space })).toThrow('59 labels for a 5×4×3 volume');
  });
});

const NIBABEL = pythonHas('nibabel');

describe.skipIf(!NIBABEL)('label maps of nibabel-written scans, read back by nibabel (python3-nibabel)', () => {
  // Scans as nibabel writes them: qform code 1 (scanner), sform code 2 (aligned), so that copied codes show.
  const cases = {
    RAS: affineOf(0, 0, [2, 2, 3], false, [-10, -12, -8]),
    LPS: [-2, 0, 0, 10, 0, -2, 0, 12, 0, 0, 3, -8],
    oblique: affineOf(0.35, 0.17, [0.9, 1.1, 2.5], true, [10, -20, 30]),
  };
  const shape = [7, 6, 5];

  it('keeps dims, qform, sform, their codes, voxel sizes and orientation for RAS, LPS and oblique scans (NIfTI-1 and NIfTI-2 input)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nii-nib-'));
    const inputs = Object.entries(cases).flatMap(([name, a]) =>
      (['1', '2'] as const).map((v) => ({ name: `${name}-n${v}`, version: v, affine: [...a, 0, 0, 0, 1], path: join(dir, `${name}-n${v}.nii.gz`) })),
    );
    python(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
for c in a['inputs']:
    aff = np.array(c['affine'], dtype=float).reshape(4, 4)
    shape = a['shape']
    i, j, k = np.indices(shape)
    data = (i + 10 * j + 100 * k).astype(np.int16)
    cls = nib.Nifti1Image if c['version'] == '1' else nib.Nifti2Image
    img = cls(data, None)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=2)
    nib.save(img, c['path'])
print('{}')`,
      { inputs, shape },
    );
    for (const c of inputs) {
      const vol = right(readVolume(c.path));
      expect(vol.dims).toEqual(shape);
      // The voxel values nibabel wrote, at their (i, j, k): our reader's index order is NIfTI's.
      expect(vol.data[2 + 7 * (3 + 6 * 4)]).toBe(2 + 30 + 400);
      const labels = Uint8Array.from(vol.data, (v) => (v % 3 === 0 ? 1 : 0));
      writeFileSync(c.path.replace('.nii.gz', '-labels.nii'), encodeNifti({ dims: vol.dims, data: labels, space: completeSpace(vol.space!) }));
    }
    const report = python<Record<string, { input: Geometry; output: Geometry; agree: boolean }>>(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
def geo(img):
    q, qc = img.header.get_qform(coded=True)
    s, sc = img.header.get_sform(coded=True)
    return {'shape': list(img.shape), 'qform': q.tolist(), 'sform': s.tolist(), 'qcode': int(qc), 'scode': int(sc),
            'zooms': [float(z) for z in img.header.get_zooms()[:3]], 'axcodes': list(nib.aff2axcodes(img.affine)),
            'affine': img.affine.tolist(), 'version': type(img).__name__}
out = {}
for c in a['inputs']:
    src = nib.load(c['path'])
    lab = nib.load(c['path'].replace('.nii.gz', '-labels.nii'))
    data = np.asarray(lab.dataobj)
    agree = bool(np.array_equal(data, (np.asarray(src.dataobj) % 3 == 0).astype(np.uint8)))
    out[c['name']] = {'input': geo(src), 'output': geo(lab), 'agree': agree}
print(json.dumps(out))`,
      { inputs },
    );
    for (const c of inputs) {
      const { input, output, agree } = report[c.name];
      expect(output.version, c.name).toBe('Nifti1Image');
      expect(output.shape, c.name).toEqual(input.shape);
      expect([output.qcode, output.scode], c.name).toEqual([1, 2]);
      close(output.qform.flat(), input.qform.flat(), 1e-4);
      close(output.sform.flat(), input.sform.flat(), 1e-4);
      close(output.affine.flat(), c.affine, 1e-4);
      close(output.zooms, input.zooms, 1e-5);
      expect(output.axcodes, c.name).toEqual(input.axcodes);
      expect(agree, `${c.name}: label voxels where nibabel put them`).toBe(true);
    }
    expect(report['LPS-n1'].output.axcodes).toEqual(['L', 'P', 'S']);
    expect(report['RAS-n1'].output.axcodes).toEqual(['R', 'A', 'S']);
  });

  it('reads NIfTI-2 written by nibabel as nibabel does, and nibabel reads our NIfTI-2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nii2-'));
    const path = join(dir, 'scan2.nii');
    const r = python<{ data: number[]; affine: number[][] }>(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
data = (np.arange(4 * 3 * 2).reshape(4, 3, 2, order='F') * 1.5 - 3).astype('>f4')
img = nib.Nifti2Image(data, np.array(a['affine']).reshape(4, 4))
img.header.set_data_dtype('>f4')
nib.save(img, a['path'])
back = nib.load(a['path'])
print(json.dumps({'data': back.get_fdata().flatten(order='F').tolist(), 'affine': back.affine.tolist()}))`,
      { path, affine: [...cases.oblique, 0, 0, 0, 1] },
    );
    const vol = right(parseNiftiFile(new Uint8Array(readFileSync(path)), path));
    expect(Array.from(vol.data)).toEqual(r.data);
    close(vol.affine, r.affine.flat().slice(0, 12), 1e-9);
    const out = join(dir, 'labels2.nii');
    writeFileSync(out, encodeNifti({ dims: vol.dims, data: Uint8Array.from(vol.data, (v) => (v > 10 ? 2 : 0)), space: completeSpace(vol.space!) }, 'nifti2'));
    const back = python<{ version: string; sum: number; affine: number[][] }>(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
img = nib.load(a['out'])
print(json.dumps({'version': type(img).__name__, 'sum': int(np.asarray(img.dataobj).sum()), 'affine': img.affine.tolist()}))`,
      { out },
    );
    expect(back.version).toBe('Nifti2Image');
    expect(back.sum).toBe(2 * r.data.filter((v) => v > 10).length);
    close(back.affine.flat(), r.affine.flat(), 1e-9);
  });
});

interface Geometry {
  shape: number[];
  qform: number[][];
  sform: number[][];
  qcode: number;
  scode: number;
  zooms: number[];
  axcodes: string[];
  affine: number[][];
  version: string;
}
