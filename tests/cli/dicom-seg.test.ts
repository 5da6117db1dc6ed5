// `segment` on a DICOM series writes a DICOM-SEG beside the NIfTI label volume. Read back by pydicom (an independent
// reader): the SOP class, patient/study/frame of reference copied from the series, one segment per prompt, each frame
// referencing its source slice and position, and the frames' bits reassembled per source slice equal to the label
// volume. dciodvfy (dicom3tools) checks the object against the Segmentation IOD. Both skip where not installed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { decimalString, newUid } from '../../src/app/data/dicom-write.js';
import { dicomLab } from '../../src/app/data/dicom-seg.js';
import { orThrow } from '../../src/app/data/errors.js';
import { parseNiftiFile } from '../../src/app/data/nifti2.js';
import { makeDicom } from '../data/fixtures.js';
import { python, pythonHas, toolExists } from '../data/python-oracle.js';
import { echoModel } from '../e2e/echo-model.js';
import { listFiles, runCli, tempDir } from './run-cli.js';
import { thresholdModel } from './threshold-model.js';

const [W, H, N] = [24, 20, 6];
const STUDY = '1.2.826.0.1.3680043.9.7.2';
const FOR = '1.2.826.0.1.3680043.9.7.3';
const SERIES = '1.2.826.0.1.3680043.9.7.4';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const sop = (k: number): string => `1.2.826.0.1.3680043.9.7.5.${k}`;
/** A bright box in slices 1..4, off-centre. */
const bright = (x: number, y: number, k: number): boolean => k >= 1 && k <= 4 && x >= 3 && x <= 10 && y >= 12 && y <= 17;

let dir: string;
let out: string;
let series: string;
let cli: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  dir = tempDir('seg');
  series = join(dir, 'ct');
  mkdirSync(series);
  for (const k of [2, 5, 0, 3, 1, 4]) {
    const pixels = Array.from({ length: W * H }, (_, p) => (bright(p % W, Math.floor(p / W), k) ? 1200 : 0));
    writeFileSync(
      join(series, `slice${k}.dcm`),
      makeDicom({
        rows: H,
        cols: W,
        pixels,
        position: [-60.25, -50.5, -100 + 1.25 * k],
        orientation: [1, 0, 0, 0, 1, 0],
        pixelSpacing: [0.75, 0.75],
        seriesUid: SERIES,
        instanceNumber: k + 1,
        tags: [
          [0x0008, 0x0005, 'CS', 'ISO_IR 100'],
          [0x0008, 0x0016, 'UI', CT_IMAGE],
          [0x0008, 0x0018, 'UI', sop(k)],
          [0x0008, 0x0020, 'DA', '20240102'],
          [0x0008, 0x0030, 'TM', '101500'],
          [0x0008, 0x0050, 'SH', 'ACC42'],
          [0x0008, 0x0090, 'PN', 'Doe^Ref'],
          [0x0010, 0x0010, 'PN', 'M\u00fcller^Anna'],
          [0x0010, 0x0020, 'LO', 'PID-7'],
          [0x0010, 0x0030, 'DA', '19700101'],
          [0x0010, 0x0040, 'CS', 'F'],
          [0x0020, 0x000d, 'UI', STUDY],
          [0x0020, 0x0010, 'SH', 'S1'],
          [0x0020, 0x0052, 'UI', FOR],
        ],
      }),
    );
  }
  const model = join(dir, 'threshold.onnx');
  writeFileSync(model, thresholdModel());
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ type: 'click', points: [{ x: 6, y: 14, label: 1 }] }));
  out = join(dir, 'out');
  cli = await runCli(
    'segment',
    '--model',
    model,
    '--template',
    series,
    '--slice',
    '2',
    '--prompt',
    `${join(dir, 'a.json')}:5`,
    '--query',
    series,
    '--out',
    out,
  );
});

describe('segment on a DICOM series: DICOM-SEG', () => {
  it('writes the NIfTI label volume and a DICOM-SEG beside it, and lists both in labels.json', () => {
    expect(cli.code, cli.stderr).toBe(0);
    expect(listFiles(out)).toEqual(['labels.json', 'segment.json', 'volumes/ct.nii.gz', 'volumes/ct.seg.dcm']);
    expect(cli.stdout).toContain(`wrote 1 label volume and 1 DICOM-SEG to ${join(out, 'volumes')}`);
    const legend = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    expect(legend.outputs.map((o: { kind: string }) => o.kind)).toEqual(['volume', 'dicom-seg']);
    // segment.json lists both with the legend: the run's files, moved into place together.
    const manifest = JSON.parse(readFileSync(join(out, 'segment.json'), 'utf8'));
    expect([...manifest.files].sort()).toEqual(['labels.json', 'volumes/ct.nii.gz', 'volumes/ct.seg.dcm']);
    expect(manifest.volumes).toEqual([{ query: series, slices: N, volume: 'volumes/ct.nii.gz', seg: 'volumes/ct.seg.dcm' }]);
    const labels = orThrow(parseNiftiFile(new Uint8Array(gunzipSync(readFileSync(join(out, 'volumes', 'ct.nii.gz')))), 'ct'));
    let inBox = 0;
    labels.data.forEach((v, n) => (inBox += v === 5 && bright(n % W, Math.floor(n / W) % H, Math.floor(n / (W * H))) ? 1 : 0));
    expect(inBox).toBe(4 * 8 * 6);
    expect(labels.data.filter((v) => v !== 0).length).toBe(4 * 8 * 6);
  });

  it.skipIf(!pythonHas('pydicom'))('pydicom reads it: references, copied patient and study, frames equal to the label volume', () => {
    const r = python<Record<string, unknown>>(
      `import json,sys
import numpy as np, pydicom, nibabel
a = json.load(sys.stdin)
seg = pydicom.dcmread(a['seg'])
frames = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
sources = {}
import glob
for f in glob.glob(a['series'] + '/*.dcm'):
    d = pydicom.dcmread(f)
    sources[d.SOPInstanceUID] = d
# Rebuild the volume from the SEG alone: each frame goes to its referenced source slice (sorted by z).
order = sorted(sources, key=lambda u: float(sources[u].ImagePositionPatient[2]))
vol = np.zeros((len(order), seg.Rows, seg.Columns), dtype=np.uint8)
positions_agree = True
for i, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
    ref = fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    segnum = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    k = order.index(ref)
    vol[k][frames[i] == 1] = segnum
    positions_agree &= [float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient] == [float(v) for v in sources[ref].ImagePositionPatient]
labels = np.asarray(nibabel.load(a['nifti']).dataobj)  # (x, y, k)
ours = (np.transpose(labels, (2, 1, 0)) == 5).astype(np.uint8)
refs = [r.ReferencedSOPInstanceUID for r in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence]
print(json.dumps({
  'sopClass': seg.SOPClassUID, 'modality': seg.Modality, 'type': seg.SegmentationType,
  'patient': [str(seg.PatientName), seg.PatientID, seg.PatientBirthDate, seg.PatientSex],
  'study': [seg.StudyInstanceUID, seg.StudyDate, seg.AccessionNumber, seg.StudyID], 'for': seg.FrameOfReferenceUID,
  'newSeries': seg.SeriesInstanceUID != a['seriesUid'], 'refSeries': seg.ReferencedSeriesSequence[0].SeriesInstanceUID,
  'refs': sorted(refs), 'segments': [[int(s.SegmentNumber), s.SegmentLabel, s.SegmentAlgorithmType] for s in seg.SegmentSequence],
  'frames': int(seg.NumberOfFrames), 'bits': [int(seg.BitsAllocated), int(seg.BitsStored)], 'equal': bool(np.array_equal(vol, ours)),
  'voxels': int(vol.sum()), 'positions': bool(positions_agree),
  'orientation': [float(v) for v in seg.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient],
  'spacing': [float(v) for v in seg.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing],
  'thickness': float(seg.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].SliceThickness),
}))`,
      { seg: join(out, 'volumes', 'ct.seg.dcm'), nifti: join(out, 'volumes', 'ct.nii.gz'), series, seriesUid: SERIES },
    );
    expect(r).toMatchObject({
      sopClass: '1.2.840.10008.5.1.4.1.1.66.4',
      modality: 'SEG',
      type: 'BINARY',
      patient: ['M\u00fcller^Anna', 'PID-7', '19700101', 'F'],
      study: [STUDY, '20240102', 'ACC42', 'S1'],
      for: FOR,
      newSeries: true,
      refSeries: SERIES,
      refs: [0, 1, 2, 3, 4, 5].map(sop).sort(),
      segments: [[1, '5: a.json', 'SEMIAUTOMATIC']],
      frames: 4, // only the slices with foreground
      bits: [1, 1],
      equal: true,
      voxels: 4 * 8 * 6,
      positions: true,
      orientation: [1, 0, 0, 0, 1, 0],
      spacing: [0.75, 0.75],
      thickness: 1.25,
    });
  });

  it.skipIf(!toolExists('dciodvfy'))('dciodvfy (dicom3tools) finds no error against the Segmentation IOD', () => {
    const r = spawnSync('dciodvfy', [join(out, 'volumes', 'ct.seg.dcm')], { encoding: 'utf8' });
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim());
    const errors = lines.filter((l) => /^Error/.test(l));
    expect(errors, lines.join('\n')).toEqual([]);
    expect(lines.join('\n')).toMatch(/Segmentation/);
  });
});

describe('DICOM writing helpers', () => {
  it('decimal strings fit 16 characters; UIDs are 2.25 UUIDs within 64 characters', () => {
    // biome-ignore lint/correctness/noPrecisionLoss: a float64 literal beyond its precision is this test's input
    expect(decimalString(-123.456789012345678)).toBe('-123.45678901235');
    expect(decimalString(1e-15)).toBe('0');
    expect(decimalString(0.5)).toBe('0.5');
    for (const v of [Math.PI * 1e7, -Math.E / 1e5, 1 / 3]) expect(decimalString(v).length).toBeLessThanOrEqual(16);
    const uid = newUid();
    expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(newUid()).not.toBe(uid);
  });

  it('CIELab of white, black and red as DICOM scales them', () => {
    const near = (got: number[], want: number[]) => got.forEach((v, i) => expect(Math.abs(v - want[i]), `${got} vs ${want}`).toBeLessThanOrEqual(2));
    near(dicomLab([255, 255, 255]), [65535, 32896, 32896]);
    near(dicomLab([0, 0, 0]), [0, 32896, 32896]);
    const [L, a, b] = dicomLab([255, 0, 0]);
    expect(L / 655.35).toBeCloseTo(53.2, 0);
    expect((a * 255) / 65535 - 128).toBeCloseTo(80.1, 0);
    expect((b * 255) / 65535 - 128).toBeCloseTo(67.2, 0);
  });
});

describe('a series without SOP instance UIDs', () => {
  it('still gets its NIfTI label volume; the DICOM-SEG is skipped with a warning naming the file', async () => {
    const d = tempDir('noseg');
    const s = join(d, 'bare');
    mkdirSync(s);
    for (const k of [0, 1])
      writeFileSync(
        join(s, `b${k}.dcm`),
        makeDicom({ rows: 8, cols: 8, pixels: new Array(64).fill(k), position: [0, 0, k], orientation: [1, 0, 0, 0, 1, 0], seriesUid: '9.9' }),
      );
    const model = join(d, 'echo.onnx');
    writeFileSync(model, echoModel());
    writeFileSync(join(d, 'p.json'), JSON.stringify({ type: 'click', points: [{ x: 2, y: 2, label: 1 }] }));
    const r = await runCli('segment', '--model', model, '--template', s, '--prompt', join(d, 'p.json'), '--query', s, '--out', join(d, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(join(d, 'out'))).toEqual(['labels.json', 'segment.json', 'volumes/bare.nii.gz']);
    expect(r.stderr).toMatch(/warning: .*bare: no DICOM-SEG written: .*b0\.dcm: no SOPInstanceUID\/SOPClassUID/);
  });
});
