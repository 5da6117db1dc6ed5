// JPEG in (baseline and progressive, via jpeg-js). jpeg-js decodes a cut-off file "tolerantly" into a partly grey
// image without complaint, so the structure is checked here: SOI at the start, a frame header, and an EOI marker
// after the last scan. Browser-safe apart from jpeg-js itself (which works in browsers too).
import jpeg from 'jpeg-js';
import * as E from 'fp-ts/lib/Either.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, MAX_PIXELS, type LoadedImage } from './image.js';

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
  if (size.width * size.height > MAX_PIXELS) throw new ParseFailure(`JPEG size ${size.width}×${size.height} exceeds the ${MAX_PIXELS}-pixel limit`);
  // The image ends with EOI (FF D9); a few writers add padding after it, so look near the end, not at it.
  let eoi = -1;
  for (let i = bytes.length - 2; i >= Math.max(o, bytes.length - 4096); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      eoi = i;
      break;
    }
  }
  if (eoi < 0) throw new ParseFailure('truncated JPEG: no end-of-image marker (FF D9) after the image data', `offset ${bytes.length}`);
  return size;
}

/** Decode to grey (colour → luminance); values 0..255. */
export function decodeJpeg(bytes: Uint8Array, file: string): E.Either<DataError, LoadedImage> {
  return parseWith(file, () => {
    const size = checkStructure(bytes);
    let raw: { width: number; height: number; data: Uint8Array };
    try {
      raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
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
