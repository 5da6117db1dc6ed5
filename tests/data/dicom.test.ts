import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDicom } from '../../src/app/data/dicom.js';
import { readDicomSeries, readImage, readImages } from '../../src/app/data/load.js';
import { message, right } from './either.js';
import { luminance } from '../../src/app/data/image.js';
import { makeDicom } from './fixtures.js';

const IMPLICIT = '1.2.840.10008.1.2';
const pixels = [0, 100, 200, 300, 400, 500];

describe('DICOM files', () => {
  for (const [name, ts] of [
    ['explicit', '1.2.840.10008.1.2.1'],
    ['implicit', IMPLICIT],
  ] as const) {
    it(`reads ${name} VR little endian, skipping an undefined-length sequence`, () => {
      const bytes = makeDicom({
        rows: 2,
        cols: 3,
        pixels,
        transferSyntax: ts,
        withSequence: true,
        slope: 2,
        intercept: -1024,
        windowCenter: 40,
        windowWidth: 400,
      });
      const [img] = right(parseDicom(bytes, 'a.dcm'));
      expect([img.width, img.height]).toEqual([3, 2]);
      expect(Array.from(img.data)).toEqual(pixels.map((p) => p * 2 - 1024));
      expect(img.meta.window).toEqual({ center: 40, width: 400 });
    });
  }

  it('sign-extends signed pixels from BitsStored', () => {
    // 12-bit signed: 0xFFF is -1, 0x800 is -2048; the top four bits are garbage and must be ignored.
    const [img] = right(parseDicom(makeDicom({ rows: 1, cols: 3, pixels: [0xffff, 0xf800, 0x07ff], signed: true, bitsStored: 12 }), 's.dcm'));
    expect(Array.from(img.data)).toEqual([-1, -2048, 2047]);
  });

  it('reads 8-bit, RGB, MONOCHROME1 and multi-frame files', () => {
    const [b8] = right(parseDicom(makeDicom({ rows: 1, cols: 2, pixels: [7, 250], bitsAllocated: 8 }), 'b.dcm'));
    expect(Array.from(b8.data)).toEqual([7, 250]);
    const [rgb] = right(parseDicom(makeDicom({ rows: 1, cols: 1, pixels: [255, 0, 0], bitsAllocated: 8, samples: 3 }), 'c.dcm'));
    expect(rgb.data[0]).toBeCloseTo(luminance(255, 0, 0), 4);
    const [inv] = right(parseDicom(makeDicom({ rows: 1, cols: 2, pixels: [10, 20], photometric: 'MONOCHROME1' }), 'i.dcm'));
    expect(inv.data[0]).toBeGreaterThan(inv.data[1]); // low stored values are the bright ones
    const frames = right(parseDicom(makeDicom({ rows: 1, cols: 2, pixels: [1, 2, 3, 4, 5, 6], frames: 3 }), 'f.dcm'));
    expect(frames.map((f) => Array.from(f.data))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(frames[2].meta.source).toBe('f.dcm[frame 2]');
  });

  it('refuses the compressed transfer syntaxes it cannot decode, naming file and UID, with a hint', () => {
    const ls = message(parseDicom(makeDicom({ rows: 1, cols: 1, pixels: [0], transferSyntax: '1.2.840.10008.1.2.4.80', encapsulated: true }), 'l.dcm'));
    expect(ls).toContain('l.dcm (tag (0002,0010)): transfer syntax JPEG-LS Lossless (1.2.840.10008.1.2.4.80) is not supported');
    expect(ls).toContain('RLE Lossless, JPEG Baseline, JPEG Lossless, JPEG Lossless SV1');
    expect(ls).toContain('gdcmconv --raw');
    expect(message(parseDicom(makeDicom({ rows: 1, cols: 1, pixels: [0], transferSyntax: '1.2.840.10008.1.2.4.90', encapsulated: true }), 'k.dcm'))).toContain(
      'JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)',
    );
    // Encapsulated data under an uncompressed syntax, and native data under a compressed one: both contradictions.
    expect(message(parseDicom(makeDicom({ rows: 1, cols: 1, pixels: [0], encapsulated: true }), 'e.dcm'))).toContain('encapsulated (compressed) pixel data');
    expect(message(parseDicom(makeDicom({ rows: 1, cols: 1, pixels: [0], transferSyntax: '1.2.840.10008.1.2.5' }), 'r.dcm'))).toContain(
      'RLE Lossless (1.2.840.10008.1.2.5) needs encapsulated Pixel Data',
    );
  });

  it('gives a clear error at every truncation point, never an exception', () => {
    for (const ts of ['1.2.840.10008.1.2.1', IMPLICIT]) {
      const bytes = makeDicom({ rows: 4, cols: 4, pixels: Array.from({ length: 16 }, (_, i) => i), transferSyntax: ts, withSequence: true });
      for (let cut = 0; cut < bytes.length; cut++) {
        const r = parseDicom(bytes.subarray(0, cut), 'cut.dcm');
        const msg = message(r);
        expect(msg.startsWith('cut.dcm')).toBe(true);
        expect(msg).toMatch(/truncated|not a DICOM|no PixelData|missing required|TransferSyntaxUID|corrupt|expected a sequence item/);
      }
    }
  });

  it('names the corrupt place: no DICM, an invalid VR, a bad number', () => {
    expect(message(parseDicom(new Uint8Array(200), 'x.dcm'))).toBe('x.dcm (offset 128): not a DICOM Part-10 file: no "DICM" at offset 128');
    const bytes = makeDicom({ rows: 1, cols: 1, pixels: [0], slope: 1 });
    const bad = bytes.slice();
    // Overwrite the VR of the first data-set element ("CS" of Modality) with lower-case junk.
    const at = findTag(bad, 0x0008, 0x0060) + 4;
    bad[at] = 0x3f;
    expect(message(parseDicom(bad, 'v.dcm'))).toMatch(/invalid VR "\?S" for tag \(0008,0060\)/);
    const nan = makeDicom({ rows: 1, cols: 1, pixels: [0], slope: 1 });
    nan[findTag(nan, 0x0028, 0x1053) + 8] = 0x78; // "1 " → "x "
    expect(message(parseDicom(nan, 'n.dcm'))).toContain('(tag (0028,1053)): RescaleSlope value "x" is not a number');
  });
});

function findTag(bytes: Uint8Array, group: number, element: number): number {
  for (let i = 132; i < bytes.length - 4; i++) {
    if (bytes[i] === (group & 0xff) && bytes[i + 1] === group >> 8 && bytes[i + 2] === (element & 0xff) && bytes[i + 3] === element >> 8) return i;
  }
  throw new Error('tag not in fixture');
}

describe('DICOM series folders', () => {
  const orientation = [1, 0, 0, 0, 1, 0];
  const writeSeries = (dir: string, uid = '1.2.3', shuffle = [2, 0, 1]) => {
    for (const z of shuffle) {
      // Instance numbers deliberately disagree with the positions: geometry wins.
      writeFileSync(
        join(dir, `img${z}.dcm`),
        makeDicom({ rows: 1, cols: 1, pixels: [z], position: [0, 0, -5 * z], orientation, instanceNumber: z, seriesUid: uid }),
      );
    }
  };

  it('sorts slices along the normal, skipping non-DICOM files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcm-'));
    writeSeries(dir);
    writeFileSync(join(dir, 'README.txt'), 'not an image');
    const series = right(readDicomSeries(dir));
    expect(series.map((s) => s.data[0])).toEqual([2, 1, 0]); // z = -10, -5, 0
    expect(right(readImages(dir))).toHaveLength(3);
    expect(right(readImage(dir, { slice: 0 })).data[0]).toBe(2);
  });

  it('falls back to InstanceNumber, and refuses mixed series', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcm-'));
    for (const n of [3, 1, 2]) writeFileSync(join(dir, `x${n}.dcm`), makeDicom({ rows: 1, cols: 1, pixels: [n * 10], instanceNumber: n, seriesUid: '9' }));
    expect(right(readDicomSeries(dir)).map((s) => s.data[0])).toEqual([10, 20, 30]);
    const mixed = mkdtempSync(join(tmpdir(), 'dcm-'));
    writeSeries(mixed, 'A', [0, 1]);
    writeFileSync(join(mixed, 'other.dcm'), makeDicom({ rows: 1, cols: 1, pixels: [0], seriesUid: 'B' }));
    expect(message(readDicomSeries(mixed))).toContain('the folder mixes 2 series: A (2 files), B (1 files)');
    const empty = join(mkdtempSync(join(tmpdir(), 'dcm-')), 'empty');
    mkdirSync(empty);
    expect(message(readDicomSeries(empty))).toContain('no DICOM files');
  });

  it('names the broken file in a series', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcm-'));
    writeSeries(dir);
    const bytes = makeDicom({ rows: 4, cols: 4, pixels: new Array(16).fill(1), seriesUid: '1.2.3' });
    writeFileSync(join(dir, 'img9.dcm'), bytes.subarray(0, bytes.length - 7));
    expect(message(readDicomSeries(dir))).toMatch(/img9\.dcm \(offset \d+.*truncated/);
  });
});
