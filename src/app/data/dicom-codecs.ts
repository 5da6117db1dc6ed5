// Compressed (encapsulated) DICOM pixel data: the fragments of Pixel Data (7FE0,0010) with undefined length, split
// into frames (Basic Offset Table, one fragment per frame, or JPEG start-of-image markers), and each frame decoded
// into the uncompressed layout (samples interleaved, little-endian) that dicom.ts reads. Decoders:
//   RLE Lossless (1.2.840.10008.1.2.5)             ours (dicom-rle.ts)
//   JPEG Baseline, 8-bit (1.2.840.10008.1.2.4.50)  jpeg-js (already our JPEG reader; colour comes back as RGB)
//   JPEG Lossless (…4.57) and SV1 (…4.70)           jpeg-lossless-decoder-js (pure JS, maintained, MIT)
// Other compressed syntaxes (JPEG Extended 12-bit, JPEG-LS, JPEG 2000, HTJ2K) have only WebAssembly decoders on npm,
// which need an asynchronous start that this synchronous, browser-shared reader does not have: dicom.ts refuses
// them with the file, the syntax's name and UID, and how to decompress. Browser-safe.
import jpeg from 'jpeg-js';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { ParseFailure } from './errors.js';
import { decodeRleFrame } from './dicom-rle.js';
import { concatBytes } from './dicom-write.js';
import { checkStructure as checkJpegStructure } from './jpeg.js';

export const DECODABLE_SYNTAXES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
};
export const isJpegSyntax = (ts: string): boolean => ts.startsWith('1.2.840.10008.1.2.4.');

export interface FrameLayout {
  readonly rows: number;
  readonly cols: number;
  /** Samples per pixel of the decoded data (3 for RGB and, decoded, YBR). */
  readonly samples: number;
  readonly bitsAllocated: number;
  readonly frames: number;
}

interface Fragment {
  /** Offset of its item tag from the first fragment's item tag (what the Basic Offset Table counts). */
  readonly at: number;
  readonly data: Uint8Array;
}

/** The items of an encapsulated value from `start` (the offset table's item tag) to the sequence delimiter. */
function readItems(bytes: Uint8Array, start: number): { table: number[]; fragments: Fragment[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: { tag: number; data: Uint8Array; pos: number }[] = [];
  let o = start;
  for (;;) {
    if (o + 8 > bytes.length) throw new ParseFailure('truncated encapsulated Pixel Data: no sequence delimiter', `offset ${o}, tag (7FE0,0010)`);
    const group = v.getUint16(o, true);
    const element = v.getUint16(o + 2, true);
    const len = v.getUint32(o + 4, true);
    if (group !== 0xfffe)
      throw new ParseFailure(`encapsulated Pixel Data: expected an item, found tag (${group.toString(16)},${element.toString(16)})`, `offset ${o}`);
    if (element === 0xe0dd) break;
    if (element !== 0xe000) throw new ParseFailure(`encapsulated Pixel Data: unexpected item tag (FFFE,${element.toString(16).toUpperCase()})`, `offset ${o}`);
    if (o + 8 + len > bytes.length)
      throw new ParseFailure(`truncated encapsulated Pixel Data: an item of ${len} bytes runs past the end of the file`, `offset ${o}`);
    items.push({ tag: element, data: bytes.subarray(o + 8, o + 8 + len), pos: o });
    o += 8 + len;
  }
  if (items.length === 0) throw new ParseFailure('encapsulated Pixel Data has no Basic Offset Table item', `offset ${start}`);
  const [bot, ...rest] = items;
  const tv = new DataView(bot.data.buffer, bot.data.byteOffset, bot.data.byteLength);
  const table = Array.from({ length: Math.floor(bot.data.length / 4) }, (_, i) => tv.getUint32(4 * i, true));
  const first = rest[0]?.pos ?? 0;
  return { table, fragments: rest.map((f) => ({ at: f.pos - first, data: f.data })) };
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0] : concatBytes(parts));

/** Fragments → one byte string per frame. */
function splitFrames(table: readonly number[], fragments: readonly Fragment[], frames: number, ts: string): Uint8Array[] {
  if (fragments.length === 0) throw new ParseFailure('encapsulated Pixel Data holds no fragments', 'tag (7FE0,0010)');
  if (frames === 1) return [concat(fragments.map((f) => f.data))];
  if (table.length) {
    if (table.length !== frames)
      throw new ParseFailure(`the Basic Offset Table lists ${table.length} frames, NumberOfFrames says ${frames}`, 'tag (7FE0,0010)');
    return table.map((start, i) => {
      const end = i + 1 < table.length ? table[i + 1] : Infinity;
      const parts = fragments.filter((f) => f.at >= start && f.at < end);
      if (!parts.length) throw new ParseFailure(`frame ${i}: no fragment at offset ${start} of the Basic Offset Table`, 'tag (7FE0,0010)');
      return concat(parts.map((f) => f.data));
    });
  }
  if (fragments.length === frames) return fragments.map((f) => f.data);
  if (isJpegSyntax(ts)) {
    // No offset table: a frame starts with a fragment that starts with the JPEG start-of-image marker.
    const out: Uint8Array[][] = [];
    for (const f of fragments) {
      if (f.data[0] === 0xff && f.data[1] === 0xd8) out.push([f.data]);
      else if (out.length) out[out.length - 1].push(f.data);
    }
    if (out.length === frames) return out.map(concat);
  }
  throw new ParseFailure(`cannot split ${fragments.length} fragments into ${frames} frames: no Basic Offset Table`, 'tag (7FE0,0010)');
}

/**
 * A JPEG frame's own header must declare the size the DICOM header does, checked before a decoder allocates for it
 * (a 16×16 image whose frame claims 65535² would otherwise take gigabytes); also the JPEG reader's structure checks.
 */
function checkJpegFrame(frame: Uint8Array, layout: FrameLayout, where: string): void {
  let size: { width: number; height: number };
  try {
    size = checkJpegStructure(frame);
  } catch (e) {
    if (e instanceof ParseFailure) throw new ParseFailure(e.message, e.where ? `${where}, ${e.where}` : where);
    throw e;
  }
  if (size.width !== layout.cols || size.height !== layout.rows)
    throw new ParseFailure(`JPEG frame is ${size.width}×${size.height}, the header says ${layout.cols}×${layout.rows}`, where);
}

function decodeJpegBaseline(frame: Uint8Array, layout: FrameLayout, where: string): Uint8Array {
  if (layout.bitsAllocated !== 8) throw new ParseFailure(`JPEG Baseline with BitsAllocated ${layout.bitsAllocated}: baseline JPEG holds 8-bit samples`, where);
  checkJpegFrame(frame, layout, where);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(frame, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new ParseFailure(`corrupt JPEG frame: ${e instanceof Error ? e.message : String(e)}`, where);
  }
  if (raw.width !== layout.cols || raw.height !== layout.rows)
    throw new ParseFailure(`JPEG frame is ${raw.width}×${raw.height}, the header says ${layout.cols}×${layout.rows}`, where);
  if (layout.samples === 3) return raw.data;
  // jpeg-js gives RGB; a grey JPEG has three equal channels.
  return Uint8Array.from({ length: raw.width * raw.height }, (_, i) => raw.data[3 * i]);
}

function decodeJpegLossless(frame: Uint8Array, layout: FrameLayout, where: string): Uint8Array {
  checkJpegFrame(frame, layout, where);
  let out: Uint8Array | Uint16Array;
  try {
    const own = frame.slice(); // the decoder reads an ArrayBuffer from offset 0
    out = new JpegLosslessDecoder().decode(own.buffer, 0, own.length, layout.bitsAllocated / 8);
  } catch (e) {
    throw new ParseFailure(`corrupt JPEG Lossless frame: ${e instanceof Error ? e.message : String(e)}`, where);
  }
  const want = layout.rows * layout.cols * layout.samples;
  if (out.length !== want)
    throw new ParseFailure(`JPEG Lossless frame decodes to ${out.length} samples, the header says ${layout.cols}×${layout.rows}×${layout.samples}`, where);
  if (out instanceof Uint8Array) return out;
  // 16-bit samples, written little-endian whatever the platform.
  const bytes = new Uint8Array(out.length * 2);
  const v = new DataView(bytes.buffer);
  out.forEach((s, i) => v.setUint16(2 * i, s, true));
  return bytes;
}

/**
 * The frames of an encapsulated Pixel Data value (first item tag at `start`), decoded and concatenated in the
 * uncompressed layout: frame f at f × rows × cols × samples × bitsAllocated/8.
 */
export function decodeEncapsulated(bytes: Uint8Array, start: number, ts: string, layout: FrameLayout): Uint8Array {
  const { table, fragments } = readItems(bytes, start);
  const frames = splitFrames(table, fragments, layout.frames, ts);
  const decode = ts === '1.2.840.10008.1.2.5' ? decodeRleFrame : ts === '1.2.840.10008.1.2.4.50' ? decodeJpegBaseline : decodeJpegLossless;
  const frameBytes = layout.rows * layout.cols * layout.samples * (layout.bitsAllocated / 8);
  const out = new Uint8Array(frameBytes * frames.length);
  frames.forEach((f, i) => {
    const decoded = decode(f, layout, `frame ${i}, tag (7FE0,0010)`);
    if (decoded.length !== frameBytes) throw new ParseFailure(`frame ${i} decodes to ${decoded.length} bytes, expected ${frameBytes}`, 'tag (7FE0,0010)');
    out.set(decoded, i * frameBytes);
  });
  return out;
}
