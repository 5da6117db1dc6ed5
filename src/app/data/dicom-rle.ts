// DICOM RLE Lossless (1.2.840.10008.1.2.5, PS3.5 annex G): each frame is one fragment holding a 64-byte header
// (the number of segments, then up to 15 segment offsets) and the segments, each a PackBits byte stream. A segment
// is one byte plane of one sample: for each sample in turn, its most significant byte first. Decoded here into the
// uncompressed layout the rest of the reader expects: samples interleaved (pixel by pixel), little-endian.
// Browser-safe.
import { ParseFailure } from './errors.js';

export interface RleFrameLayout {
  readonly rows: number;
  readonly cols: number;
  readonly samples: number;
  /** 8, 16 or 32. */
  readonly bitsAllocated: number;
}

/** One PackBits segment into `out` (exactly out.length bytes expected). */
function unpackSegment(data: Uint8Array, start: number, end: number, out: Uint8Array, where: string): void {
  let i = start;
  let o = 0;
  while (o < out.length) {
    if (i >= end) throw new ParseFailure(`RLE segment ends after ${o} of ${out.length} bytes`, where);
    const n = (data[i++] << 24) >> 24; // as int8
    if (n >= 0) {
      const count = n + 1;
      if (i + count > end) throw new ParseFailure(`RLE literal run of ${count} bytes runs past the segment's end`, where);
      if (o + count > out.length) throw new ParseFailure(`RLE segment decodes to more than ${out.length} bytes`, where);
      out.set(data.subarray(i, i + count), o);
      i += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (i >= end) throw new ParseFailure('RLE replicate run without its byte', where);
      if (o + count > out.length) throw new ParseFailure(`RLE segment decodes to more than ${out.length} bytes`, where);
      out.fill(data[i++], o, o + count);
      o += count;
    }
  }
}

export function decodeRleFrame(frame: Uint8Array, layout: RleFrameLayout, where: string): Uint8Array {
  const bytesPerSample = layout.bitsAllocated / 8;
  const pixels = layout.rows * layout.cols;
  const want = layout.samples * bytesPerSample;
  if (frame.length < 64) throw new ParseFailure(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`, where);
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = v.getUint32(0, true);
  if (segments !== want)
    throw new ParseFailure(`RLE frame has ${segments} segments; ${layout.samples} sample(s) of ${layout.bitsAllocated} bits need ${want}`, where);
  const offsets = Array.from({ length: segments }, (_, s) => v.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * want);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s];
    const end = s + 1 < segments ? offsets[s + 1] : frame.length;
    if (start < 64 || end > frame.length || start > end)
      throw new ParseFailure(`RLE segment ${s} offset ${start} lies outside the frame (${frame.length} bytes)`, where);
    unpackSegment(frame, start, end, plane, `${where}, RLE segment ${s}`);
    // Segment s: sample floor(s / bytesPerSample), byte (bytesPerSample − 1 − s % bytesPerSample) counted from the lowest.
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    for (let p = 0; p < pixels; p++) out[(p * layout.samples + sample) * bytesPerSample + byte] = plane[p];
  }
  return out;
}
