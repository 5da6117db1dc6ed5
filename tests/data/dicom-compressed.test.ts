// Compressed DICOM: RLE Lossless (our decoder) against frames RLE-encoded here, and, where dcmtk is installed, files
// compressed by an independent encoder (dcmcrle, dcmcjpeg: RLE, JPEG Lossless 4.57 and SV1 4.70, JPEG Baseline)
// decoded back to the original pixels (exactly for lossless; within JPEG's error for baseline); JPEG-LS is refused
// with the file and the syntax's UID. Fragments and frames: offset table, one fragment per frame, split frames.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDicom } from '../../src/app/data/dicom.js';
import { decodeRleFrame } from '../../src/app/data/dicom-rle.js';
import { message, right } from './either.js';
import { makeDicom } from './fixtures.js';
import { toolExists } from './python-oracle.js';

const RLE = '1.2.840.10008.1.2.5';

/** PackBits: replicate runs for 3+ equal bytes, literal runs otherwise (both at most 128 long). */
function packBits(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 3) {
      out.push((1 - run) & 0xff, bytes[i]);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128 && !(i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2])) i++;
    out.push(i - start - 1, ...bytes.subarray(start, i));
  }
  return out;
}

/** An RLE frame: samples × bytes planes, most significant byte first, each PackBits-coded. */
function rleFrame(samples: number[], perPixel: number, bytesPerSample: number): Uint8Array {
  const pixels = samples.length / perPixel;
  const segments: number[][] = [];
  for (let s = 0; s < perPixel; s++) {
    for (let b = bytesPerSample - 1; b >= 0; b--)
      segments.push(packBits(Uint8Array.from({ length: pixels }, (_, p) => (samples[p * perPixel + s] >> (8 * b)) & 0xff)));
  }
  const header = new Uint32Array(16);
  header[0] = segments.length;
  let at = 64;
  segments.forEach((seg, i) => {
    header[i + 1] = at;
    at += seg.length;
  });
  return Uint8Array.from([...new Uint8Array(header.buffer), ...segments.flat()]);
}

describe('RLE Lossless', () => {
  it('decodes 8-bit grey, 16-bit signed and 8-bit RGB frames to the original samples', () => {
    const grey = Array.from({ length: 5 * 7 }, (_, i) => (i < 12 ? 9 : (i * 37) % 256));
    const [g] = right(
      parseDicom(makeDicom({ rows: 5, cols: 7, pixels: grey, bitsAllocated: 8, transferSyntax: RLE, fragments: [rleFrame(grey, 1, 1)] }), 'g.dcm'),
    );
    expect(Array.from(g.data)).toEqual(grey);
    const signed = Array.from({ length: 4 * 6 }, (_, i) => (i * 997 - 9000) & 0xffff);
    const [s] = right(
      parseDicom(
        makeDicom({ rows: 4, cols: 6, pixels: signed, signed: true, slope: 1, intercept: 0, transferSyntax: RLE, fragments: [rleFrame(signed, 1, 2)] }),
        's.dcm',
      ),
    );
    expect(Array.from(s.data)).toEqual(signed.map((v) => (v >= 0x8000 ? v - 0x10000 : v)));
    const rgb = Array.from({ length: 3 * 3 * 2 }, (_, i) => (i % 3 === 0 ? 255 : i * 10));
    const [c] = right(
      parseDicom(makeDicom({ rows: 2, cols: 3, pixels: rgb, bitsAllocated: 8, samples: 3, transferSyntax: RLE, fragments: [rleFrame(rgb, 3, 1)] }), 'c.dcm'),
    );
    expect(c.data[0]).toBeCloseTo(0.299 * 255 + 0.587 * 10 + 0.114 * 20, 4);
  });

  it('splits frames by the Basic Offset Table or one fragment per frame', () => {
    const frames = [0, 1, 2].map((f) => Array.from({ length: 6 }, (_, i) => f * 100 + i));
    const coded = frames.map((f) => rleFrame(f, 1, 2));
    const table = coded.reduce<number[]>((a, _, i) => [...a, i === 0 ? 0 : a[i - 1] + 8 + coded[i - 1].length + (coded[i - 1].length % 2)], []);
    for (const offsetTable of [undefined, table]) {
      const all = right(
        parseDicom(makeDicom({ rows: 2, cols: 3, pixels: frames.flat(), frames: 3, transferSyntax: RLE, fragments: coded, offsetTable }), 'm.dcm'),
      );
      expect(all.map((f) => Array.from(f.data))).toEqual(frames);
    }
    const two = message(
      parseDicom(makeDicom({ rows: 2, cols: 3, pixels: frames.flat(), frames: 3, transferSyntax: RLE, fragments: coded.slice(0, 2) }), 'x.dcm'),
    );
    expect(two).toContain('x.dcm (tag (7FE0,0010)): cannot split 2 fragments into 3 frames: no Basic Offset Table');
  });

  it('reports broken segments with the frame and segment', () => {
    const good = rleFrame([1, 2, 3, 4, 5, 6], 1, 1);
    const where = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return `${(e as { where?: string }).where}: ${(e as Error).message}`;
      }
      return undefined;
    };
    expect(where(() => decodeRleFrame(good.subarray(0, good.length - 2), { rows: 2, cols: 3, samples: 1, bitsAllocated: 8 }, 'frame 0'))).toBe(
      "frame 0, RLE segment 0: RLE literal run of 6 bytes runs past the segment's end",
    );
    expect(() => decodeRleFrame(good, { rows: 2, cols: 3, samples: 1, bitsAllocated: 16 }, 'frame 0')).toThrow(
      'RLE frame has 1 segments; 1 sample(s) of 16 bits need 2',
    );
    const msg = message(
      parseDicom(makeDicom({ rows: 2, cols: 3, pixels: [0], bitsAllocated: 8, transferSyntax: RLE, fragments: [good.subarray(0, 30)] }), 'h.dcm'),
    );
    expect(msg).toContain('h.dcm (frame 0, tag (7FE0,0010)): RLE frame of 30 bytes is shorter than its 64-byte header');
  });
});

const DCMTK = toolExists('dcmcjpeg') && toolExists('dcmcrle');

describe.skipIf(!DCMTK)('files compressed by dcmtk (an independent encoder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcm-compressed-'));
  const [W, H] = [37, 23];
  const ct = Array.from({ length: W * H * 2 }, (_, i) => Math.round(1000 + 900 * Math.sin(i / 17) + (i % 13) * 5) & 0xfff);
  const source = (name: string, frames: 1 | 2, bits: 8 | 16): string => {
    const pixels = bits === 8 ? ct.map((v) => v >> 4) : ct;
    const file = join(dir, name);
    writeFileSync(
      file,
      makeDicom({
        rows: H,
        cols: W,
        pixels: pixels.slice(0, W * H * frames),
        bitsAllocated: bits,
        bitsStored: bits === 8 ? 8 : 12,
        ...(frames > 1 ? { frames } : {}),
        tags: [
          [0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.7'],
          [0x0008, 0x0018, 'UI', `1.2.3.${frames}.${bits}`],
        ],
      }),
    );
    return file;
  };
  const run = (tool: string, args: string[], input: string, output: string): void => {
    const r = spawnSync(tool, [...args, input, output], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  };
  const tsOf = (file: string): string => {
    const bytes = readFileSync(file, 'latin1');
    return /1\.2\.840\.10008\.1\.2(\.[0-9.]+)?/.exec(bytes.slice(132, 400))![0];
  };

  for (const [label, tool, args, ts] of [
    ['RLE Lossless (dcmcrle)', 'dcmcrle', [], RLE],
    ['JPEG Lossless SV1 (dcmcjpeg +e1)', 'dcmcjpeg', ['+e1'], '1.2.840.10008.1.2.4.70'],
    ['JPEG Lossless, predictor 7 (dcmcjpeg +el +sv 7)', 'dcmcjpeg', ['+el', '+sv', '7'], '1.2.840.10008.1.2.4.57'],
  ] as const) {
    for (const frames of [1, 2] as const) {
      it(`${label}, 12-bit, ${frames} frame(s): exactly the original pixels`, () => {
        const input = source(`in-${frames}.dcm`, frames, 16);
        const out = join(dir, `${tool}${args.join('')}-${frames}.dcm`);
        run(tool, [...args], input, out);
        expect(tsOf(out)).toBe(ts);
        const decoded = right(parseDicom(new Uint8Array(readFileSync(out)), out));
        expect(decoded).toHaveLength(frames);
        expect(decoded.flatMap((f) => Array.from(f.data))).toEqual(ct.slice(0, W * H * frames));
      });
    }
  }

  it('a JPEG frame whose own header declares another size is refused before it is decoded', () => {
    const input = source('in-sof.dcm', 1, 16);
    const out = join(dir, 'sof.dcm');
    run('dcmcjpeg', ['+e1'], input, out);
    const bytes = new Uint8Array(readFileSync(out));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc3);
    expect(sof).toBeGreaterThan(132);
    const withSize = (w: number, h: number): Uint8Array => {
      const b = bytes.slice();
      new DataView(b.buffer).setUint16(sof + 5, h);
      new DataView(b.buffer).setUint16(sof + 7, w);
      return b;
    };
    expect(message(parseDicom(withSize(100, 50), 'odd.dcm'))).toBe('odd.dcm (frame 0, tag (7FE0,0010)): JPEG frame is 100×50, the header says 37×23');
    // A frame claiming 60000² (3.6 G pixels) is refused by the pixel limit, not handed to the decoder to allocate.
    expect(message(parseDicom(withSize(60000, 60000), 'big.dcm'))).toContain(
      'big.dcm (frame 0, tag (7FE0,0010)): JPEG size 60000×60000 (3600000000 pixels) exceeds the pixel limit',
    );
  });

  it("JPEG Baseline (dcmcjpeg +eb), 8-bit: the original pixels within JPEG's error", () => {
    const input = source('in8.dcm', 1, 8);
    const out = join(dir, 'baseline.dcm');
    run('dcmcjpeg', ['+eb', '+q', '95'], input, out);
    expect(tsOf(out)).toBe('1.2.840.10008.1.2.4.50');
    const [img] = right(parseDicom(new Uint8Array(readFileSync(out)), out));
    const original = ct.slice(0, W * H).map((v) => v >> 4);
    const meanError = original.reduce((a, v, i) => a + Math.abs(v - img.data[i]), 0) / original.length;
    expect(meanError).toBeLessThan(2);
  });

  it.skipIf(!toolExists('dcmcjpls'))('JPEG-LS (dcmcjpls) is refused with the file, the syntax and its UID', () => {
    const input = source('in-ls.dcm', 1, 16);
    const out = join(dir, 'jpegls.dcm');
    run('dcmcjpls', [], input, out);
    expect(message(parseDicom(new Uint8Array(readFileSync(out)), out))).toContain(
      `${out} (tag (0002,0010)): transfer syntax JPEG-LS Lossless (1.2.840.10008.1.2.4.80) is not supported`,
    );
  });
});
