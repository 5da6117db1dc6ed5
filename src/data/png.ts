// PNG in and out. Decoding goes through pngjs (8/16-bit, grey/RGB/RGBA/palette, 1–16 bit depths); the header is
// checked here first so an absurd size is refused before any allocation. Encoding is written here: grey 8/16-bit
// images, 0/255 masks and RGB overlays are all we write, and doing it directly keeps 16-bit byte order explicit.
// Node-only (zlib, Buffer).
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, MAX_PIXELS, type GreyImage, type LoadedImage, type Mask } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (bytes: Uint8Array): boolean => bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);

interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
}

const VALID_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function readHeader(bytes: Uint8Array): PngHeader {
  if (!isPng(bytes)) throw new ParseFailure('not a PNG file: the 8-byte PNG signature is missing', 'offset 0');
  const r = new ByteReader(bytes, 'PNG', false);
  const type = r.ascii(12, 4, 'IHDR chunk type');
  if (type !== 'IHDR') throw new ParseFailure(`first chunk is "${type}", expected "IHDR"`, 'offset 12');
  const width = r.u32(16, 'IHDR width');
  const height = r.u32(20, 'IHDR height');
  const bitDepth = r.u8(24, 'IHDR bit depth');
  const colorType = r.u8(25, 'IHDR colour type');
  if (width === 0 || height === 0) throw new ParseFailure(`image size ${width}×${height} is empty`, 'offset 16');
  if (width * height > MAX_PIXELS) throw new ParseFailure(`image size ${width}×${height} exceeds the ${MAX_PIXELS}-pixel limit`, 'offset 16');
  if (!(VALID_DEPTHS[colorType] ?? []).includes(bitDepth)) {
    throw new ParseFailure(`invalid colour type ${colorType} with bit depth ${bitDepth}`, 'offset 24');
  }
  return { width, height, bitDepth, colorType };
}

/**
 * Decode to grey: grey stays as is, RGB(A) and palette become luminance; alpha is ignored. Values keep the file's
 * scale (0..255 for 8-bit, 0..65535 for 16-bit, 0..2^d−1 for low bit depths); normalise afterwards.
 */
export function decodePng(bytes: Uint8Array, file: string): E.Either<DataError, LoadedImage> {
  return parseWith(file, () => {
    const header = readHeader(bytes);
    let png: { width: number; height: number; data: ArrayLike<number> };
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true }) as unknown as typeof png;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      // pngjs reports a cut-off file as a stream or inflate error; say what it means.
      const truncated = /end|unexpected|incomplete|invalid inflate|unfinished/i.test(why);
      throw new ParseFailure(truncated ? `truncated or corrupt PNG data (${why})` : `corrupt PNG: ${why}`);
    }
    const { width, height } = png;
    if (width !== header.width || height !== header.height) throw new ParseFailure('decoded size differs from the IHDR size');
    const n = width * height;
    if (png.data.length < n * 4) throw new ParseFailure(`truncated PNG data: ${png.data.length} samples for ${width}×${height} RGBA`);
    const out = new Float32Array(n);
    const grey = header.colorType === 0 || header.colorType === 4;
    for (let i = 0; i < n; i++) {
      const r = png.data[i * 4];
      out[i] = grey ? r : luminance(r, png.data[i * 4 + 1], png.data[i * 4 + 2]);
    }
    return { ...greyImage(width, height, out), meta: { source: file } };
  });
}

// ---------- encoding ----------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts: readonly Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  const t = Uint8Array.from(type, (ch) => ch.charCodeAt(0));
  out.set(t, 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32([t, data]));
  return out;
}

export interface RawPng {
  readonly width: number;
  readonly height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  readonly colorType: 0 | 2 | 3 | 4 | 6;
  readonly bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Unfiltered scanlines, packed as the PNG spec says (big-endian 16-bit samples, sub-byte depths packed MSB first). */
  readonly scanlines: Uint8Array;
  /** RGB triples, for colour type 3. */
  readonly palette?: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Low-level encoder (filter type 0 on every row). */
export function encodePngRaw(p: RawPng): Uint8Array {
  const rowBytes = Math.ceil((p.width * CHANNELS[p.colorType] * p.bitDepth) / 8);
  if (p.scanlines.length !== rowBytes * p.height) {
    throw new RangeError(`encodePngRaw: ${p.scanlines.length} bytes of scanlines, expected ${rowBytes * p.height}`);
  }
  const filtered = new Uint8Array((rowBytes + 1) * p.height);
  for (let y = 0; y < p.height; y++) filtered.set(p.scanlines.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, p.width);
  v.setUint32(4, p.height);
  ihdr[8] = p.bitDepth;
  ihdr[9] = p.colorType;
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr)];
  if (p.palette) parts.push(chunk('PLTE', p.palette));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(filtered, { level: 9 }))), chunk('IEND', new Uint8Array(0)));
  const total = parts.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** A grey image with values in [0, 1] (clamped) as an 8- or 16-bit grey PNG. */
export function encodeGreyPng(img: GreyImage, bitDepth: 8 | 16 = 8): Uint8Array {
  const n = img.width * img.height;
  const max = bitDepth === 8 ? 255 : 65535;
  const bytes = new Uint8Array(n * (bitDepth / 8));
  for (let i = 0; i < n; i++) {
    const v = Math.round(Math.min(1, Math.max(0, img.data[i])) * max);
    if (bitDepth === 8) bytes[i] = v;
    else {
      bytes[2 * i] = v >> 8;
      bytes[2 * i + 1] = v & 0xff;
    }
  }
  return encodePngRaw({ width: img.width, height: img.height, colorType: 0, bitDepth, scanlines: bytes });
}

/** A mask as an 8-bit grey PNG: 0 background, 255 foreground (reads back as non-zero = 1). */
export function encodeMaskPng(mask: Mask): Uint8Array {
  const bytes = new Uint8Array(mask.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = mask.data[i] ? 255 : 0;
  return encodePngRaw({ width: mask.width, height: mask.height, colorType: 0, bitDepth: 8, scanlines: bytes });
}

/** Interleaved 8-bit RGB (e.g. an overlay) as a PNG. */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  return encodePngRaw({ width, height, colorType: 2, bitDepth: 8, scanlines: rgb });
}
