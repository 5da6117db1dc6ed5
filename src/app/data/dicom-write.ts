// A small DICOM Part-10 writer: data sets as lists of elements, encoded in Explicit VR Little Endian with defined
// lengths (sequences and items included), after the 128-byte preamble, "DICM" and the file meta group. Enough for
// the objects we derive (DICOM-SEG); values are given as strings (text VRs, backslash-separated for several),
// numbers (US, UL, FL, FD), tag pairs (AT), bytes (OB) or nested data sets (SQ). Browser-safe.

export type Value = string | readonly number[] | Uint8Array | readonly DataSet[];
export interface Element {
  /** (group << 16) | element. */
  readonly tag: number;
  readonly vr: string;
  readonly value: Value;
}
export type DataSet = readonly Element[];

export const tagOf = (group: number, element: number): number => ((group << 16) | element) >>> 0;
export const el = (group: number, element: number, vr: string, value: Value): Element => ({ tag: tagOf(group, element), vr, value });

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const MAX_SHORT = 0xffff;

/** A decimal string (DS) of at most 16 characters, as the standard allows. */
export function decimalString(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`DS value ${v} is not finite`);
  if (Object.is(v, -0) || Math.abs(v) < 1e-12) return '0';
  for (let digits = 15; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(8);
}

/** A new UID under the UUID-derived root 2.25 (PS3.5 B.2): 128 random bits as a decimal integer. */
export function newUid(random: (bytes: Uint8Array<ArrayBuffer>) => void = (b) => void crypto.getRandomValues(b)): string {
  const b = new Uint8Array(16);
  random(b);
  // An RFC 4122 version-4 UUID's bits.
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return `2.25.${n}`;
}

function valueBytes(e: Element): Uint8Array {
  const v = e.value;
  if (e.vr === 'SQ') {
    const items = (v as readonly DataSet[]).map((ds) => {
      const body = encodeDataSet(ds);
      const head = new Uint8Array(8);
      const dv = new DataView(head.buffer);
      dv.setUint16(0, 0xfffe, true);
      dv.setUint16(2, 0xe000, true);
      dv.setUint32(4, body.length, true);
      return concatBytes([head, body]);
    });
    return concatBytes(items);
  }
  if (typeof v === 'string') {
    if (!TEXT_VRS.has(e.vr)) throw new TypeError(`DICOM element ${hex(e.tag)}: a string for VR ${e.vr}`);
    // Bytes as they are (latin-1 code units: strings read from a source file go back unchanged); even length,
    // UIDs padded with NUL, text with a space.
    const out = new Uint8Array(v.length + (v.length % 2));
    for (let i = 0; i < v.length; i++) out[i] = v.charCodeAt(i) & 0xff;
    if (v.length % 2) out[v.length] = e.vr === 'UI' ? 0 : 0x20;
    return out;
  }
  if (v instanceof Uint8Array) return v.length % 2 ? concatBytes([v, new Uint8Array(1)]) : v;
  const nums = v as readonly number[];
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[e.vr];
  if (!size) throw new TypeError(`DICOM element ${hex(e.tag)}: numbers for VR ${e.vr}`);
  const out = new Uint8Array(nums.length * size);
  const dv = new DataView(out.buffer);
  nums.forEach((x, i) => {
    const o = i * size;
    if (e.vr === 'US') dv.setUint16(o, x, true);
    else if (e.vr === 'SS') dv.setInt16(o, x, true);
    else if (e.vr === 'UL') dv.setUint32(o, x, true);
    else if (e.vr === 'SL') dv.setInt32(o, x, true);
    else if (e.vr === 'FL') dv.setFloat32(o, x, true);
    else if (e.vr === 'FD') dv.setFloat64(o, x, true);
    else {
      // AT: group then element, each 16-bit little-endian.
      dv.setUint16(o, x >>> 16, true);
      dv.setUint16(o + 2, x & 0xffff, true);
    }
  });
  return out;
}

const hex = (t: number): string => `(${(t >>> 16).toString(16).padStart(4, '0')},${(t & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();

function encodeElement(e: Element): Uint8Array {
  const value = valueBytes(e);
  const long = LONG_VRS.has(e.vr);
  if (!long && value.length > MAX_SHORT)
    throw new RangeError(`DICOM element ${hex(e.tag)} (${e.vr}) is ${value.length} bytes, more than a short-length VR holds`);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, e.tag >>> 16, true);
  dv.setUint16(2, e.tag & 0xffff, true);
  head[4] = e.vr.charCodeAt(0);
  head[5] = e.vr.charCodeAt(1);
  if (long) dv.setUint32(8, value.length, true);
  else dv.setUint16(6, value.length, true);
  return concatBytes([head, value]);
}

/** A data set's elements in ascending tag order (the order the standard requires). */
export function encodeDataSet(ds: DataSet): Uint8Array {
  const sorted = [...ds].sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].tag === sorted[i - 1].tag) throw new RangeError(`DICOM data set: element ${hex(sorted[i].tag)} twice`);
  return concatBytes(sorted.map(encodeElement));
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Our implementation's identity in the file meta group (a fixed UID under 2.25). */
export const IMPLEMENTATION_CLASS_UID = '2.25.214476498203371437930312735296542372655';
export const IMPLEMENTATION_VERSION = 'ONEPROMPT_0_1';

/** A Part-10 file: preamble, "DICM", file meta group (with its length), then the data set. */
export function encodePart10(sopClassUid: string, sopInstanceUid: string, ds: DataSet): Uint8Array {
  const meta = encodeDataSet([
    el(0x0002, 0x0001, 'OB', new Uint8Array([0, 1])),
    el(0x0002, 0x0002, 'UI', sopClassUid),
    el(0x0002, 0x0003, 'UI', sopInstanceUid),
    el(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    el(0x0002, 0x0012, 'UI', IMPLEMENTATION_CLASS_UID),
    el(0x0002, 0x0013, 'SH', IMPLEMENTATION_VERSION),
  ]);
  const groupLength = encodeElement(el(0x0002, 0x0000, 'UL', [meta.length]));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concatBytes([preamble, groupLength, meta, encodeDataSet(ds)]);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
