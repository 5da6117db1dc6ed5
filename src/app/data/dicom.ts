// DICOM Part-10 files, parsed here: 128-byte preamble + "DICM", the file meta group (explicit VR little endian),
// then the data set in implicit or explicit VR little endian. Only the tags needed for an image are decoded;
// everything else (sequences included, defined or undefined length) is skipped by its length. RLE Lossless, JPEG
// Baseline and JPEG Lossless pixel data are decoded (dicom-codecs.ts); other compressed transfer syntaxes are refused
// with a message naming the syntax and saying how to decompress. Browser-safe (bytes in).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type IntensityWindow, type LoadedImage } from './image.js';
import { DECODABLE_SYNTAXES, decodeEncapsulated, isJpegSyntax } from './dicom-codecs.js';
import { loadLimits, pixelLimitHint } from './limits.js';

const tag = (group: number, element: number): number => ((group << 16) | element) >>> 0;
export const formatTag = (t: number): string =>
  `(${(t >>> 16).toString(16).toUpperCase().padStart(4, '0')},${(t & 0xffff).toString(16).toUpperCase().padStart(4, '0')})`;

/** The tags we read, with their VR (needed for implicit VR files) and name (for messages). */
const TAGS = {
  TransferSyntaxUID: { tag: tag(0x0002, 0x0010), vr: 'UI' },
  SeriesInstanceUID: { tag: tag(0x0020, 0x000e), vr: 'UI' },
  InstanceNumber: { tag: tag(0x0020, 0x0013), vr: 'IS' },
  ImagePositionPatient: { tag: tag(0x0020, 0x0032), vr: 'DS' },
  ImageOrientationPatient: { tag: tag(0x0020, 0x0037), vr: 'DS' },
  SamplesPerPixel: { tag: tag(0x0028, 0x0002), vr: 'US' },
  PhotometricInterpretation: { tag: tag(0x0028, 0x0004), vr: 'CS' },
  PlanarConfiguration: { tag: tag(0x0028, 0x0006), vr: 'US' },
  NumberOfFrames: { tag: tag(0x0028, 0x0008), vr: 'IS' },
  Rows: { tag: tag(0x0028, 0x0010), vr: 'US' },
  Columns: { tag: tag(0x0028, 0x0011), vr: 'US' },
  PixelSpacing: { tag: tag(0x0028, 0x0030), vr: 'DS' },
  BitsAllocated: { tag: tag(0x0028, 0x0100), vr: 'US' },
  BitsStored: { tag: tag(0x0028, 0x0101), vr: 'US' },
  PixelRepresentation: { tag: tag(0x0028, 0x0103), vr: 'US' },
  WindowCenter: { tag: tag(0x0028, 0x1050), vr: 'DS' },
  WindowWidth: { tag: tag(0x0028, 0x1051), vr: 'DS' },
  RescaleIntercept: { tag: tag(0x0028, 0x1052), vr: 'DS' },
  RescaleSlope: { tag: tag(0x0028, 0x1053), vr: 'DS' },
  PixelData: { tag: tag(0x7fe0, 0x0010), vr: 'OW' },
  // What a derived object (a DICOM-SEG) copies from its source: patient, study, frame of reference, instance ids.
  SpecificCharacterSet: { tag: tag(0x0008, 0x0005), vr: 'CS' },
  SOPClassUID: { tag: tag(0x0008, 0x0016), vr: 'UI' },
  SOPInstanceUID: { tag: tag(0x0008, 0x0018), vr: 'UI' },
  StudyDate: { tag: tag(0x0008, 0x0020), vr: 'DA' },
  StudyTime: { tag: tag(0x0008, 0x0030), vr: 'TM' },
  AccessionNumber: { tag: tag(0x0008, 0x0050), vr: 'SH' },
  ReferringPhysicianName: { tag: tag(0x0008, 0x0090), vr: 'PN' },
  PatientName: { tag: tag(0x0010, 0x0010), vr: 'PN' },
  PatientID: { tag: tag(0x0010, 0x0020), vr: 'LO' },
  PatientBirthDate: { tag: tag(0x0010, 0x0030), vr: 'DA' },
  PatientSex: { tag: tag(0x0010, 0x0040), vr: 'CS' },
  SliceThickness: { tag: tag(0x0018, 0x0050), vr: 'DS' },
  StudyInstanceUID: { tag: tag(0x0020, 0x000d), vr: 'UI' },
  StudyID: { tag: tag(0x0020, 0x0010), vr: 'SH' },
  FrameOfReferenceUID: { tag: tag(0x0020, 0x0052), vr: 'UI' },
} as const;
/** The source attributes a derived object copies (DicomInfo.attributes), as their strings. */
export const REFERENCE_TAGS = [
  'SpecificCharacterSet',
  'SOPClassUID',
  'SOPInstanceUID',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'ReferringPhysicianName',
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'SliceThickness',
  'StudyInstanceUID',
  'StudyID',
  'FrameOfReferenceUID',
] as const;
export type ReferenceTag = (typeof REFERENCE_TAGS)[number];
type TagName = keyof typeof TAGS;
const IMPLICIT_VR = new Map<number, string>(Object.values(TAGS).map((t) => [t.tag, t.vr]));

const ITEM = tag(0xfffe, 0xe000);
const ITEM_END = tag(0xfffe, 0xe00d);
const SEQUENCE_END = tag(0xfffe, 0xe0dd);
const UNDEFINED = 0xffffffff;
/** VRs whose explicit encoding has 2 reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export const TRANSFER_SYNTAXES = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
} as const;

/** Names for the refusals; anything under 1.2.840.10008.1.2.4 is a compressed (encapsulated) syntax. */
const REFUSED: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian (retired)',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};
const DECOMPRESS_HINT = 'decompress it first, e.g. "gdcmconv --raw in.dcm out.dcm" or "dcmdjpeg in.dcm out.dcm"';

interface ElementRef {
  readonly vr: string;
  readonly offset: number;
  readonly length: number;
}

/** Per-file DICOM facts a series needs for sorting and checks. */
export interface DicomInfo {
  readonly seriesUid?: string;
  readonly instanceNumber?: number;
  readonly position?: readonly number[];
  readonly orientation?: readonly number[];
  readonly frame: number;
  /** Patient, study and instance attributes as stored (character set as declared), for derived objects. */
  readonly attributes?: Partial<Record<ReferenceTag, string>>;
}

export interface DicomImage extends LoadedImage {
  readonly dicom: DicomInfo;
}

class DataSetParser {
  readonly top = new Map<number, ElementRef>();

  constructor(
    readonly r: ByteReader,
    readonly explicit: boolean,
  ) {}

  /** Element header at `o`: returns tag, VR, value offset and length (UNDEFINED for undefined length). */
  header(o: number): { t: number; vr: string; value: number; length: number } {
    const t = tag(this.r.u16(o, 'tag group'), this.r.u16(o + 2, 'tag element'));
    if (t >>> 16 === 0xfffe) return { t, vr: '', value: o + 8, length: this.r.u32(o + 4, `length of ${formatTag(t)}`) };
    if (this.explicit) {
      const vr = this.r.ascii(o + 4, 2, `VR of ${formatTag(t)}`);
      if (!/^[A-Z]{2}$/.test(vr)) {
        throw new ParseFailure(`invalid VR ${JSON.stringify(vr)} for tag ${formatTag(t)}: the data set is corrupt`, `offset ${o + 4}, tag ${formatTag(t)}`);
      }
      if (LONG_VRS.has(vr)) return { t, vr, value: o + 12, length: this.r.u32(o + 8, `length of ${formatTag(t)}`) };
      return { t, vr, value: o + 8, length: this.r.u16(o + 6, `length of ${formatTag(t)}`) };
    }
    return { t, vr: IMPLICIT_VR.get(t) ?? 'UN', value: o + 8, length: this.r.u32(o + 4, `length of ${formatTag(t)}`) };
  }

  /** Parse elements from `o` to `end`; `stopAtGroupEnd` stops when the group changes (file meta). Returns the end. */
  elements(o: number, end: number, opts: { group?: number } = {}): number {
    while (o < end) {
      if (opts.group !== undefined && (o + 2 > end || this.r.u16(o, 'tag group') !== opts.group)) break;
      const h = this.header(o);
      if (h.t >>> 16 === 0xfffe) throw new ParseFailure(`unexpected item tag ${formatTag(h.t)} outside a sequence`, `offset ${o}`);
      if (h.length === UNDEFINED) {
        // Encapsulated (compressed) Pixel Data: its items are the fragments; decodePixels reads them from here.
        if (h.t === TAGS.PixelData.tag && !this.top.has(h.t)) this.top.set(h.t, { vr: h.vr, offset: h.value, length: UNDEFINED });
        o = this.skipSequence(h.value, 0);
        continue;
      }
      this.r.need(h.value, h.length, `the value of tag ${formatTag(h.t)}`);
      if (!this.top.has(h.t)) this.top.set(h.t, { vr: h.vr, offset: h.value, length: h.length });
      o = h.value + h.length;
    }
    return o;
  }

  /** Skip items of an undefined-length sequence starting at `o`; returns the offset after its delimiter. */
  private skipSequence(o: number, depth: number): number {
    if (depth > 64) throw new ParseFailure('sequences nested deeper than 64 levels', `offset ${o}`);
    for (;;) {
      const h = this.header(o);
      if (h.t === SEQUENCE_END) return h.value;
      if (h.t !== ITEM) throw new ParseFailure(`expected a sequence item, found tag ${formatTag(h.t)}`, `offset ${o}`);
      if (h.length === UNDEFINED) o = this.skipItem(h.value, depth + 1);
      else {
        this.r.need(h.value, h.length, 'a sequence item');
        o = h.value + h.length;
      }
    }
  }

  private skipItem(o: number, depth: number): number {
    for (;;) {
      const h = this.header(o);
      if (h.t === ITEM_END) return h.value;
      if (h.length === UNDEFINED) o = this.skipSequence(h.value, depth);
      else {
        this.r.need(h.value, h.length, `the value of tag ${formatTag(h.t)}`);
        o = h.value + h.length;
      }
    }
  }

  has(name: TagName): boolean {
    return this.top.has(TAGS[name].tag);
  }

  string(name: TagName): string | undefined {
    const e = this.top.get(TAGS[name].tag);
    if (!e) return undefined;
    return this.r
      .ascii(e.offset, e.length, name)
      .replace(/[\0\s]+$/, '')
      .trim();
  }

  numbers(name: TagName): number[] | undefined {
    const s = this.string(name);
    if (s === undefined || s === '') return undefined;
    const values = s.split('\\').map((p) => Number(p.trim()));
    if (values.some((v) => !Number.isFinite(v))) {
      throw new ParseFailure(`${name} value ${JSON.stringify(s)} is not a number`, `tag ${formatTag(TAGS[name].tag)}`);
    }
    return values;
  }

  us(name: TagName): number | undefined {
    const e = this.top.get(TAGS[name].tag);
    if (!e) return undefined;
    if (e.length < 2) throw new ParseFailure(`${name} has ${e.length} bytes, expected 2`, `tag ${formatTag(TAGS[name].tag)}`);
    return e.vr === 'SS' ? this.r.i16(e.offset, name) : this.r.u16(e.offset, name);
  }

  required(name: TagName): number {
    const v = this.us(name);
    if (v === undefined) throw new ParseFailure(`missing required tag ${formatTag(TAGS[name].tag)} ${name}`, `tag ${formatTag(TAGS[name].tag)}`);
    return v;
  }
}

export const isDicom = (bytes: Uint8Array): boolean =>
  bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;

/** All frames of one file (usually one). Values are modality values (RescaleSlope/Intercept applied). */
export function parseDicom(bytes: Uint8Array, file: string): E.Either<DataError, DicomImage[]> {
  return parseWith(file, () => {
    if (bytes.length < 132)
      throw new ParseFailure(`not a DICOM file: ${bytes.length} bytes is shorter than the 132-byte preamble and "DICM" prefix`, 'offset 0');
    if (!isDicom(bytes)) throw new ParseFailure('not a DICOM Part-10 file: no "DICM" at offset 128', 'offset 128');
    const r = new ByteReader(bytes, 'DICOM file');
    const meta = new DataSetParser(r, true);
    const metaEnd = meta.elements(132, bytes.length, { group: 0x0002 });
    const ts = meta.string('TransferSyntaxUID');
    if (!ts) throw new ParseFailure('the file meta information has no TransferSyntaxUID (0002,0010)', 'tag (0002,0010)');
    if (ts !== TRANSFER_SYNTAXES.implicitLittle && ts !== TRANSFER_SYNTAXES.explicitLittle && !DECODABLE_SYNTAXES[ts]) {
      const name = REFUSED[ts] ?? (ts.startsWith('1.2.840.10008.1.2.4.') ? 'a compressed syntax' : 'an unknown syntax');
      const compressed = ts.startsWith('1.2.840.10008.1.2.4.') || ts === '1.2.840.10008.1.2.5';
      throw new ParseFailure(
        `transfer syntax ${name} (${ts}) is not supported; this reader decodes uncompressed implicit/explicit VR little endian, ` +
          `${Object.values(DECODABLE_SYNTAXES).join(', ')}${compressed ? `: ${DECOMPRESS_HINT}` : ''}`,
        'tag (0002,0010)',
      );
    }
    // Every compressed syntax encodes its data set in explicit VR little endian.
    const ds = new DataSetParser(r, ts !== TRANSFER_SYNTAXES.implicitLittle);
    ds.elements(metaEnd, bytes.length);
    return decodePixels(ds, file, ts);
  });
}

function decodePixels(ds: DataSetParser, file: string, ts: string): DicomImage[] {
  const pixel = ds.top.get(TAGS.PixelData.tag);
  if (!pixel) throw new ParseFailure('no PixelData (7FE0,0010): this file holds no image', 'tag (7FE0,0010)');
  const rows = ds.required('Rows');
  const cols = ds.required('Columns');
  const bitsAllocated = ds.required('BitsAllocated');
  const bitsStored = ds.us('BitsStored') ?? bitsAllocated;
  const signed = (ds.us('PixelRepresentation') ?? 0) === 1;
  const samples = ds.us('SamplesPerPixel') ?? 1;
  const planar = (ds.us('PlanarConfiguration') ?? 0) === 1;
  const photometric = ds.string('PhotometricInterpretation') ?? 'MONOCHROME2';
  const frames = ds.numbers('NumberOfFrames')?.[0] ?? 1;
  if (rows === 0 || cols === 0) throw new ParseFailure(`image size ${cols}×${rows} is empty`, 'tag (0028,0010)');
  if (rows * cols * frames > loadLimits().maxPixels) {
    throw new ParseFailure(
      `image ${cols}×${rows}×${frames} frame(s) (${rows * cols * frames} pixels) exceeds the pixel limit: ${pixelLimitHint()}`,
      'tag (0028,0008)',
    );
  }
  if (![8, 16, 32].includes(bitsAllocated)) throw new ParseFailure(`BitsAllocated ${bitsAllocated} is not supported (8, 16 or 32)`, 'tag (0028,0100)');
  if (bitsStored < 1 || bitsStored > bitsAllocated)
    throw new ParseFailure(`BitsStored ${bitsStored} must be between 1 and BitsAllocated ${bitsAllocated}`, 'tag (0028,0101)');
  if (!Number.isInteger(frames) || frames < 1) throw new ParseFailure(`NumberOfFrames ${frames} must be a positive integer`, 'tag (0028,0008)');
  // JPEG decoders hand YCbCr data back as RGB.
  const colour = photometric === 'RGB' || (photometric.startsWith('YBR_') && isJpegSyntax(ts));
  if (!colour && photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new ParseFailure(`PhotometricInterpretation ${photometric} is not supported (MONOCHROME1, MONOCHROME2 or RGB)`, 'tag (0028,0004)');
  }
  if (samples !== (colour ? 3 : 1)) throw new ParseFailure(`SamplesPerPixel ${samples} does not match ${photometric}`, 'tag (0028,0002)');

  const bytesPerSample = bitsAllocated / 8;
  const frameBytes = rows * cols * samples * bytesPerSample;
  const encapsulated = pixel.length === UNDEFINED;
  if (encapsulated !== !!DECODABLE_SYNTAXES[ts]) {
    throw new ParseFailure(
      encapsulated
        ? `encapsulated (compressed) pixel data in an uncompressed transfer syntax: ${DECOMPRESS_HINT}`
        : `transfer syntax ${DECODABLE_SYNTAXES[ts]} (${ts}) needs encapsulated Pixel Data, this file's is native`,
      `offset ${pixel.offset}, tag (7FE0,0010)`,
    );
  }
  // Compressed frames decoded into the uncompressed layout, read below as if the file had held it.
  const decoded = encapsulated ? decodeEncapsulated(ds.r.bytes, pixel.offset, ts, { rows, cols, samples, bitsAllocated, frames }) : undefined;
  if (!decoded && pixel.length < frameBytes * frames) {
    throw new ParseFailure(
      `truncated PixelData: ${pixel.length} bytes, but ${cols}×${rows}×${samples} samples × ${frames} frame(s) at ${bitsAllocated} bits need ${frameBytes * frames}`,
      `offset ${pixel.offset}, tag (7FE0,0010)`,
    );
  }
  const slope = ds.numbers('RescaleSlope')?.[0] ?? 1;
  const intercept = ds.numbers('RescaleIntercept')?.[0] ?? 0;
  const wc = ds.numbers('WindowCenter')?.[0];
  const ww = ds.numbers('WindowWidth')?.[0];
  // MONOCHROME1 shows low values bright: negate so that "higher = brighter" holds for every image we return.
  const invert = photometric === 'MONOCHROME1' ? -1 : 1;
  const window: IntensityWindow | undefined = wc !== undefined && ww !== undefined && ww > 0 ? { center: invert * wc, width: ww } : undefined;
  const spacing = ds.numbers('PixelSpacing');
  const info = {
    seriesUid: ds.string('SeriesInstanceUID'),
    instanceNumber: ds.numbers('InstanceNumber')?.[0],
    position: ds.numbers('ImagePositionPatient'),
    orientation: ds.numbers('ImageOrientationPatient'),
    attributes: Object.fromEntries(REFERENCE_TAGS.flatMap((name) => (ds.has(name) ? [[name, ds.string(name) ?? '']] : []))),
  };

  const view = decoded ? new DataView(decoded.buffer) : ds.r.dataView();
  const origin = decoded ? 0 : pixel.offset;
  const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const readSample = (o: number): number => {
    let v = bitsAllocated === 8 ? view.getUint8(o) : bitsAllocated === 16 ? view.getUint16(o, true) : view.getUint32(o, true);
    if (bitsStored < bitsAllocated) v &= mask;
    if (signed) {
      // Sign-extend from BitsStored.
      if (bitsStored >= 32) v = v | 0;
      else if (v & (1 << (bitsStored - 1))) v -= 1 << bitsStored;
    }
    return v;
  };
  const n = rows * cols;
  const images: DicomImage[] = [];
  for (let f = 0; f < frames; f++) {
    const base = origin + f * frameBytes;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v: number;
      if (colour) {
        const at = (c: number): number => base + (planar && !decoded ? c * n + i : i * 3 + c) * bytesPerSample;
        v = luminance(readSample(at(0)), readSample(at(1)), readSample(at(2)));
      } else v = readSample(base + i * bytesPerSample);
      out[i] = invert * (v * slope + intercept);
    }
    images.push({
      ...greyImage(cols, rows, out),
      meta: {
        source: frames > 1 ? `${file}[frame ${f}]` : file,
        ...(window ? { window } : {}),
        ...(spacing && spacing.length >= 2 ? { pixelSpacing: [spacing[1], spacing[0]] as const } : {}),
      },
      dicom: { ...info, frame: f },
    });
  }
  return images;
}

/**
 * Order the slices of a series: by position along the slice normal when every slice has ImagePositionPatient and
 * ImageOrientationPatient, else by InstanceNumber when all have one, else as given (file-name order).
 */
export function sortSeries<T extends DicomImage>(images: readonly T[]): T[] {
  const withIndex = images.map((img, i) => ({ img, i }));
  const geometric = images.every((im) => im.dicom.position?.length === 3 && im.dicom.orientation?.length === 6);
  let key: (im: T) => number;
  if (geometric) {
    const o = images[0].dicom.orientation!;
    const normal = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    key = (im) => im.dicom.position![0] * normal[0] + im.dicom.position![1] * normal[1] + im.dicom.position![2] * normal[2];
  } else if (images.every((im) => im.dicom.instanceNumber !== undefined)) key = (im) => im.dicom.instanceNumber!;
  else return [...images];
  return withIndex.sort((a, b) => key(a.img) - key(b.img) || a.img.dicom.frame - b.img.dicom.frame || a.i - b.i).map((x) => x.img);
}
