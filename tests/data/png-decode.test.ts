// Our PNG decoder (src/app/data/png.ts) against images encoded here independently: every colour type and bit depth,
// Adam7 interlacing, a random filter type per scanline (the encoder applies the forward filters), IDAT split into
// several chunks; and against pngjs for the non-interlaced ones. The expected grey values come from the raw samples.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as E from 'fp-ts/lib/Either.js';
import { decodePng } from '../../src/app/data/png.js';
import { luminance } from '../../src/app/data/image.js';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

const crc32 = (b: Uint8Array): number => {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
};
const chunk = (type: string, data: Uint8Array): Buffer => {
  const t = Buffer.from(type, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(Buffer.concat([t, data])));
  return Buffer.concat([len, t, data, c]);
};
const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

interface Spec {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  interlaced: boolean;
  /** samples[y][x][c], each < 2^bitDepth (palette: an index into `palette`). */
  samples: number[][][];
  palette: number[][];
  filters: number[];
  idatSplit: number;
}

function encode(s: Spec): Uint8Array {
  const ch = CHANNELS[s.colorType];
  const bitsPerPixel = ch * s.bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = s.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const raw: number[] = [];
  let f = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((s.width - x0) / dx);
    const ph = Math.ceil((s.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Array<number>(rowBytes).fill(0);
    for (let r = 0; r < ph; r++) {
      const row = new Array<number>(rowBytes).fill(0);
      for (let i = 0; i < pw; i++) {
        const px = s.samples[y0 + r * dy][x0 + i * dx];
        for (let c = 0; c < ch; c++) {
          const v = px[c];
          if (s.bitDepth === 16) {
            row[2 * (i * ch + c)] = v >> 8;
            row[2 * (i * ch + c) + 1] = v & 0xff;
          } else if (s.bitDepth === 8) row[i * ch + c] = v;
          else {
            const bit = i * s.bitDepth;
            row[bit >> 3] |= v << (8 - s.bitDepth - (bit & 7));
          }
        }
      }
      const type = s.filters[f++ % s.filters.length];
      const out = row.map((x, i) => {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type];
        return (x - pred) & 0xff;
      });
      raw.push(type, ...out);
      prev = row;
    }
  }
  const z = deflateSync(Uint8Array.from(raw));
  const parts: Uint8Array[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = s.bitDepth;
  ihdr[9] = s.colorType;
  ihdr[12] = s.interlaced ? 1 : 0;
  parts.push(chunk('IHDR', ihdr));
  if (s.colorType === 3) parts.push(chunk('PLTE', Uint8Array.from(s.palette.flat())));
  const cut = Math.min(z.length, s.idatSplit);
  parts.push(chunk('IDAT', z.subarray(0, cut)), chunk('tEXt', Buffer.from('Comment\0after the image data')));
  if (cut < z.length) parts.splice(parts.length - 1, 0, chunk('IDAT', z.subarray(cut)));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

const expected = (s: Spec): number[] =>
  s.samples.flatMap((row) =>
    row.map((px) => {
      if (s.colorType === 0 || s.colorType === 4) return px[0];
      if (s.colorType === 3) return Math.fround(luminance(s.palette[px[0]][0], s.palette[px[0]][1], s.palette[px[0]][2]));
      return Math.fround(luminance(px[0], px[1], px[2]));
    }),
  );

const spec: fc.Arbitrary<Spec> = fc
  .record({
    width: fc.integer({ min: 1, max: 19 }),
    height: fc.integer({ min: 1, max: 19 }),
    colorType: fc.constantFrom(0, 2, 3, 4, 6),
    interlaced: fc.boolean(),
    filters: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 }),
    idatSplit: fc.integer({ min: 1, max: 200 }),
    seed: fc.integer(),
  })
  .chain((r) =>
    fc.constantFrom(...DEPTHS[r.colorType]).chain((bitDepth) => {
      const max = r.colorType === 3 ? 0 : 2 ** bitDepth - 1;
      const paletteSize = r.colorType === 3 ? fc.integer({ min: 1, max: 2 ** bitDepth }) : fc.constant(0);
      return paletteSize.chain((n) =>
        fc
          .record({
            palette: fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), {
              minLength: n,
              maxLength: n,
            }),
            samples: fc.array(
              fc.array(
                fc.array(fc.integer({ min: 0, max: r.colorType === 3 ? Math.max(0, n - 1) : max }), {
                  minLength: CHANNELS[r.colorType],
                  maxLength: CHANNELS[r.colorType],
                }),
                { minLength: r.width, maxLength: r.width },
              ),
              { minLength: r.height, maxLength: r.height },
            ),
          })
          .map((x) => ({ ...r, bitDepth, palette: x.palette as number[][], samples: x.samples })),
      );
    }),
  );

describe('PNG decoding (our own, on the bounded inflater)', () => {
  it('gives the samples of every colour type, depth, filter and interlacing', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const r = decodePng(encode(s), 'p.png');
        if (E.isLeft(r)) throw new Error(r.left.message);
        expect([r.right.width, r.right.height]).toEqual([s.width, s.height]);
        expect(Array.from(r.right.data)).toEqual(expected(s));
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  it('agrees with pngjs on non-interlaced images', () => {
    fc.assert(
      fc.property(
        spec.filter((s) => !s.interlaced),
        (s) => {
          const bytes = encode(s);
          const ref = PNG.sync.read(Buffer.from(bytes), { skipRescale: true });
          const grey = s.colorType === 0 || s.colorType === 4;
          const want = Array.from({ length: s.width * s.height }, (_, i) =>
            grey ? ref.data[4 * i] : Math.fround(luminance(ref.data[4 * i], ref.data[4 * i + 1], ref.data[4 * i + 2])),
          );
          const r = decodePng(bytes, 'p.png');
          expect(E.isRight(r) && Array.from(r.right.data)).toEqual(want);
        },
      ),
      { numRuns: 200, seed: 17 },
    );
  });

  it('refuses a palette index past the palette', () => {
    const s: Spec = {
      width: 2,
      height: 1,
      colorType: 3,
      bitDepth: 8,
      interlaced: false,
      samples: [[[0], [3]]],
      palette: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      filters: [0],
      idatSplit: 100,
    };
    const r = decodePng(encode(s), 'p.png');
    expect(E.isLeft(r) && r.left.message).toBe('corrupt PNG data: palette index 3 in scanline 0, but the palette has 2 entries');
  });
});
