// `segment` on volumes: one label volume per query volume, in the scan's own voxel grid and space. A model whose
// mask is the query's bright structure (threshold-model.ts) segments a synthetic volume with an off-centre,
// asymmetric structure; the label volume must lie on the structure (Dice), not on its mirror image, for RAS, LPS and
// oblique scans and for every plane; nibabel (when installed) reads the label volume and compares qform, sform,
// codes and orientation with the scan's. DICOM series: the affine from the slices' positions (checked with pydicom),
// several prompts → one label map and legend, and templates named as volume slices ("scan.nii.gz#coronal=3").
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { orThrow } from '../../src/app/data/errors.js';
import { readImage, readMask } from '../../src/app/data/load.js';
import { parseNiftiFile } from '../../src/app/data/nifti2.js';
import { echoModel } from '../e2e/echo-model.js';
import { makeDicom, makeNifti } from '../data/fixtures.js';
import { python, pythonHas } from '../data/python-oracle.js';
import { listFiles, runCli, tempDir } from './run-cli.js';
import { thresholdModel } from './threshold-model.js';

const DIMS = [40, 32, 12] as const;
const [NX, NY, NZ] = DIMS;
/** An off-centre ellipsoid and a block at another corner: asymmetric along every axis. */
const inside = (i: number, j: number, k: number): boolean =>
  ((i - 12) / 7) ** 2 + ((j - 20) / 6) ** 2 + ((k - 4) / 3) ** 2 <= 1 || (i >= 26 && i <= 33 && j >= 4 && j <= 9 && k >= 6 && k <= 10);
const structure = Uint8Array.from({ length: NX * NY * NZ }, (_, n) => (inside(n % NX, Math.floor(n / NX) % NY, Math.floor(n / (NX * NY))) ? 1 : 0));
const values = Array.from(structure, (v) => v * 100);

function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let both = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ? 1 : 0;
    const y = b[i] ? 1 : 0;
    both += x & y;
    sa += x;
    sb += y;
  }
  return sa + sb ? (200 * both) / (sa + sb) : 100;
}
/** The structure mirrored along voxel axis i: what a label volume stacked in display order would look like. */
const mirroredI = Uint8Array.from(structure, (_, n) => structure[NX - 1 - (n % NX) + NX * Math.floor(n / NX)]);

let dir: string;
let thresholdFile: string;
let echoFile: string;
beforeAll(() => {
  dir = tempDir('vol');
  thresholdFile = join(dir, 'threshold.onnx');
  writeFileSync(thresholdFile, thresholdModel());
  echoFile = join(dir, 'echo.onnx');
  writeFileSync(echoFile, echoModel());
  writeFileSync(join(dir, 'click.json'), JSON.stringify({ type: 'click', points: [{ x: 5, y: 5, label: 1 }] }));
});

const readLabels = (file: string) => orThrow(parseNiftiFile(new Uint8Array(gunzipSync(readFileSync(file))), file));

describe('segment: a NIfTI query volume gives one label volume on the scan', () => {
  for (const [name, sform] of Object.entries({
    RAS: [2, 0, 0, -40, 0, 2, 0, -30, 0, 0, 3, -20],
    LPS: [-2, 0, 0, 40, 0, -2, 0, 30, 0, 0, 3, -20],
    'oblique, permuted (k anterior)': [1.8, 0.2, 0.3, 5, -0.3, 0.1, 2.9, -3, 0.1, -1.9, 0.2, 8],
  })) {
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      it(`${name} scan, ${plane} slices: the labels are the structure, not its mirror image`, async () => {
        const scan = join(dir, `${name.split(',')[0]}.nii`);
        writeFileSync(scan, makeNifti({ dims: [...DIMS], datatype: 4, bitpix: 16, values, sform, pixdim: [2, 2, 3] }));
        const out = join(dir, `out-${name.split(',')[0]}-${plane}`);
        const r = await runCli(
          'segment',
          '--model',
          thresholdFile,
          '--template',
          scan,
          '--prompt',
          join(dir, 'click.json'),
          '--query',
          scan,
          '--plane',
          plane,
          '--out',
          out,
          '--threads',
          '1',
        );
        expect(r.code, r.stderr).toBe(0);
        const stem = name.split(',')[0];
        expect(listFiles(out)).toEqual(['labels.json', 'segment.json', `volumes/${stem}.nii.gz`]);
        const labels = readLabels(join(out, 'volumes', `${stem}.nii.gz`));
        expect(labels.dims).toEqual([...DIMS]);
        expect(labels.affine.map((v) => +v.toFixed(4))).toEqual(sform);
        expect(dice(labels.data, structure)).toBeGreaterThan(97);
        expect(dice(labels.data, mirroredI)).toBeLessThan(60);
        expect(r.stdout).toMatch(new RegExp(`${scan.replace(/[.]/g, '\\.')}\\s+\\d+×\\d+×\\d+`));
        expect(r.stdout).toContain(`wrote 1 label volume to ${join(out, 'volumes')}`);
      });
    }
  }

  it('a template named as a volume slice ("scan.nii.gz#coronal=3") is that slice, whatever plane the queries are cut in', async () => {
    const scan = join(dir, 'ref.nii.gz');
    writeFileSync(scan, gzipSync(readFileSync(join(dir, 'RAS.nii'))));
    const a = join(dir, 'ref-a');
    const b = join(dir, 'ref-b');
    // Queries cut axially in both runs; the template is coronal slice 3 in both.
    expect(
      (await runCli('segment', '--model', echoFile, '--template', `${scan}#coronal=3`, '--prompt', join(dir, 'click.json'), '--query', scan, '--out', a)).code,
    ).toBe(0);
    const templates = join(dir, 'ref-templates.json');
    writeFileSync(templates, JSON.stringify([{ image: 'ref.nii.gz#coronal=3', prompt: { type: 'click', points: [{ x: 5, y: 5, label: 1 }] } }]));
    expect((await runCli('segment', '--model', echoFile, '--templates', templates, '--query', scan, '--out', b)).code).toBe(0);
    expect(readLabels(join(a, 'volumes', 'ref.nii.gz')).data).toEqual(readLabels(join(b, 'volumes', 'ref.nii.gz')).data);
    const legend = JSON.parse(readFileSync(join(a, 'labels.json'), 'utf8'));
    expect(legend.labels).toEqual([{ value: 1, prompt: join(dir, 'click.json'), template: `${scan}[coronal 3]`, colour: [255, 48, 48] }]);
    const bad = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      `${scan}#coronal=99`,
      '--prompt',
      join(dir, 'click.json'),
      '--query',
      scan,
      '--out',
      join(dir, 'ref-bad'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('coronal slice 99 is out of range');
    const both = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      `${scan}#coronal=3`,
      '--slice',
      '2',
      '--prompt',
      join(dir, 'click.json'),
      '--query',
      scan,
      '--out',
      join(dir, 'ref-bad'),
    );
    expect(both.stderr).toContain('names its slice; leave out --slice');
  });
});

describe('segment: several prompts make one label map with a legend', () => {
  it('2-D queries: a PNG of label values and outlines per label; a volume: one label volume with both labels', async () => {
    const q = join(dir, 'q.png');
    const { encodeGreyPng } = await import('../../src/app/data/png.js');
    const { greyImage } = await import('../../src/app/data/image.js');
    writeFileSync(q, encodeGreyPng(greyImage(64, 64, new Float32Array(64 * 64).fill(0.2))));
    writeFileSync(join(dir, 'left.json'), JSON.stringify({ type: 'click', points: [{ x: 12, y: 32, label: 1 }] }));
    writeFileSync(join(dir, 'right.json'), JSON.stringify({ type: 'click', points: [{ x: 50, y: 32, label: 1 }] }));
    const out = join(dir, 'multi');
    const r = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      q,
      '--prompt',
      `${join(dir, 'left.json')}:3`,
      '--prompt',
      join(dir, 'right.json'),
      '--query',
      q,
      join(dir, 'RAS.nii'),
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(out)).toEqual(['labels.json', 'masks/q.png', 'overlays/q.png', 'segment.json', 'volumes/RAS.nii.gz']);
    const png = orThrow(readImage(join(out, 'masks', 'q.png')));
    // Label 3 around the left click, label 1 (the first free value) around the right one.
    expect(png.data[32 * 64 + 12]).toBe(3);
    expect(png.data[32 * 64 + 50]).toBe(1);
    expect(new Set(png.data)).toEqual(new Set([0, 1, 3]));
    expect(orThrow(readMask(join(out, 'masks', 'q.png'), { label: 3 })).data.reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    const legend = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    expect(legend.labels.map((l: { value: number; prompt: string }) => [l.value, l.prompt])).toEqual([
      [3, join(dir, 'left.json')],
      [1, join(dir, 'right.json')],
    ]);
    expect(legend.outputs.map((f: { file: string; kind: string }) => [f.file, f.kind])).toEqual([
      ['masks/q.png', 'image'],
      ['volumes/RAS.nii.gz', 'volume'],
    ]);
    expect(legend.outputs[0].counts['3']).toBeGreaterThan(20);
    const vol = readLabels(join(out, 'volumes', 'RAS.nii.gz'));
    expect(new Set(vol.data)).toEqual(new Set([0, 1, 3]));
    expect(r.stdout).toMatch(/query\s+size\s+label 3\s+confidence\s+label 1\s+confidence/);
  });

  it('refuses a repeated label, a label out of range, and several prompts with --templates', async () => {
    const q = join(dir, 'q.png');
    const p = join(dir, 'left.json');
    const dup = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      q,
      '--prompt',
      `${p}:2`,
      '--prompt',
      `${p}:2`,
      '--query',
      q,
      '--out',
      join(dir, 'x'),
    );
    expect(dup.stderr).toContain(`--prompt ${p}:2: label 2 is given to two prompts`);
    const zero = await runCli('segment', '--model', echoFile, '--template', q, '--prompt', `${p}:0`, '--query', q, '--out', join(dir, 'x'));
    expect(zero.stderr).toContain('the label must be between 1 and 65535 (0 is background)');
    const ens = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      q,
      '--prompt',
      p,
      '--prompt',
      p,
      '--templates',
      join(dir, 't.json'),
      '--query',
      q,
      '--out',
      join(dir, 'x'),
    );
    expect(ens.stderr).toContain('several --prompt values make a label map');
  });
});

const NIBABEL = pythonHas('nibabel');
const PYDICOM = pythonHas('pydicom');

describe.skipIf(!NIBABEL)('label volumes read by nibabel (python3-nibabel)', () => {
  it('RAS, LPS and oblique scans written by nibabel: same shape, qform, sform, codes and orientation; the labels lie on the structure', async () => {
    const cases = {
      ras: [2, 0, 0, -40, 0, 2, 0, -30, 0, 0, 3, -20, 0, 0, 0, 1],
      lps: [-2, 0, 0, 40, 0, -2, 0, 30, 0, 0, 3, -20, 0, 0, 0, 1],
      oblique: [1.8, 0.2, 0.3, 5, -0.3, 0.1, 2.9, -3, 0.1, -1.9, 0.2, 8, 0, 0, 0, 1],
    };
    const sub = join(dir, 'nib');
    mkdirSync(sub, { recursive: true });
    python(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
data = np.array(a['values'], dtype=np.int16).reshape(a['dims'], order='F')
for name, aff in a['cases'].items():
    img = nib.Nifti1Image(data, None)
    img.set_qform(np.array(aff).reshape(4, 4), code=1)
    img.set_sform(np.array(aff).reshape(4, 4), code=2)
    nib.save(img, f"{a['dir']}/{name}.nii.gz")
print('{}')`,
      { values, dims: DIMS, cases, dir: sub },
    );
    for (const name of Object.keys(cases)) {
      const r = await runCli(
        'segment',
        '--model',
        thresholdFile,
        '--template',
        `${join(sub, name)}.nii.gz#axial=4`,
        '--prompt',
        join(dir, 'click.json'),
        '--query',
        `${join(sub, name)}.nii.gz`,
        '--out',
        join(sub, `out-${name}`),
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const report = python<Record<string, { same: Record<string, boolean>; axcodes: string[]; dice: number; mirrored: number; dtype: string; intent: string }>>(
      `import json,sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
out = {}
for name in a['names']:
    src = nib.load(f"{a['dir']}/{name}.nii.gz")
    lab = nib.load(f"{a['dir']}/out-{name}/volumes/{name}.nii.gz")
    s, l = src.header, lab.header
    truth = np.asarray(src.dataobj) > 50
    got = np.asarray(lab.dataobj) == 1
    dice = lambda x, y: float(200.0 * (x & y).sum() / (x.sum() + y.sum()))
    out[name] = {
        'same': {
            'shape': src.shape == lab.shape,
            'qform': bool(np.allclose(s.get_qform(), l.get_qform(), atol=1e-4)),
            'sform': bool(np.allclose(s.get_sform(), l.get_sform(), atol=1e-4)),
            'codes': (int(s['qform_code']), int(s['sform_code'])) == (int(l['qform_code']), int(l['sform_code'])),
            'affine': bool(np.allclose(src.affine, lab.affine, atol=1e-4)),
            'zooms': bool(np.allclose(s.get_zooms(), l.get_zooms())),
        },
        'axcodes': list(nib.aff2axcodes(lab.affine)),
        'dice': dice(truth, got),
        'mirrored': dice(truth[::-1], got),
        'dtype': str(lab.get_data_dtype()),
        'intent': l.get_intent()[0],
    }
print(json.dumps(out))`,
      { names: Object.keys(cases), dir: sub },
    );
    for (const [name, r] of Object.entries(report)) {
      expect(r.same, name).toEqual({ shape: true, qform: true, sform: true, codes: true, affine: true, zooms: true });
      expect(r.dice, `${name}: Dice of the label volume against the structure`).toBeGreaterThan(97);
      expect(r.mirrored, `${name}: Dice against the mirrored structure`).toBeLessThan(60);
      expect([r.dtype, r.intent]).toEqual(['uint8', 'label']);
    }
    expect(report.ras.axcodes).toEqual(['R', 'A', 'S']);
    expect(report.lps.axcodes).toEqual(['L', 'P', 'S']);
  });
});

describe("segment: a DICOM series gives a label volume placed by the slices' positions", () => {
  // An oblique axial series: rows tilted 20° about z, slices 2.5 mm apart, 0.8 × 0.6 mm pixels, files in shuffled order.
  const c = Math.cos(0.35);
  const s = Math.sin(0.35);
  const orientation = [c, s, 0, -s, c, 0];
  const writeSeries = (folder: string): void => {
    mkdirSync(folder, { recursive: true });
    for (const k of [3, 0, 5, 1, 4, 2, 6, 7, 8, 9, 10, 11]) {
      const slice = Array.from({ length: NX * NY }, (_, p) => values[p + k * NX * NY]);
      const position = [-20, -10, 30 + 2.5 * k];
      writeFileSync(
        join(folder, `im${k}.dcm`),
        makeDicom({
          rows: NY,
          cols: NX,
          pixels: slice,
          position,
          orientation,
          pixelSpacing: [0.6, 0.8],
          seriesUid: '1.2.826.0.1.3680043.9.7.1',
          instanceNumber: 12 - k,
        }),
      );
    }
  };

  it("the labels lie on the structure, in the series' voxel order", async () => {
    const folder = join(dir, 'series');
    writeSeries(folder);
    const out = join(dir, 'out-series');
    const r = await runCli(
      'segment',
      '--model',
      thresholdFile,
      '--template',
      folder,
      '--slice',
      '4',
      '--prompt',
      join(dir, 'click.json'),
      '--query',
      folder,
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const labels = readLabels(join(out, 'volumes', 'series.nii.gz'));
    expect(labels.dims).toEqual([...DIMS]);
    expect(dice(labels.data, structure)).toBeGreaterThan(97);
    // Voxel (i, j, k) → RAS: LPS = IPP + i·0.8·row + j·0.6·column + k·2.5·z, then x and y negated.
    const expected = [-0.8 * c, 0.6 * s, -0, 20, -0.8 * s, -0.6 * c, -0, 10, 0, 0, 2.5, 30];
    labels.affine.forEach((v, n) => expect(v).toBeCloseTo(expected[n], 4));
  });

  it.skipIf(!NIBABEL || !PYDICOM)("nibabel finds the series' own geometry (computed by pydicom from the files) in the label volume", () => {
    const folder = join(dir, 'series');
    const r = python<{ expected: number[][]; got: number[][]; shape: number[] }>(
      `import json,sys,glob
import numpy as np, nibabel as nib, pydicom
a = json.load(sys.stdin)
ds = [pydicom.dcmread(f) for f in glob.glob(a['folder'] + '/*.dcm')]
iop = np.array(ds[0].ImageOrientationPatient, dtype=float)
row, col = iop[:3], iop[3:]
normal = np.cross(row, col)
ds.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, dtype=float), normal)))
p0 = np.array(ds[0].ImagePositionPatient, dtype=float)
step = (np.array(ds[-1].ImagePositionPatient, dtype=float) - p0) / (len(ds) - 1)
dr, dc = [float(v) for v in ds[0].PixelSpacing]
lps = np.eye(4)
lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = row * dc, col * dr, step, p0
ras = np.diag([-1, -1, 1, 1]) @ lps
img = nib.load(a['labels'])
print(json.dumps({'expected': ras.tolist(), 'got': img.affine.tolist(), 'shape': list(img.shape)}))`,
      { folder, labels: join(dir, 'out-series', 'volumes', 'series.nii.gz') },
    );
    expect(r.shape).toEqual([...DIMS]);
    r.got.flat().forEach((v, n) => expect(v).toBeCloseTo(r.expected.flat()[n], 4));
  });
});
