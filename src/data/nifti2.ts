// NIfTI-2 single-file volumes (540-byte header: the NIfTI-1 fields widened to int64 dims and offsets and float64
// geometry, reordered), and the entry point that reads either version. Same Volume as NIfTI-1 (nifti.ts), so slicing,
// datasets and label-map writing do not care which version a scan was. Browser-safe (takes decompressed bytes).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { DATATYPES, looksLikeNifti, MAX_VOXELS, parseNifti, UNSUPPORTED, type NiftiOptions, type Volume } from './nifti.js';
import { bestAffine, type NiftiSpace } from './nifti-space.js';

const HEADER_SIZE = 540;
const MAGIC = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]; // "n+2\0\r\n\032\n"

export const looksLikeNifti2 = (bytes: Uint8Array): boolean => {
  if (bytes.length < HEADER_SIZE) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getInt32(0, true) === HEADER_SIZE || v.getInt32(0, false) === HEADER_SIZE;
};

/** NIfTI-1 or NIfTI-2, from its sizeof_hdr. */
export const isNifti = (bytes: Uint8Array): boolean => looksLikeNifti(bytes) || looksLikeNifti2(bytes);

/** Either version; the version is found from sizeof_hdr (348 or 540, in either byte order). */
export const parseNiftiFile = (bytes: Uint8Array, file: string, opts: NiftiOptions = {}): E.Either<DataError, Volume> =>
  looksLikeNifti2(bytes) ? parseNifti2(bytes, file, opts) : parseNifti(bytes, file, opts);

function int64(r: ByteReader, offset: number, what: string): number {
  r.need(offset, 8, what);
  const v = r.dataView().getBigInt64(offset, r.littleEndian);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new ParseFailure(`${what} ${v} is out of range`, `offset ${offset}`);
  return Number(v);
}

function f64(r: ByteReader, offset: number, what: string): number {
  r.need(offset, 8, what);
  return r.dataView().getFloat64(offset, r.littleEndian);
}

export function parseNifti2(bytes: Uint8Array, file: string, opts: NiftiOptions = {}): E.Either<DataError, Volume> {
  return parseWith(file, () => {
    const r = new ByteReader(bytes, 'NIfTI-2 header');
    r.littleEndian = true;
    if (r.i32(0, 'sizeof_hdr') !== HEADER_SIZE) {
      r.littleEndian = false;
      if (r.i32(0, 'sizeof_hdr') !== HEADER_SIZE) throw new ParseFailure('not a NIfTI-2 file: sizeof_hdr is not 540', 'offset 0');
    }
    r.need(0, HEADER_SIZE, 'the 540-byte header');
    if (!MAGIC.every((b, i) => bytes[4 + i] === b)) {
      const m = String.fromCharCode(...bytes.subarray(4, 8));
      throw new ParseFailure(m === 'ni2\0' ? 'this is the header of a .hdr/.img pair; only single-file .nii is supported' : `bad magic ${JSON.stringify(m)} (expected "n+2")`, 'offset 4');
    }
    const ndim = int64(r, 16, 'dim[0]');
    if (ndim < 1 || ndim > 7) throw new ParseFailure(`dim[0] = ${ndim} must be between 1 and 7`, 'offset 16');
    const dim: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const d = i <= ndim ? int64(r, 16 + 8 * i, `dim[${i}]`) : 1;
      if (d < 1) throw new ParseFailure(`dim[${i}] = ${d} must be at least 1`, `offset ${16 + 8 * i}`);
      dim.push(d);
    }
    const [nx, ny, nz] = dim;
    const volumeCount = dim.slice(3).reduce((a, b) => a * b, 1);
    const voxels = nx * ny * nz;
    if (voxels > MAX_VOXELS) throw new ParseFailure(`volume ${nx}×${ny}×${nz} exceeds the ${MAX_VOXELS}-voxel limit`, 'offset 24');

    const code = r.i16(12, 'datatype');
    const type = DATATYPES[code];
    if (!type) {
      const known = UNSUPPORTED[code];
      throw new ParseFailure(known ? `datatype ${known} (${code}) is not supported` : `unknown datatype code ${code}`, 'offset 12');
    }
    const bitpix = r.i16(14, 'bitpix');
    if (bitpix !== type.bytes * 8) throw new ParseFailure(`bitpix ${bitpix} does not match datatype ${type.name} (${type.bytes * 8} bits)`, 'offset 14');

    const volume = opts.volume ?? 0;
    if (!Number.isInteger(volume) || volume < 0 || volume >= volumeCount) throw new ParseFailure(`volume ${volume} asked for, but the file holds ${volumeCount} volume(s)`);
    const voxOffset = int64(r, 168, 'vox_offset');
    if (voxOffset < HEADER_SIZE) throw new ParseFailure(`vox_offset ${voxOffset} must be at least 540`, 'offset 168');
    const start = voxOffset + volume * voxels * type.bytes;
    const needed = voxels * type.bytes;
    if (start + needed > bytes.length) {
      throw new ParseFailure(
        `truncated voxel data: the header declares ${nx}×${ny}×${nz}${volumeCount > 1 ? `×${volumeCount}` : ''} ${type.name} voxels ` +
          `(${needed} bytes for volume ${volume} from offset ${start}), but only ${Math.max(0, bytes.length - start)} bytes follow`,
        `offset ${start}`,
      );
    }
    let slope = f64(r, 176, 'scl_slope');
    let inter = f64(r, 184, 'scl_inter');
    if (slope === 0 || !Number.isFinite(slope)) {
      slope = 1;
      inter = 0;
    } else if (!Number.isFinite(inter)) inter = 0;

    const space: NiftiSpace = {
      qformCode: r.i32(344, 'qform_code'),
      sformCode: r.i32(348, 'sform_code'),
      quatern: [f64(r, 352, 'quatern_b'), f64(r, 360, 'quatern_c'), f64(r, 368, 'quatern_d')],
      qoffset: [f64(r, 376, 'qoffset_x'), f64(r, 384, 'qoffset_y'), f64(r, 392, 'qoffset_z')],
      qfac: f64(r, 104, 'pixdim[0]') < 0 ? -1 : 1,
      pixdim: [1, 2, 3].map((i) => f64(r, 104 + 8 * i, `pixdim[${i}]`)) as [number, number, number],
      sform: Array.from({ length: 12 }, (_, k) => f64(r, 400 + 8 * k, 'srow')),
      xyztUnits: r.i32(500, 'xyzt_units'),
    };
    const spacing = space.pixdim.map((p) => Math.abs(p) || 1) as [number, number, number];
    const view = r.dataView();
    const data = new Float32Array(voxels);
    for (let n = 0, o = start; n < voxels; n++, o += type.bytes) data[n] = type.read(view, o, r.littleEndian) * slope + inter;
    return { source: file, dims: [nx, ny, nz], spacing, data, affine: bestAffine(space), volumeCount, space };
  });
}
