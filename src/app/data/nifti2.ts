// NIfTI-2 single-file volumes (540-byte header: the NIfTI-1 fields widened to int64 dims and offsets and float64
// geometry, reordered), and the entry points that read either version. The layout is read here into the fields both
// versions share (nifti.ts's NiftiFields); from there a NIfTI-2 file goes the same way as a NIfTI-1 file: the same
// checks and voxel limit, the same streaming decoder and NaN/±Inf handling, the same Volume, so slicing, datasets and
// label-map writing do not care which version a scan was. Browser-safe (takes decompressed bytes).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure } from './errors.js';
import { niftiHeaderSize, parseNifti, type NiftiFields, type NiftiOptions, type Volume } from './nifti.js';

export const NIFTI2_HEADER_SIZE = 540;
const MAGIC = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]; // "n+2\0\r\n\032\n"

export const looksLikeNifti2 = (bytes: Uint8Array): boolean => bytes.length >= NIFTI2_HEADER_SIZE && niftiHeaderSize(bytes)?.size === NIFTI2_HEADER_SIZE;

/** NIfTI-1 or NIfTI-2, from its sizeof_hdr (with the whole header present). */
export const isNifti = (bytes: Uint8Array): boolean => {
  const found = niftiHeaderSize(bytes);
  return found !== undefined && bytes.length >= found.size;
};

/** Either version; the version is found from sizeof_hdr (348 or 540, in either byte order). */
export const parseNiftiFile = (bytes: Uint8Array, file: string, opts: NiftiOptions = {}): E.Either<DataError, Volume> => parseNifti(bytes, file, opts);

function int64(r: ByteReader, offset: number, what: string): number {
  r.need(offset, 8, what);
  const v = r.dataView().getBigInt64(offset, r.littleEndian);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new ParseFailure(`NIfTI-2 ${what} ${v} is out of range`, `offset ${offset}`);
  return Number(v);
}

function f64(r: ByteReader, offset: number, what: string): number {
  r.need(offset, 8, what);
  return r.dataView().getFloat64(offset, r.littleEndian);
}

/** NIfTI-2's 540-byte layout (sizeof_hdr already read as 540 in this byte order); throws ParseFailure. */
export function nifti2Fields(bytes: Uint8Array, littleEndian: boolean): NiftiFields {
  const r = new ByteReader(bytes, 'NIfTI-2 header', littleEndian);
  r.need(0, NIFTI2_HEADER_SIZE, 'the 540-byte header');
  if (!MAGIC.every((b, i) => bytes[4 + i] === b)) {
    const m = String.fromCharCode(...bytes.subarray(4, 8));
    throw new ParseFailure(
      m === 'ni2\0' ? 'this is the header of a .hdr/.img pair; only single-file .nii is supported' : `bad magic ${JSON.stringify(m)} (expected "n+2")`,
      'offset 4',
    );
  }
  const ndim = int64(r, 16, 'dim[0]');
  return {
    version: 2,
    headerSize: NIFTI2_HEADER_SIZE,
    littleEndian,
    ndim,
    dim: [1, 2, 3, 4, 5, 6, 7].map((i) => (i <= ndim ? int64(r, 16 + 8 * i, `dim[${i}]`) : 1)),
    datatype: r.i16(12, 'datatype'),
    bitpix: r.i16(14, 'bitpix'),
    voxOffset: int64(r, 168, 'vox_offset'),
    slope: f64(r, 176, 'scl_slope'),
    inter: f64(r, 184, 'scl_inter'),
    space: {
      qformCode: r.i32(344, 'qform_code'),
      sformCode: r.i32(348, 'sform_code'),
      quatern: [f64(r, 352, 'quatern_b'), f64(r, 360, 'quatern_c'), f64(r, 368, 'quatern_d')],
      qoffset: [f64(r, 376, 'qoffset_x'), f64(r, 384, 'qoffset_y'), f64(r, 392, 'qoffset_z')],
      qfac: f64(r, 104, 'pixdim[0]') < 0 ? -1 : 1,
      pixdim: [1, 2, 3].map((i) => f64(r, 104 + 8 * i, `pixdim[${i}]`)) as [number, number, number],
      sform: Array.from({ length: 12 }, (_, k) => f64(r, 400 + 8 * k, 'srow')),
      xyztUnits: r.i32(500, 'xyzt_units'),
    },
    at: { dim: (i) => 16 + 8 * i, datatype: 12, bitpix: 14, voxOffset: 168 },
  };
}
