// PNG in and out. Decoding is written here on our streaming inflater (src/util/inflate.ts): the header is checked
// first (size against the pixel limit, depth and colour type), the compressed data is inflated row by row into one
// float image and never past what the header declares, and data that ends early is an error rather than
// uninitialised memory. 8/16-bit and 1/2/4-bit depths, grey/RGB/palette/alpha, Adam7 interlacing. Encoding is
// written here too: grey 8/16-bit images, 0/255 masks and RGB overlays are all we write, and doing it directly keeps
// 16-bit byte order explicit. Node-only (zlib for encoding, Buffer).
import { deflateSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type GreyImage, type LoadedImage, type Mask } from './image.js';
import { loadLimits, pixelLimitHint } from './limits.js';
import { crc32 as crc32Of, inflateStream, InflateError, maxInflatedBytes } from '../../util/inflate.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (bytes: Uint8Array): boolean => bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);

interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

const VALID_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function readHeader(bytes: Uint8Array): PngHeader {
  if (!isPng(bytes)) throw new ParseFailure('not a PNG file: the 8-byte PNG signature is missing', 'offset 0');
  const r = new ByteReader(bytes, 'PNG', false);
  const type = r.ascii(12, 4, 'IHDR chunk type');
  if (type !== 'IHDR') throw new ParseFailure(`first chunk is ${JSON.stringify(type)}, expected "IHDR"`, 'offset 12');
  if (r.u32(8, 'IHDR length') !== 13) throw new ParseFailure(`IHDR chunk has ${r.u32(8, 'IHDR length')} bytes, expected 13`, 'offset 8');
  const width = r.u32(16, 'IHDR width');
  const height = r.u32(20, 'IHDR height');
  const bitDepth = r.u8(24, 'IHDR bit depth');
  const colorType = r.u8(25, 'IHDR colour type');
  if (width === 0 || height === 0) throw new ParseFailure(`image size ${width}×${height} is empty`, 'offset 16');
  const { maxPixels } = loadLimits();
  if (width * height > maxPixels)
    throw new ParseFailure(`image size ${width}×${height} (${width * height} pixels) exceeds the pixel limit: ${pixelLimitHint()}`, 'offset 16');
  if (!(VALID_DEPTHS[colorType] ?? []).includes(bitDepth)) {
    throw new ParseFailure(`invalid colour type ${colorType} with bit depth ${bitDepth}`, 'offset 24');
  }
  if (r.u8(26, 'IHDR compression method') !== 0) throw new ParseFailure(`unknown compression method ${r.u8(26, 'IHDR compression method')}`, 'offset 26');
  if (r.u8(27, 'IHDR filter method') !== 0) throw new ParseFailure(`unknown filter method ${r.u8(27, 'IHDR filter method')}`, 'offset 27');
  const interlace = r.u8(28, 'IHDR interlace method');
  if (interlace > 1) throw new ParseFailure(`unknown interlace method ${interlace}`, 'offset 28');
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

interface Chunks {
  /** The IDAT payloads, in order. */
  readonly data: Uint8Array[];
  readonly palette?: Uint8Array;
}

/** Walk the chunks after the signature: lengths in bounds, CRCs right, IDAT and PLTE collected, IEND at the end. */
function readChunks(bytes: Uint8Array, header: PngHeader): Chunks {
  const r = new ByteReader(bytes, 'PNG', false);
  const data: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  for (let o = 8; ; ) {
    if (o + 12 > bytes.length) throw new ParseFailure('truncated PNG: the file ends before its IEND chunk', `offset ${o}`);
    const len = r.u32(o, 'chunk length');
    const type = r.ascii(o + 4, 4, 'chunk type');
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ParseFailure(`corrupt PNG: invalid chunk type ${JSON.stringify(type)}`, `offset ${o + 4}`);
    if (o + 12 + len > bytes.length) throw new ParseFailure(`truncated PNG: chunk ${type} declares ${len} bytes past the end of the file`, `offset ${o}`);
    const body = bytes.subarray(o + 8, o + 8 + len);
    const stored = r.u32(o + 8 + len, 'chunk CRC');
    if (crc32([bytes.subarray(o + 4, o + 8 + len)]) !== stored) throw new ParseFailure(`corrupt PNG: CRC mismatch in chunk ${type}`, `offset ${o}`);
    if (type === 'IDAT') data.push(body);
    else if (type === 'PLTE') {
      if (len % 3 !== 0 || len === 0 || len > 768)
        throw new ParseFailure(`corrupt PNG: palette of ${len} bytes (1 to 256 RGB entries expected)`, `offset ${o}`);
      palette = body;
    } else if (type === 'IEND') break;
    else if (type[0] >= 'A' && type[0] <= 'Z' && type !== 'IHDR') throw new ParseFailure(`unknown critical chunk ${type}`, `offset ${o}`);
    o += 12 + len;
  }
  if (data.length === 0) throw new ParseFailure('corrupt PNG: no image data (IDAT chunk)');
  if (header.colorType === 3 && !palette) throw new ParseFailure('corrupt PNG: a palette image without a PLTE chunk');
  return { data, palette };
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Pass {
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  readonly width: number;
  readonly height: number;
}

function passes(h: PngHeader): Pass[] {
  const all = h.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  return all
    .map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, width: Math.ceil((h.width - x0) / dx), height: Math.ceil((h.height - y0) / dy) }))
    .filter((p) => p.width > 0 && p.height > 0);
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Inflate and unfilter the scanlines row by row, writing grey values into `out`; stops at the declared size. */
function decodePixels(h: PngHeader, chunks: Chunks): Float32Array {
  const channels = CHANNELS[h.colorType];
  const bitsPerPixel = channels * h.bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const list = passes(h);
  const rowBytesOf = (width: number): number => Math.ceil((width * bitsPerPixel) / 8);
  const declared = list.reduce((n, p) => n + p.height * (1 + rowBytesOf(p.width)), 0);
  const compressed = chunks.data.reduce((n, d) => n + d.length, 0);
  if (declared > maxInflatedBytes(compressed)) {
    throw new ParseFailure(
      `truncated PNG data: the ${h.width}×${h.height} header declares ${declared} bytes of scanlines, but its ${compressed} bytes of compressed data can inflate to at most ${maxInflatedBytes(compressed)}`,
    );
  }
  const maxRow = 1 + rowBytesOf(h.width);
  const out = new Float32Array(h.width * h.height);
  let cur = new Uint8Array(maxRow);
  let prev = new Uint8Array(maxRow);
  let passIndex = 0;
  let row = 0;
  let filled = 0;
  let received = 0;
  let rowLen = 1 + rowBytesOf(list[0].width);
  const pal = chunks.palette;
  const palGrey = pal ? Float32Array.from({ length: pal.length / 3 }, (_, i) => luminance(pal[3 * i], pal[3 * i + 1], pal[3 * i + 2])) : undefined;
  const mask = (1 << h.bitDepth) - 1;

  const sample = (x: number, c: number): number => {
    if (h.bitDepth === 8) return cur[1 + x * channels + c];
    if (h.bitDepth === 16) {
      const i = 1 + 2 * (x * channels + c);
      return (cur[i] << 8) | cur[i + 1];
    }
    const bit = x * h.bitDepth; // sub-byte depths have one channel
    return (cur[1 + (bit >> 3)] >> (8 - h.bitDepth - (bit & 7))) & mask;
  };

  const finishRow = (): void => {
    const p = list[passIndex];
    const type = cur[0];
    const n = rowLen;
    switch (type) {
      case 0:
        break;
      case 1:
        for (let i = 1 + bpp; i < n; i++) cur[i] = (cur[i] + cur[i - bpp]) & 0xff;
        break;
      case 2:
        for (let i = 1; i < n; i++) cur[i] = (cur[i] + prev[i]) & 0xff;
        break;
      case 3:
        for (let i = 1; i < n; i++) cur[i] = (cur[i] + (((i > bpp ? cur[i - bpp] : 0) + prev[i]) >> 1)) & 0xff;
        break;
      case 4:
        for (let i = 1; i < n; i++) cur[i] = (cur[i] + paeth(i > bpp ? cur[i - bpp] : 0, prev[i], i > bpp ? prev[i - bpp] : 0)) & 0xff;
        break;
      default:
        throw new ParseFailure(
          `corrupt PNG data: filter type ${type} in scanline ${row}${h.interlaced ? ` of interlace pass ${passIndex + 1}` : ''} (0 to 4 exist)`,
        );
    }
    const y = p.y0 + row * p.dy;
    const base = y * h.width + p.x0;
    if (h.bitDepth === 8 && h.colorType !== 3) {
      // The common case, without the per-sample helper: 8-bit grey (+alpha) or RGB(A).
      if (h.colorType === 0 || h.colorType === 4) for (let x = 0, i = 1; x < p.width; x++, i += channels) out[base + x * p.dx] = cur[i];
      else for (let x = 0, i = 1; x < p.width; x++, i += channels) out[base + x * p.dx] = luminance(cur[i], cur[i + 1], cur[i + 2]);
    } else
      for (let x = 0; x < p.width; x++) {
        let v: number;
        if (h.colorType === 0 || h.colorType === 4) v = sample(x, 0);
        else if (h.colorType === 3) {
          const idx = sample(x, 0);
          if (idx >= palGrey!.length)
            throw new ParseFailure(`corrupt PNG data: palette index ${idx} in scanline ${row}, but the palette has ${palGrey!.length} entries`);
          v = palGrey![idx];
        } else v = luminance(sample(x, 0), sample(x, 1), sample(x, 2));
        out[base + x * p.dx] = v;
      }
    [cur, prev] = [prev, cur];
    row++;
    filled = 0;
    if (row === p.height) {
      passIndex++;
      row = 0;
      if (passIndex < list.length) {
        rowLen = 1 + rowBytesOf(list[passIndex].width);
        prev.fill(0); // the first row of a pass has no row above it
      }
    }
  };

  let chunk = 0;
  const source = (): Uint8Array | undefined => chunks.data[chunk++];
  prev.fill(0);
  try {
    inflateStream('zlib', source, (bytes) => {
      for (let at = 0; at < bytes.length; ) {
        if (passIndex >= list.length) return false; // everything declared is decoded: do not inflate the rest
        const take = Math.min(rowLen - filled, bytes.length - at);
        cur.set(bytes.subarray(at, at + take), filled);
        filled += take;
        at += take;
        received += take;
        if (filled === rowLen) finishRow();
      }
      return passIndex < list.length;
    });
  } catch (e) {
    if (e instanceof InflateError) {
      if (passIndex >= list.length) return out; // a broken tail after all the pixels (a bad checksum): the image is whole
      throw new ParseFailure(
        `truncated or corrupt PNG data after ${received} of the ${declared} bytes the ${h.width}×${h.height} header declares (${e.message})`,
      );
    }
    throw e;
  }
  if (passIndex < list.length) {
    throw new ParseFailure(`truncated PNG data: the image data inflates to ${received} bytes, but the ${h.width}×${h.height} header declares ${declared}`);
  }
  return out;
}

/**
 * Decode to grey: grey stays as is, RGB(A) and palette become luminance; alpha is ignored. Values keep the file's
 * scale (0..255 for 8-bit, 0..65535 for 16-bit, 0..2^d−1 for low bit depths); normalise afterwards.
 */
export function decodePng(bytes: Uint8Array, file: string): E.Either<DataError, LoadedImage> {
  return parseWith(file, () => {
    const header = readHeader(bytes);
    const chunks = readChunks(bytes, header);
    // Allocated in decodePixels, after the declared size has been checked against the compressed data.
    const out = decodePixels(header, chunks);
    return { ...greyImage(header.width, header.height, out), meta: { source: file } };
  });
}

// ---------- encoding ----------

/** CRC-32 over several parts, as if concatenated. */
const crc32 = (parts: readonly Uint8Array[]): number => parts.reduce((c, p) => crc32Of(p, c), 0);

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
