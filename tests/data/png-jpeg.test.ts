import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import jpeg from 'jpeg-js';
import { decodePng, encodeGreyPng, encodeMaskPng, encodePngRaw } from '../../src/app/data/png.js';
import { decodeJpeg } from '../../src/app/data/jpeg.js';
import { greyImage, luminance, maskFromImage } from '../../src/app/data/image.js';
import { formatDataError } from '../../src/app/data/errors.js';

const right = <T>(r: E.Either<unknown, T>): T => {
  if (E.isLeft(r)) throw new Error(`expected Right, got ${JSON.stringify(r.left)}`);
  return r.right;
};
const leftMessage = (r: E.Either<Parameters<typeof formatDataError>[0], unknown>): string => {
  if (E.isRight(r)) throw new Error('expected an error, got an image');
  return formatDataError(r.left);
};

describe('PNG', () => {
  it('decodes 8-bit grey exactly', () => {
    const img = greyImage(3, 2, Float32Array.from([0, 0.2, 0.4, 0.6, 0.8, 1]));
    const out = right(decodePng(encodeGreyPng(img, 8), 'a.png'));
    expect([out.width, out.height]).toEqual([3, 2]);
    expect(Array.from(out.data)).toEqual(Array.from(img.data, (v) => Math.round(v * 255)));
  });

  it('keeps the full range of 16-bit grey', () => {
    const img = greyImage(4, 1, Float32Array.from([0, 1 / 65535, 0.5, 1]));
    const out = right(decodePng(encodeGreyPng(img, 16), 'a16.png'));
    expect(Array.from(out.data)).toEqual([0, 1, 32768, 65535]);
  });

  it('turns RGB, RGBA and palette pixels into luminance', () => {
    const rgb = encodePngRaw({ width: 2, height: 1, colorType: 2, bitDepth: 8, scanlines: Uint8Array.from([255, 0, 0, 10, 200, 30]) });
    expect(Array.from(right(decodePng(rgb, 'rgb.png')).data)).toEqual([luminance(255, 0, 0), luminance(10, 200, 30)].map(Math.fround));
    const rgba = encodePngRaw({ width: 1, height: 1, colorType: 6, bitDepth: 8, scanlines: Uint8Array.from([0, 0, 255, 0]) });
    expect(right(decodePng(rgba, 'rgba.png')).data[0]).toBeCloseTo(luminance(0, 0, 255), 4);
    const palette = Uint8Array.from([0, 0, 0, 0, 255, 0]);
    const pal = encodePngRaw({ width: 2, height: 1, colorType: 3, bitDepth: 8, scanlines: Uint8Array.from([1, 0]), palette });
    const p = right(decodePng(pal, 'pal.png'));
    expect(p.data[0]).toBeCloseTo(luminance(0, 255, 0), 4);
    expect(p.data[1]).toBe(0);
  });

  it('reads 1-bit grey as 0/1 and masks as non-zero', () => {
    // 10 pixels at 1 bit: 1011000001 packed MSB first into 2 bytes.
    const png = encodePngRaw({ width: 10, height: 1, colorType: 0, bitDepth: 1, scanlines: Uint8Array.from([0b10110000, 0b01000000]) });
    const img = right(decodePng(png, 'bits.png'));
    expect(Array.from(img.data)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1]);
    const mask = { width: 3, height: 1, data: Uint8Array.from([0, 1, 1]) };
    expect(Array.from(maskFromImage(right(decodePng(encodeMaskPng(mask), 'm.png'))).data)).toEqual([0, 1, 1]);
  });

  it('gives a clear error for every truncation point, never an exception', () => {
    const bytes = encodeGreyPng(
      greyImage(
        16,
        16,
        Float32Array.from({ length: 256 }, (_, i) => ((i * 37) % 256) / 255),
      ),
    );
    for (let cut = 0; cut < bytes.length; cut += 3) {
      const r = decodePng(bytes.subarray(0, cut), 'cut.png');
      expect(E.isLeft(r), `cut at ${cut}`).toBe(true);
      const msg = leftMessage(r);
      expect(msg.startsWith('cut.png')).toBe(true);
      if (cut >= 33) expect(msg).toMatch(/truncated|corrupt/);
    }
  });

  it('names the problem for bad signatures, sizes and corrupt data', () => {
    const bytes = encodeGreyPng(greyImage(8, 8));
    expect(leftMessage(decodePng(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'x.png'))).toContain('not a PNG file');
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(16, 100000);
    new DataView(huge.buffer).setUint32(20, 100000);
    expect(leftMessage(decodePng(huge, 'huge.png'))).toMatch(/exceeds the pixel limit: the limit is .* --max-pixels/);
    const flipped = bytes.slice();
    flipped[45] ^= 0xff; // inside IDAT: the CRC no longer matches
    expect(leftMessage(decodePng(flipped, 'flip.png'))).toMatch(/flip\.png( \(offset \d+\))?: (truncated or )?corrupt/);
  });
});

describe('JPEG', () => {
  const rgba = (w: number, h: number) => {
    const d = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        d.set([x * 16, y * 16, 128, 255], i);
      }
    return d;
  };

  it('decodes colour to luminance within JPEG error', () => {
    const bytes = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba(16, 16) }, 95).data);
    const img = right(decodeJpeg(bytes, 'a.jpg'));
    expect([img.width, img.height]).toEqual([16, 16]);
    let worst = 0;
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) worst = Math.max(worst, Math.abs(img.data[y * 16 + x] - luminance(x * 16, y * 16, 128)));
    expect(worst).toBeLessThan(12);
  });

  it('refuses truncated files with a clear message at every cut point', () => {
    const bytes = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba(16, 16) }, 90).data);
    for (let cut = 0; cut < bytes.length - 2; cut += 5) {
      const r = decodeJpeg(bytes.subarray(0, cut), 'cut.jpg');
      const msg = leftMessage(r);
      expect(msg).toMatch(/^cut\.jpg.*(truncated|not a JPEG)/);
    }
  });

  it('reports a broken segment chain and survives random corruption', () => {
    const bytes = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba(16, 16) }, 90).data);
    const broken = bytes.slice();
    broken[2 + 2 + ((bytes[4] << 8) | bytes[5])] = 0x12; // the second segment's FF
    expect(leftMessage(decodeJpeg(broken, 'b.jpg'))).toContain('expected a marker');
    let seed = 7;
    for (let k = 0; k < 30; k++) {
      const c = bytes.slice();
      for (let j = 0; j < 4; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        c[20 + (seed % (c.length - 22))] = seed >>> 24;
      }
      // Corrupt entropy-coded data may still decode to a (wrong) picture; it must never throw.
      expect(() => decodeJpeg(c, 'r.jpg')).not.toThrow();
    }
  });
});
