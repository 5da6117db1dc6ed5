// Writers for tiny NIfTI-1 and DICOM files, built byte by byte in the tests (independent of the parsers under test).

export interface NiftiSpec {
  dims: number[]; // dim[1..]
  datatype: number;
  bitpix: number;
  values: number[];
  littleEndian?: boolean;
  slope?: number;
  inter?: number;
  /** 3×4 row-major; sets sform_code 1 when given. */
  sform?: number[];
  pixdim?: number[];
  magic?: string;
}

export function makeNifti(s: NiftiSpec): Uint8Array {
  const le = s.littleEndian ?? true;
  const bytesPer = s.bitpix / 8;
  const out = new Uint8Array(352 + s.values.length * bytesPer);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, le);
  v.setInt16(40, s.dims.length, le);
  s.dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, le));
  v.setInt16(70, s.datatype, le);
  v.setInt16(72, s.bitpix, le);
  const pix = s.pixdim ?? [1, 1, 1];
  v.setFloat32(76, 1, le);
  pix.forEach((p, i) => v.setFloat32(80 + 4 * i, p, le));
  v.setFloat32(108, 352, le);
  v.setFloat32(112, s.slope ?? 0, le);
  v.setFloat32(116, s.inter ?? 0, le);
  if (s.sform) {
    v.setInt16(254, 1, le);
    s.sform.forEach((x, i) => v.setFloat32(280 + 4 * i, x, le));
  }
  const magic = s.magic ?? 'n+1\0';
  for (let i = 0; i < 4; i++) out[344 + i] = magic.charCodeAt(i);
  writeVoxels(v, 352, s, le);
  return out;
}

/** The spec's voxel values from byte `offset` on, in its datatype (NIfTI-1 and NIfTI-2 store them alike). */
function writeVoxels(v: DataView, offset: number, s: NiftiSpec, le: boolean): void {
  const bytesPer = s.bitpix / 8;
  s.values.forEach((x, i) => {
    const o = offset + i * bytesPer;
    switch (s.datatype) {
      case 2:
        v.setUint8(o, x);
        break;
      case 4:
        v.setInt16(o, x, le);
        break;
      case 8:
        v.setInt32(o, x, le);
        break;
      case 16:
        v.setFloat32(o, x, le);
        break;
      case 64:
        v.setFloat64(o, x, le);
        break;
      case 256:
        v.setInt8(o, x);
        break;
      case 512:
        v.setUint16(o, x, le);
        break;
      default:
        throw new Error(`fixture: datatype ${s.datatype}`);
    }
  });
}

/**
 * A float32 NIfTI-1 volume of f(x, y, z) over dims voxels of 1 mm, its sform centring the grid on the origin: the
 * image and label volumes of the from-labels tests.
 */
export function volumeOf(dims: readonly [number, number, number], f: (x: number, y: number, z: number) => number): Uint8Array {
  const [nx, ny, nz] = dims;
  const values: number[] = [];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) values.push(f(x, y, z));
  const centre = dims.map((n) => -(n - 1) / 2);
  return makeNifti({ dims: [nx, ny, nz], datatype: 16, bitpix: 32, values, sform: [1, 0, 0, centre[0], 0, 1, 0, centre[1], 0, 0, 1, centre[2]] });
}

/** The same spec as a NIfTI-2 file (540-byte header: int64 dims and vox_offset, float64 geometry; voxels at 544). */
export function makeNifti2(s: NiftiSpec & { voxOffset?: number }): Uint8Array {
  const le = s.littleEndian ?? true;
  const bytesPer = s.bitpix / 8;
  const voxOffset = s.voxOffset ?? 544;
  const out = new Uint8Array(voxOffset + s.values.length * bytesPer);
  const v = new DataView(out.buffer);
  v.setInt32(0, 540, le);
  const magic = s.magic ?? 'n+2\0\r\n\x1a\n';
  for (let i = 0; i < 8; i++) out[4 + i] = magic.charCodeAt(i);
  v.setInt16(12, s.datatype, le);
  v.setInt16(14, s.bitpix, le);
  v.setBigInt64(16, BigInt(s.dims.length), le);
  s.dims.forEach((d, i) => v.setBigInt64(24 + 8 * i, BigInt(d), le));
  v.setFloat64(104, 1, le);
  (s.pixdim ?? [1, 1, 1]).forEach((p, i) => v.setFloat64(112 + 8 * i, p, le));
  v.setBigInt64(168, BigInt(voxOffset), le);
  v.setFloat64(176, s.slope ?? 0, le);
  v.setFloat64(184, s.inter ?? 0, le);
  if (s.sform) {
    v.setInt32(348, 1, le);
    s.sform.forEach((x, i) => v.setFloat64(400 + 8 * i, x, le));
  }
  writeVoxels(v, voxOffset, s, le);
  return out;
}

// ---------- DICOM ----------

const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

interface El {
  group: number;
  element: number;
  vr: string;
  value: Uint8Array;
  undefinedLength?: boolean;
}

const str = (s: string, pad = ' '): Uint8Array => {
  const t = s.length % 2 ? s + pad : s;
  return Uint8Array.from(t, (c) => c.charCodeAt(0));
};
const u16 = (x: number): Uint8Array => new Uint8Array(new Uint16Array([x]).buffer);

function encode(el: El, explicit: boolean): Uint8Array {
  const len = el.undefinedLength ? 0xffffffff : el.value.length;
  const head: number[] = [];
  const push16 = (x: number) => head.push(x & 0xff, (x >> 8) & 0xff);
  const push32 = (x: number) => head.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  push16(el.group);
  push16(el.element);
  if (explicit) {
    head.push(el.vr.charCodeAt(0), el.vr.charCodeAt(1));
    if (LONG.has(el.vr)) {
      push16(0);
      push32(len);
    } else push16(len);
  } else push32(len);
  const out = new Uint8Array(head.length + el.value.length);
  out.set(head);
  out.set(el.value, head.length);
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

export interface DicomSpec {
  rows: number;
  cols: number;
  pixels: number[]; // stored values, samples interleaved
  transferSyntax?: string;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  samples?: 1 | 3;
  photometric?: string;
  slope?: number;
  intercept?: number;
  windowCenter?: number;
  windowWidth?: number;
  instanceNumber?: number;
  position?: number[];
  orientation?: number[];
  seriesUid?: string;
  /** PixelSpacing (0028,0030): [row spacing, column spacing]. */
  pixelSpacing?: number[];
  /** More elements: [group, element, VR, value] (string VRs; the value is padded to even length). */
  tags?: [number, number, string, string][];
  frames?: number;
  /** Add an undefined-length sequence with a nested item before the image tags (parsers must skip it). */
  withSequence?: boolean;
  /** Write PixelData with undefined length (encapsulated). */
  encapsulated?: boolean;
  /** Encapsulated PixelData with these fragments (and this Basic Offset Table, default empty). */
  fragments?: Uint8Array[];
  offsetTable?: number[];
}

export function makeDicom(s: DicomSpec): Uint8Array {
  const ts = s.transferSyntax ?? '1.2.840.10008.1.2.1';
  const explicit = ts !== '1.2.840.10008.1.2';
  const bits = s.bitsAllocated ?? 16;
  const pix = new Uint8Array(s.pixels.length * (bits / 8));
  const pv = new DataView(pix.buffer);
  s.pixels.forEach((x, i) => (bits === 8 ? pv.setUint8(i, x & 0xff) : pv.setUint16(2 * i, x & 0xffff, true)));
  const metaEls: El[] = [
    { group: 2, element: 0x0001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { group: 2, element: 0x0010, vr: 'UI', value: str(ts, '\0') },
  ];
  const meta = concat(metaEls.map((e) => encode(e, true)));
  const groupLength = encode({ group: 2, element: 0, vr: 'UL', value: new Uint8Array(new Uint32Array([meta.length]).buffer) }, true);
  const els: El[] = [];
  const add = (group: number, element: number, vr: string, value: Uint8Array, undefinedLength = false) =>
    els.push({ group, element, vr, value, undefinedLength });
  add(0x0008, 0x0060, 'CS', str('MR'));
  if (s.withSequence) {
    // (0008,1140) Referenced Image Sequence: undefined length, one undefined-length item holding a nested tag.
    const nested = encode({ group: 0x0008, element: 0x1155, vr: 'UI', value: str('1.2.3', '\0') }, explicit);
    const itemStart = new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    const itemEnd = new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
    const seqEnd = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    add(0x0008, 0x1140, 'SQ', concat([itemStart, nested, itemEnd, seqEnd]), true);
  }
  if (s.seriesUid) add(0x0020, 0x000e, 'UI', str(s.seriesUid, '\0'));
  if (s.instanceNumber !== undefined) add(0x0020, 0x0013, 'IS', str(String(s.instanceNumber)));
  if (s.position) add(0x0020, 0x0032, 'DS', str(s.position.join('\\')));
  if (s.orientation) add(0x0020, 0x0037, 'DS', str(s.orientation.join('\\')));
  if (s.pixelSpacing) add(0x0028, 0x0030, 'DS', str(s.pixelSpacing.join('\\')));
  for (const [group, element, vr, value] of s.tags ?? []) add(group, element, vr, str(value, vr === 'UI' ? '\0' : ' '));
  add(0x0028, 0x0002, 'US', u16(s.samples ?? 1));
  add(0x0028, 0x0004, 'CS', str(s.photometric ?? ((s.samples ?? 1) === 3 ? 'RGB' : 'MONOCHROME2')));
  if (s.frames !== undefined) add(0x0028, 0x0008, 'IS', str(String(s.frames)));
  add(0x0028, 0x0010, 'US', u16(s.rows));
  add(0x0028, 0x0011, 'US', u16(s.cols));
  add(0x0028, 0x0100, 'US', u16(bits));
  add(0x0028, 0x0101, 'US', u16(s.bitsStored ?? bits));
  add(0x0028, 0x0103, 'US', u16(s.signed ? 1 : 0));
  if (s.windowCenter !== undefined) add(0x0028, 0x1050, 'DS', str(String(s.windowCenter)));
  if (s.windowWidth !== undefined) add(0x0028, 0x1051, 'DS', str(String(s.windowWidth)));
  if (s.intercept !== undefined) add(0x0028, 0x1052, 'DS', str(String(s.intercept)));
  if (s.slope !== undefined) add(0x0028, 0x1053, 'DS', str(String(s.slope)));
  if (s.fragments) {
    const item = (data: Uint8Array): Uint8Array => {
      const padded = data.length % 2 ? concat([data, new Uint8Array(1)]) : data;
      return concat([new Uint8Array([0xfe, 0xff, 0x00, 0xe0]), new Uint8Array(new Uint32Array([padded.length]).buffer), padded]);
    };
    const table = new Uint8Array(new Uint32Array(s.offsetTable ?? []).buffer);
    const seqEnd = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    add(0x7fe0, 0x0010, 'OB', concat([item(table), ...s.fragments.map(item), seqEnd]), true);
  } else if (s.encapsulated) {
    const item = new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
    const seqEnd = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    add(0x7fe0, 0x0010, 'OB', concat([item, seqEnd]), true);
  } else add(0x7fe0, 0x0010, bits === 8 ? 'OB' : 'OW', pix.length % 2 ? concat([pix, new Uint8Array(1)]) : pix);
  // Elements in ascending tag order, as DICOM requires (the extra tags may fall anywhere).
  els.sort((a, b) => a.group - b.group || a.element - b.element);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, meta, ...els.map((e) => encode(e, explicit))]);
}
