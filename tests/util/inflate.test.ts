// Our streaming inflater against Node's zlib: the same bytes for every format, level and strategy, input split at
// random points; a clear InflateError for truncated or corrupt streams; and a sink that stops early stops the work.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import zlib from 'node:zlib';
import { bufferSource, crc32, adler32, inflateAtMost, inflateStream, InflateError, maxInflatedBytes, type InflateFormat } from '../../src/util/inflate.js';

function inflateAll(format: InflateFormat, bytes: Uint8Array, slice?: number): Buffer {
  const parts: Buffer[] = [];
  const r = inflateStream(format, bufferSource(bytes, slice), (c) => void parts.push(Buffer.from(c)));
  expect(r.complete).toBe(true);
  return Buffer.concat(parts);
}

const compress = (format: InflateFormat, data: Uint8Array, level: number, strategy: number): Uint8Array =>
  format === 'gzip'
    ? zlib.gzipSync(data, { level, strategy })
    : format === 'zlib'
      ? zlib.deflateSync(data, { level, strategy })
      : zlib.deflateRawSync(data, { level, strategy });

/** Data that compresses in different ways: noise, few symbols, repeats, long runs. */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 70000 }),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 70000 }).map((a) => Uint8Array.from(a)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 2000 })).map(([u, n]) => {
    const out = new Uint8Array(u.length * n);
    for (let i = 0; i < n; i++) out.set(u, i * u.length);
    return out;
  }),
  fc.integer({ min: 0, max: 3_000_000 }).map((n) => new Uint8Array(n)),
);

describe('inflateStream', () => {
  it("gives zlib's bytes for gzip, zlib and raw streams at every level and strategy, whatever the input slicing", () => {
    fc.assert(
      fc.property(
        data,
        fc.constantFrom<InflateFormat>('gzip', 'zlib', 'raw'),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 70000 }),
        (d, format, level, strategy, slice) => {
          expect(inflateAll(format, compress(format, d, level, strategy), slice).equals(Buffer.from(d))).toBe(true);
        },
      ),
      { numRuns: 120, seed: 16 },
    );
  });

  it('reads concatenated gzip members as one stream, as gunzip does', () => {
    const a = zlib.gzipSync(Buffer.from('first '));
    const b = zlib.gzipSync(Buffer.from('second'));
    expect(inflateAll('gzip', Buffer.concat([a, b])).toString()).toBe('first second');
  });

  it('refuses every truncation of a stream with an InflateError, never a wrong result', () => {
    const z = zlib.gzipSync(Buffer.from('hello, hello, hello world; '.repeat(200)));
    for (let cut = 0; cut < z.length; cut++) expect(() => inflateAll('gzip', z.subarray(0, cut)), `cut ${cut}`).toThrow(InflateError);
  });

  it('detects corrupt data: a flipped bit fails the CRC, a bad block type, a bad header', () => {
    const z = Buffer.from(zlib.gzipSync(Buffer.from('abcdefgh'.repeat(1000))));
    const flipped = Buffer.from(z);
    flipped[z.length - 6] ^= 1; // inside the CRC
    expect(() => inflateAll('gzip', flipped)).toThrow(/CRC-32 mismatch/);
    expect(() => inflateAll('raw', Uint8Array.from([0x07]))).toThrow(/block type 3/);
    expect(() => inflateAll('gzip', Uint8Array.from([0x1f, 0x8c, 8, 0]))).toThrow(/not gzip/);
    expect(() => inflateAll('zlib', Uint8Array.from([0x78, 0x00]))).toThrow(/zlib header/);
  });

  it('never throws anything but InflateError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom<InflateFormat>('gzip', 'zlib', 'raw'), (bytes, format) => {
        try {
          inflateStream(format, bufferSource(bytes), () => undefined);
        } catch (e) {
          expect(e).toBeInstanceOf(InflateError);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('stops when the sink says so: a 1 GiB stream of zeros yields its first bytes without being inflated', () => {
    const c = zlib.gzipSync(new Uint8Array(64 * 2 ** 20), { level: 9 });
    const head = inflateAtMost('gzip', c, 352);
    expect(head.data.length).toBe(352);
    expect(head.more).toBe(true);
    expect(head.complete).toBe(false);
    let out = 0;
    const r = inflateStream('gzip', bufferSource(c), (chunk) => {
      out += chunk.length;
      return out < 2 ** 20;
    });
    expect(r.complete).toBe(false);
    expect(r.bytesOut).toBeLessThan(2 ** 20 + 2 ** 19);
  });

  it('bounds what compressed bytes can inflate to, so a header that declares more is caught before allocating', () => {
    for (const n of [1, 100, 10000]) expect(zlib.inflateRawSync(zlib.deflateRawSync(new Uint8Array(n * 1032 * 4))).length).toBeGreaterThan(0);
    const z = zlib.deflateRawSync(new Uint8Array(50 * 2 ** 20), { level: 9 });
    expect(50 * 2 ** 20).toBeLessThanOrEqual(maxInflatedBytes(z.length));
  });

  it('computes CRC-32 and Adler-32 as zlib does', () => {
    const b = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32(b)).toBe(0x414fa339);
    expect(adler32(b)).toBe(0x5bdc0fda);
    expect(crc32(b.subarray(10), crc32(b.subarray(0, 10)))).toBe(0x414fa339);
  });
});
