// Writing a label volume as a single-file NIfTI (.nii; the caller gzips for .nii.gz): NIfTI-1 (348-byte header),
// or NIfTI-2 (540-byte header) when a dimension exceeds NIfTI-1's 32767. NIfTI-1 is the default whatever the input
// was: every viewer and toolkit reads it, and a label map of a NIfTI-2 scan loses nothing in it (the geometry
// fields are float32 in NIfTI-1, float64 in NIfTI-2; a float32 scan position is exact to 1e-7 relative).
// The header carries the space it is given (nifti-space.ts) as is: qform, sform, their codes, pixdim, units.
// Little-endian, intent "label" (1002), voxels from offset 352 (NIfTI-1) or 544 (NIfTI-2). Browser-safe.
import type { NiftiSpace } from './nifti-space.js';

export interface LabelVolume {
  /** Voxels along i, j, k (the scan's own). */
  readonly dims: readonly [number, number, number];
  /** index = i + nx * (j + ny * k); 0 = background. */
  readonly data: Uint8Array | Uint16Array;
  readonly space: NiftiSpace;
  /** Up to 79 ASCII characters for the header's descrip field. */
  readonly description?: string;
}

export type NiftiFormat = 'nifti1' | 'nifti2';

const NIFTI_INTENT_LABEL = 1002;
const DT_UINT8 = 2;
const DT_UINT16 = 512;
const NIFTI1_MAX_DIM = 32767;

/** The format a label volume is written in: NIfTI-1 unless a dimension does not fit its 16-bit dim fields. */
export const niftiFormatFor = (dims: readonly number[]): NiftiFormat => (dims.some((d) => d > NIFTI1_MAX_DIM) ? 'nifti2' : 'nifti1');

function maxLabel(data: Uint8Array | Uint16Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

function writeAscii(out: Uint8Array, offset: number, text: string, max: number): void {
  for (let i = 0; i < Math.min(text.length, max - 1); i++) {
    const c = text.charCodeAt(i);
    out[offset + i] = c < 128 ? c : 0x3f;
  }
}

export function encodeNifti(vol: LabelVolume, format: NiftiFormat = niftiFormatFor(vol.dims)): Uint8Array {
  const [nx, ny, nz] = vol.dims;
  if (vol.data.length !== nx * ny * nz) throw new RangeError(`encodeNifti: ${vol.data.length} labels for a ${nx}×${ny}×${nz} volume`);
  if (format === 'nifti1' && vol.dims.some((d) => d > NIFTI1_MAX_DIM))
    throw new RangeError(`encodeNifti: ${nx}×${ny}×${nz} does not fit NIfTI-1 (dims ≤ ${NIFTI1_MAX_DIM}); write NIfTI-2`);
  const wide = vol.data instanceof Uint16Array;
  const bytesPer = wide ? 2 : 1;
  const headerBytes = format === 'nifti1' ? 348 : 540;
  const voxOffset = headerBytes + 4; // + the 4-byte extension flag (no extensions)
  const out = new Uint8Array(voxOffset + vol.data.length * bytesPer);
  const v = new DataView(out.buffer);
  const s = vol.space;
  const top = maxLabel(vol.data);
  if (format === 'nifti1') {
    v.setInt32(0, 348, true);
    out[38] = 'r'.charCodeAt(0); // "regular", as Analyze readers expect
    [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
    v.setInt16(68, NIFTI_INTENT_LABEL, true);
    v.setInt16(70, wide ? DT_UINT16 : DT_UINT8, true);
    v.setInt16(72, 8 * bytesPer, true);
    [s.qfac, ...s.pixdim, 0, 0, 0, 0].forEach((p, i) => v.setFloat32(76 + 4 * i, p, true));
    v.setFloat32(108, voxOffset, true);
    v.setFloat32(112, 1, true); // scl_slope: labels are stored as they are
    v.setFloat32(116, 0, true);
    out[123] = s.xyztUnits;
    v.setFloat32(124, top, true); // cal_max, cal_min: the display range of the labels
    v.setFloat32(128, 0, true);
    writeAscii(out, 148, vol.description ?? 'oneprompt label map', 80);
    v.setInt16(252, s.qformCode, true);
    v.setInt16(254, s.sformCode, true);
    s.quatern.forEach((q, i) => v.setFloat32(256 + 4 * i, q, true));
    s.qoffset.forEach((q, i) => v.setFloat32(268 + 4 * i, q, true));
    s.sform.forEach((x, i) => v.setFloat32(280 + 4 * i, x, true));
    writeAscii(out, 328, 'labels', 16);
    out.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  } else {
    v.setInt32(0, 540, true);
    out.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4); // "n+2\0\r\n\032\n"
    v.setInt16(12, wide ? DT_UINT16 : DT_UINT8, true);
    v.setInt16(14, 8 * bytesPer, true);
    [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), true));
    [s.qfac, ...s.pixdim, 0, 0, 0, 0].forEach((p, i) => v.setFloat64(104 + 8 * i, p, true));
    v.setBigInt64(168, BigInt(voxOffset), true);
    v.setFloat64(176, 1, true);
    v.setFloat64(184, 0, true);
    v.setFloat64(192, top, true);
    v.setFloat64(200, 0, true);
    writeAscii(out, 240, vol.description ?? 'oneprompt label map', 80);
    v.setInt32(344, s.qformCode, true);
    v.setInt32(348, s.sformCode, true);
    s.quatern.forEach((q, i) => v.setFloat64(352 + 8 * i, q, true));
    s.qoffset.forEach((q, i) => v.setFloat64(376 + 8 * i, q, true));
    s.sform.forEach((x, i) => v.setFloat64(400 + 8 * i, x, true));
    v.setInt32(500, s.xyztUnits, true);
    v.setInt32(504, NIFTI_INTENT_LABEL, true);
    writeAscii(out, 508, 'labels', 16);
  }
  if (wide) {
    const d = vol.data as Uint16Array;
    for (let i = 0; i < d.length; i++) v.setUint16(voxOffset + 2 * i, d[i], true);
  } else out.set(vol.data, voxOffset);
  return out;
}
