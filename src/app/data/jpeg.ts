// JPEG in (baseline and progressive, via jpeg-js). jpeg-js decodes a cut-off file "tolerantly" into a partly grey
// image without complaint, so the structure is checked here: SOI at the start, a frame header, and an EOI marker
// after the last scan. Browser-safe apart from jpeg-js itself (which works in browsers too).
import jpeg from 'jpeg-js';
import * as E from 'fp-ts/lib/Either.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type LoadedImage } from './image.js';
import { loadLimits, pixelLimitHint } from './limits.js';

export const isJpeg = (bytes: Uint8Array): boolean => bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/** Walk the marker segments up to the first scan; returns the frame size, throws on a broken segment chain. */
export function checkStructure(bytes: Uint8Array): { width: number; height: number } {
  if (!isJpeg(bytes)) throw new ParseFailure('not a JPEG file: no start-of-image marker (FF D8)', 'offset 0');
  let o = 2;
  let size: { width: number; height: number } | undefined;
  for (;;) {
    if (o + 4 > bytes.length) throw new ParseFailure('truncated JPEG: the file ends inside its headers', `offset ${o}`);
    if (bytes[o] !== 0xff) throw new ParseFailure(`corrupt JPEG: expected a marker (FF xx), found ${bytes[o].toString(16).padStart(2, '0')}`, `offset ${o}`);
    const marker = bytes[o + 1];
    if (marker === 0xff) {
      o += 1; // fill byte
      continue;
    }
    const len = (bytes[o + 2] << 8) | bytes[o + 3];
    if (len < 2 || o + 2 + len > bytes.length) {
      throw new ParseFailure(`truncated JPEG: segment FF${marker.toString(16).toUpperCase()} declares ${len} bytes past the end of the file`, `offset ${o}`);
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (len < 8) throw new ParseFailure('corrupt JPEG: frame header too short', `offset ${o}`);
      size = { height: (bytes[o + 5] << 8) | bytes[o + 6], width: (bytes[o + 7] << 8) | bytes[o + 8] };
    }
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
    o += 2 + len;
  }
  if (!size) throw new ParseFailure('corrupt JPEG: no frame header (SOFn) before the first scan', `offset ${o}`);
  if (size.width === 0 || size.height === 0) throw new ParseFailure(`JPEG frame size ${size.width}×${size.height} is empty`);
  if (size.width * size.height > loadLimits().maxPixels) {
    throw new ParseFailure(`JPEG size ${size.width}×${size.height} (${size.width * size.height} pixels) exceeds the pixel limit: ${pixelLimitHint()}`);
  }
  // Every 8×8 block of the first scan takes at least one bit, so a file codes at most 512 pixels per byte: a header
  // declaring more (here with 8× to spare) is truncated, and is refused before the decoder allocates for it.
  if (size.width * size.height > 512 * 8 * bytes.length) {
    throw new ParseFailure(`truncated JPEG: ${bytes.length} bytes cannot code the ${size.width}×${size.height} pixels the frame header declares`);
  }
  if (findEndOfImage(bytes, o) < 0) throw new ParseFailure('truncated JPEG: no end-of-image marker (FF D9) after the image data', `offset ${bytes.length}`);
  return size;
}

/**
 * The offset of the end-of-image marker (FF D9), walking the scans from the first start-of-scan at `sos`: inside
 * entropy-coded data a 0xFF byte is followed by 00 (stuffing), FF (fill) or a restart marker, so the first other
 * marker ends the scan; segments between the scans of a progressive file are skipped by their length. Anything after
 * the EOI (thumbnails, padding, vendor data of any size) is not the image's concern. -1 when the file ends first.
 */
function findEndOfImage(bytes: Uint8Array, sos: number): number {
  let o = sos;
  for (;;) {
    // o is at a marker segment (FF xx len...): skip it.
    if (o + 4 > bytes.length) return -1;
    o += 2 + ((bytes[o + 2] << 8) | bytes[o + 3]);
    // Entropy-coded data (after SOS) or the next marker (after other segments).
    for (;;) {
      if (o + 1 >= bytes.length) return -1;
      if (bytes[o] !== 0xff) {
        o++;
        continue;
      }
      const m = bytes[o + 1];
      if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) o += 2;
      else if (m === 0xff) o++;
      else if (m === 0xd9) return o;
      else break;
    }
  }
}

/** Decode to grey (colour → luminance); values 0..255. */
export function decodeJpeg(bytes: Uint8Array, file: string): E.Either<DataError, LoadedImage> {
  return parseWith(file, () => {
    const size = checkStructure(bytes);
    let raw: { width: number; height: number; data: Uint8Array };
    try {
      raw = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        tolerantDecoding: false,
        maxMemoryUsageInMB: Math.max(64, Math.ceil((loadLimits().maxPixels * 16) / 2 ** 20)),
      });
    } catch (e) {
      throw new ParseFailure(`corrupt JPEG data: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (raw.width !== size.width || raw.height !== size.height) throw new ParseFailure('decoded size differs from the frame header');
    const n = raw.width * raw.height;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = luminance(raw.data[3 * i], raw.data[3 * i + 1], raw.data[3 * i + 2]);
    return { ...greyImage(raw.width, raw.height, out), meta: { source: file } };
  });
}
