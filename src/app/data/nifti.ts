// NIfTI-1 and NIfTI-2 single-file volumes (.nii, and .nii.gz inflated as it is read: decodeNiftiSource). The
// version comes from sizeof_hdr (348 or 540, in either byte order); each version's header layout is read into the
// same fields (NIfTI-1 here, NIfTI-2 in nifti2.ts), and from there one path serves both: dim, datatype/bitpix,
// vox_offset and scl_slope/inter checked, the declared size checked against the voxel limit before anything is
// allocated, qform and sform kept as stored (nifti-space.ts), and NaN/±Inf voxels replaced (and counted) so that one
// of them cannot blank a slice. Browser-safe (takes decompressed bytes, whole or as a stream of chunks:
// NiftiStreamDecoder; or a file's bytes, gzipped or not: decodeNiftiSource).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { dataError, type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type LoadedImage } from './image.js';
import { loadLimits, voxelLimitHint } from './limits.js';
import { bestAffine, type NiftiSpace } from './nifti-space.js';
// nifti2.ts imports this module too (for its entry points); neither uses the other while loading, so the cycle is safe.
import { NIFTI2_HEADER_SIZE, nifti2Fields } from './nifti2.js';
import { replaceNonFinite } from './non-finite.js';
import { inflateStream, InflateError, maxInflatedBytes, type InflateSource } from '../../util/inflate.js';

export type Plane = 'axial' | 'coronal' | 'sagittal';
export const PLANES: readonly Plane[] = ['axial', 'coronal', 'sagittal'];

export interface Volume {
  readonly source: string;
  /** Voxels along the stored axes i, j, k. */
  readonly dims: readonly [number, number, number];
  /** Voxel size along i, j, k in mm (pixdim[1..3]). */
  readonly spacing: readonly [number, number, number];
  /** Scaled values (scl_slope/inter applied), index = i + nx * (j + ny * k). */
  readonly data: Float32Array;
  /** Voxel (i, j, k) → world (RAS+ mm), 3×4 row-major: sform if set, else qform, else pixdim scaling. */
  readonly affine: readonly number[];
  /** How many 3-D volumes the file holds (dim[4] × ... × dim[7]); `data` is the one asked for. */
  readonly volumeCount: number;
  /** The header's qform and sform as stored (NIfTI files), so that a label map can be written in the same space. */
  readonly space?: NiftiSpace;
  /** Voxels that were NaN or ±Inf (after scaling) and were replaced: NaN by 0, ±Inf by the largest/smallest finite value. */
  readonly nonFinite?: number;
}

const HEADER_SIZE = 348;

export interface DatatypeInfo {
  readonly name: string;
  readonly bytes: number;
  readonly read: (v: DataView, o: number, le: boolean) => number;
}

export const DATATYPES: Record<number, DatatypeInfo> = {
  2: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  4: { name: 'int16', bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  8: { name: 'int32', bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  16: { name: 'float32', bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  256: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  512: { name: 'uint16', bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  768: { name: 'uint32', bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  1024: { name: 'int64', bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  1280: { name: 'uint64', bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
  128: { name: 'rgb24', bytes: 3, read: (v, o) => luminance(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2)) },
  2304: { name: 'rgba32', bytes: 4, read: (v, o) => luminance(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2)) },
};
export const UNSUPPORTED: Record<number, string> = { 1: 'binary (1-bit)', 32: 'complex64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256' };

/** sizeof_hdr in either byte order: 348 (NIfTI-1), 540 (NIfTI-2), or undefined (not NIfTI, or fewer than 4 bytes). */
export function niftiHeaderSize(bytes: Uint8Array): { size: 348 | 540; littleEndian: boolean } | undefined {
  if (bytes.length < 4) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const size = v.getInt32(0, littleEndian);
    if (size === HEADER_SIZE || size === NIFTI2_HEADER_SIZE) return { size, littleEndian };
  }
  return undefined;
}

/** A NIfTI-1 file (sizeof_hdr 348) with its whole header. */
export const looksLikeNifti = (bytes: Uint8Array): boolean => bytes.length >= HEADER_SIZE && niftiHeaderSize(bytes)?.size === HEADER_SIZE;

export interface NiftiOptions {
  /** Which 3-D volume of a 4-D (or higher) file to read (default 0). */
  readonly volume?: number;
}

/**
 * A header's fields as its version stores them (NIfTI-1: 348 bytes, int16 dims, float32 geometry; NIfTI-2: 540 bytes,
 * int64 dims and offsets, float64 geometry), before any is checked; `at` says where each lives, for messages.
 */
export interface NiftiFields {
  readonly version: 1 | 2;
  readonly headerSize: number;
  readonly littleEndian: boolean;
  /** dim[0] (the number of dimensions) as stored. */
  readonly ndim: number;
  /** dim[1..7]: as stored up to dim[0], 1 beyond. */
  readonly dim: readonly number[];
  readonly datatype: number;
  readonly bitpix: number;
  readonly voxOffset: number;
  readonly slope: number;
  readonly inter: number;
  readonly space: NiftiSpace;
  readonly at: { readonly dim: (i: number) => number; readonly datatype: number; readonly bitpix: number; readonly voxOffset: number };
}

/** What the header says: geometry, scaling, and where the voxels of the volume asked for are. */
export interface NiftiHeader {
  readonly version: 1 | 2;
  readonly dims: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
  readonly affine: readonly number[];
  readonly space: NiftiSpace;
  readonly volumeCount: number;
  readonly type: DatatypeInfo;
  readonly littleEndian: boolean;
  readonly slope: number;
  readonly inter: number;
  /** Byte offset of the first voxel of the volume asked for, and its size in bytes. */
  readonly start: number;
  readonly needed: number;
}

/** NIfTI-1's 348-byte layout; throws ParseFailure. */
function nifti1Fields(bytes: Uint8Array, littleEndian: boolean): NiftiFields {
  const r = new ByteReader(bytes, 'NIfTI header', littleEndian);
  r.need(0, HEADER_SIZE, 'the 348-byte header');
  const magic = r.ascii(344, 4, 'magic');
  if (magic === 'ni1\0') throw new ParseFailure('this is the header of a .hdr/.img pair; only single-file .nii is supported', 'offset 344');
  if (magic !== 'n+1\0') throw new ParseFailure(`bad magic ${JSON.stringify(magic)} (expected "n+1")`, 'offset 344');
  const ndim = r.i16(40, 'dim[0]');
  return {
    version: 1,
    headerSize: HEADER_SIZE,
    littleEndian,
    ndim,
    dim: [1, 2, 3, 4, 5, 6, 7].map((i) => (i <= ndim ? r.i16(40 + 2 * i, `dim[${i}]`) : 1)),
    datatype: r.i16(70, 'datatype'),
    bitpix: r.i16(72, 'bitpix'),
    voxOffset: r.f32(108, 'vox_offset'),
    slope: r.f32(112, 'scl_slope'),
    inter: r.f32(116, 'scl_inter'),
    space: {
      qformCode: r.i16(252, 'qform_code'),
      sformCode: r.i16(254, 'sform_code'),
      quatern: [r.f32(256, 'quatern_b'), r.f32(260, 'quatern_c'), r.f32(264, 'quatern_d')],
      qoffset: [r.f32(268, 'qoffset_x'), r.f32(272, 'qoffset_y'), r.f32(276, 'qoffset_z')],
      qfac: r.f32(76, 'pixdim[0]') < 0 ? -1 : 1,
      pixdim: [1, 2, 3].map((i) => r.f32(76 + 4 * i, `pixdim[${i}]`)) as [number, number, number],
      sform: [280, 296, 312].flatMap((base) => [0, 1, 2, 3].map((k) => r.f32(base + 4 * k, 'srow'))),
      xyztUnits: bytes[123],
    },
    at: { dim: (i) => 40 + 2 * i, datatype: 70, bitpix: 72, voxOffset: 108 },
  };
}

/** The fields of either version's header, from sizeof_hdr; throws ParseFailure. */
function readFields(bytes: Uint8Array): NiftiFields {
  const found = niftiHeaderSize(bytes);
  if (!found) {
    if (bytes.length < 4) new ByteReader(bytes, 'NIfTI header').need(0, 4, 'sizeof_hdr');
    const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
    throw new ParseFailure(`not a NIfTI file: sizeof_hdr is ${v.getInt32(0, true)} (expected 348 for NIfTI-1 or 540 for NIfTI-2)`, 'offset 0');
  }
  return found.size === HEADER_SIZE ? nifti1Fields(bytes, found.littleEndian) : nifti2Fields(bytes, found.littleEndian);
}

/** The checks every header gets, whatever its version: the rules of the standard, and the voxel limit. */
function checkFields(f: NiftiFields, opts: NiftiOptions): NiftiHeader {
  const v2 = f.version === 2 ? 'NIfTI-2 ' : '';
  if (f.ndim < 1 || f.ndim > 7) throw new ParseFailure(`${v2}dim[0] = ${f.ndim} must be between 1 and 7`, `offset ${f.at.dim(0)}`);
  f.dim.forEach((d, k) => {
    if (d < 1) throw new ParseFailure(`${v2}dim[${k + 1}] = ${d} must be at least 1`, `offset ${f.at.dim(k + 1)}`);
  });
  const [nx, ny, nz] = f.dim;
  const volumeCount = f.dim.slice(3).reduce((a, b) => a * b, 1);
  const voxels = nx * ny * nz;
  if (voxels > loadLimits().maxVoxels)
    throw new ParseFailure(`volume ${nx}×${ny}×${nz} (${voxels} voxels) exceeds the voxel limit: ${voxelLimitHint()}`, `offset ${f.at.dim(1)}`);

  const type = DATATYPES[f.datatype];
  if (!type) {
    const known = UNSUPPORTED[f.datatype];
    throw new ParseFailure(known ? `datatype ${known} (${f.datatype}) is not supported` : `unknown datatype code ${f.datatype}`, `offset ${f.at.datatype}`);
  }
  if (f.bitpix !== type.bytes * 8)
    throw new ParseFailure(`bitpix ${f.bitpix} does not match datatype ${type.name} (${type.bytes * 8} bits)`, `offset ${f.at.bitpix}`);

  const volume = opts.volume ?? 0;
  if (!Number.isInteger(volume) || volume < 0 || volume >= volumeCount) {
    throw new ParseFailure(`volume ${volume} asked for, but the file holds ${volumeCount} volume(s)`);
  }
  if (!Number.isSafeInteger(f.voxOffset) || f.voxOffset < f.headerSize) {
    throw new ParseFailure(`vox_offset ${f.voxOffset} must be a whole number of bytes >= ${f.headerSize}`, `offset ${f.at.voxOffset}`);
  }
  const start = f.voxOffset + volume * voxels * type.bytes;
  const needed = voxels * type.bytes;

  // The standard: slope 0 means "no scaling".
  let slope = f.slope;
  let inter = f.inter;
  if (slope === 0 || !Number.isFinite(slope)) {
    slope = 1;
    inter = 0;
  } else if (!Number.isFinite(inter)) inter = 0;

  const spacing = f.space.pixdim.map((p) => {
    const v = Math.abs(p);
    return Number.isFinite(v) && v > 0 ? v : 1;
  }) as [number, number, number];
  let affine = bestAffine(f.space);
  // A corrupt sform/qform (NaN, Inf) would make slicing meaningless: fall back to the voxel grid.
  if (!affine.every(Number.isFinite)) affine = [spacing[0], 0, 0, 0, 0, spacing[1], 0, 0, 0, 0, spacing[2], 0];
  return {
    version: f.version,
    dims: [nx, ny, nz],
    spacing,
    affine,
    space: f.space,
    volumeCount,
    type,
    littleEndian: f.littleEndian,
    slope,
    inter,
    start,
    needed,
  };
}

/** The header from its first bytes (348 or 540; the voxels need not follow); throws ParseFailure. */
const readHeader = (bytes: Uint8Array, opts: NiftiOptions): NiftiHeader => checkFields(readFields(bytes), opts);

function truncated(h: NiftiHeader, volume: number, have: number): ParseFailure {
  const [nx, ny, nz] = h.dims;
  return new ParseFailure(
    `truncated voxel data: the header declares ${nx}×${ny}×${nz}${h.volumeCount > 1 ? `×${h.volumeCount}` : ''} ${h.type.name} voxels ` +
      `(${h.needed} bytes for volume ${volume} from offset ${h.start}), but only ${Math.max(0, have - h.start)} bytes follow`,
    `offset ${h.start}`,
  );
}

const finishVolume = (file: string, h: NiftiHeader, data: Float32Array): Volume => {
  const nonFinite = replaceNonFinite(data);
  return {
    source: file,
    dims: h.dims,
    spacing: h.spacing,
    data,
    affine: h.affine,
    volumeCount: h.volumeCount,
    space: h.space,
    ...(nonFinite ? { nonFinite } : {}),
  };
};

/** A NIfTI-1 or NIfTI-2 file's volume from its (decompressed) bytes. */
export function parseNifti(bytes: Uint8Array, file: string, opts: NiftiOptions = {}): E.Either<DataError, Volume> {
  return parseWith(file, () => {
    const h = readHeader(bytes, opts);
    if (h.start + h.needed > bytes.length) throw truncated(h, opts.volume ?? 0, bytes.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const voxels = h.dims[0] * h.dims[1] * h.dims[2];
    const data = new Float32Array(voxels);
    for (let n = 0, o = h.start; n < voxels; n++, o += h.type.bytes) data[n] = h.type.read(view, o, h.littleEndian) * h.slope + h.inter;
    return finishVolume(file, h, data);
  });
}

/**
 * A NIfTI file (either version) decoded as its bytes arrive (from a file or an inflater): the header is parsed from
 * its first 348 or 540 bytes and checked (voxel limit, and `maxBytes`, the most the stream can hold) before the voxel
 * array is allocated; `push` returns false once the volume asked for is complete, so nothing after it is read or
 * inflated.
 */
export class NiftiStreamDecoder {
  private readonly head = new Uint8Array(NIFTI2_HEADER_SIZE);
  private headLength = 0;
  /** 348 or 540, once sizeof_hdr has arrived. */
  private headerSize: number | undefined;
  private header: NiftiHeader | undefined;
  private data: Float32Array | undefined;
  /** Bytes of the stream seen so far. */
  private position = 0;
  private voxel = 0;
  /** A voxel split between two chunks. */
  private readonly carry = new Uint8Array(8);
  private carryLength = 0;
  private readonly carryView = new DataView(this.carry.buffer);

  constructor(
    readonly file: string,
    readonly opts: NiftiOptions & {
      /** The most bytes the stream can hold (a file's size, or what its compressed bytes can inflate to). */
      readonly maxBytes?: number;
      /** What to call the limit on maxBytes in the refusal. */
      readonly maxBytesWhy?: string;
    } = {},
  ) {}

  /** Feed the next bytes; false when the volume is complete (stop reading). Throws ParseFailure. */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    if (!this.header) {
      // sizeof_hdr (the first 4 bytes) says how long the header is, or that this is not NIfTI at all.
      while (at < chunk.length && (this.headerSize === undefined || this.headLength < this.headerSize)) {
        const want = this.headerSize ?? 4;
        const take = Math.min(want - this.headLength, chunk.length - at);
        this.head.set(chunk.subarray(at, at + take), this.headLength);
        this.headLength += take;
        at += take;
        if (this.headerSize === undefined && this.headLength >= 4) this.headerSize = readSize(this.head.subarray(0, 4));
      }
      this.position += at;
      if (this.headerSize === undefined || this.headLength < this.headerSize) return true;
      this.start();
    }
    const h = this.header!;
    const data = this.data!;
    const end = h.start + h.needed;
    const chunkStart = this.position - at; // stream offset of chunk[0]
    const from = Math.max(at, h.start - chunkStart);
    const to = Math.min(chunk.length, end - chunkStart);
    this.position = chunkStart + chunk.length;
    if (from >= to) return this.position < end;
    const size = h.type.bytes;
    let i = from;
    if (this.carryLength > 0) {
      const take = Math.min(size - this.carryLength, to - i);
      this.carry.set(chunk.subarray(i, i + take), this.carryLength);
      this.carryLength += take;
      i += take;
      if (this.carryLength === size) {
        data[this.voxel++] = h.type.read(this.carryView, 0, h.littleEndian) * h.slope + h.inter;
        this.carryLength = 0;
      }
    }
    const whole = Math.floor((to - i) / size);
    if (whole > 0) {
      const view = new DataView(chunk.buffer, chunk.byteOffset + i, whole * size);
      for (let k = 0, o = 0; k < whole; k++, o += size) data[this.voxel++] = h.type.read(view, o, h.littleEndian) * h.slope + h.inter;
      i += whole * size;
    }
    if (i < to) {
      this.carry.set(chunk.subarray(i, to), 0);
      this.carryLength = to - i;
    }
    return this.position < end;
  }

  /** The volume, once every voxel has arrived; throws ParseFailure for a truncated header or voxel data. */
  finish(): Volume {
    if (!this.header) {
      const size = this.headerSize ?? HEADER_SIZE;
      new ByteReader(this.head.subarray(0, this.headLength), this.headerSize === NIFTI2_HEADER_SIZE ? 'NIfTI-2 header' : 'NIfTI header').need(
        0,
        size,
        `the ${size}-byte header`,
      );
    }
    const h = this.header!;
    if (this.voxel < this.data!.length) throw truncated(h, this.opts.volume ?? 0, this.position);
    return finishVolume(this.file, h, this.data!);
  }

  private start(): void {
    const h = readHeader(this.head.subarray(0, this.headerSize), this.opts);
    const limit = this.opts.maxBytes;
    if (limit !== undefined && h.start + h.needed > limit) {
      throw new ParseFailure(
        `${truncated(h, this.opts.volume ?? 0, limit).message}${this.opts.maxBytesWhy ? ` (${this.opts.maxBytesWhy})` : ''}`,
        `offset ${h.start}`,
      );
    }
    this.header = h;
    this.data = new Float32Array(h.dims[0] * h.dims[1] * h.dims[2]);
  }
}

/**
 * A .nii or .nii.gz (either version) from `source`, the file's bytes in chunks (`size` in all): a gzip stream is
 * inflated only as far as the volume asked for goes, and neither may declare more than the file can hold. Errors
 * name the file; an error of the source itself (a read failing) is thrown. Used by load.ts on files and by the page
 * on picked files.
 */
export function decodeNiftiSource(file: string, source: InflateSource, size: number, opts: NiftiOptions = {}): E.Either<DataError, Volume> {
  let first: Uint8Array | undefined = source() ?? new Uint8Array(0);
  const gz = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const decoder = new NiftiStreamDecoder(file, {
    ...opts,
    maxBytes: gz ? maxInflatedBytes(size) : size,
    maxBytesWhy: gz ? `${size} bytes of gzip data cannot hold more than ${maxInflatedBytes(size)}` : `the file has ${size} bytes`,
  });
  try {
    if (gz) {
      // The first chunk (already read to see the gzip signature), then the rest.
      const rest = (): Uint8Array | undefined => {
        const chunk = first ?? source();
        first = undefined;
        return chunk;
      };
      try {
        inflateStream('gzip', rest, (chunk) => decoder.push(chunk));
      } catch (e) {
        if (e instanceof InflateError) return E.left(dataError(file, `the gzip stream is truncated or corrupt (${e.message})`));
        throw e;
      }
    } else {
      for (let chunk: Uint8Array | undefined = first; chunk && chunk.length > 0 && decoder.push(chunk); chunk = source());
    }
    return E.right(decoder.finish());
  } catch (e) {
    if (e instanceof ParseFailure) return E.left(dataError(file, e.message, e.where));
    throw e;
  }
}

/** The header size sizeof_hdr declares; throws ParseFailure when it is neither version's. */
function readSize(first4: Uint8Array): number {
  const found = niftiHeaderSize(first4);
  if (!found) readFields(first4); // throws, naming sizeof_hdr
  return found!.size;
}

// ---------- slicing ----------

/** The voxel axis that runs along each world axis (x = R, y = A, z = S), by the best matching permutation. */
function axisPermutation(affine: readonly number[]): [number, number, number] {
  const align = (axis: number, world: number): number => {
    const col = [affine[axis], affine[4 + axis], affine[8 + axis]];
    const len = Math.hypot(col[0], col[1], col[2]) || 1;
    return Math.abs(col[world]) / len;
  };
  const perms: [number, number, number][] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  let best = perms[0];
  let bestScore = -1;
  for (const p of perms) {
    // p[w] = voxel axis for world axis w
    const score = align(p[0], 0) + align(p[1], 1) + align(p[2], 2);
    if (score > bestScore + 1e-9) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}

const NORMAL: Record<Plane, number> = { sagittal: 0, coronal: 1, axial: 2 };
/**
 * Display convention per plane: which world axis runs along image columns (left → right) and rows (top → bottom),
 * and in which direction. Axial and coronal are radiological (patient's right on the image's left: RAS x decreasing
 * to the right); anterior (axial) or superior (coronal, sagittal) is at the top; sagittal has anterior on the left.
 */
const DISPLAY: Record<Plane, { col: [number, number]; row: [number, number] }> = {
  axial: { col: [0, -1], row: [1, -1] },
  coronal: { col: [0, -1], row: [2, -1] },
  sagittal: { col: [1, -1], row: [2, -1] },
};

export interface SliceOptions {
  /**
   * true (default): orient the slice for display from the affine (see DISPLAY above). false: the stored order, image x
   * along the lower remaining voxel axis.
   */
  readonly reorient?: boolean;
}

interface SliceGeometry {
  readonly sliceAxis: number;
  readonly colAxis: number;
  readonly rowAxis: number;
  readonly flipCol: boolean;
  readonly flipRow: boolean;
}

function geometry(vol: Volume, plane: Plane, reorient: boolean): SliceGeometry {
  const perm = axisPermutation(vol.affine);
  const sliceAxis = perm[NORMAL[plane]];
  if (!reorient) {
    const [colAxis, rowAxis] = [0, 1, 2].filter((a) => a !== sliceAxis);
    return { sliceAxis, colAxis, rowAxis, flipCol: false, flipRow: false };
  }
  const d = DISPLAY[plane];
  const colAxis = perm[d.col[0]];
  const rowAxis = perm[d.row[0]];
  const sign = (axis: number, world: number): number => Math.sign(vol.affine[4 * world + axis]) || 1;
  return { sliceAxis, colAxis, rowAxis, flipCol: sign(colAxis, d.col[0]) !== d.col[1], flipRow: sign(rowAxis, d.row[0]) !== d.row[1] };
}

/** Number of slices in a plane. */
export const sliceCount = (vol: Volume, plane: Plane): number => vol.dims[axisPermutation(vol.affine)[NORMAL[plane]]];

export function sliceVolume(vol: Volume, plane: Plane, index: number, opts: SliceOptions = {}): E.Either<DataError, LoadedImage> {
  const g = geometry(vol, plane, opts.reorient ?? true);
  const count = vol.dims[g.sliceAxis];
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    return E.left({ file: vol.source, message: `${plane} slice ${index} is out of range: the volume has ${count} ${plane} slices (0..${count - 1})` });
  }
  const strides = [1, vol.dims[0], vol.dims[0] * vol.dims[1]];
  const width = vol.dims[g.colAxis];
  const height = vol.dims[g.rowAxis];
  const out = new Float32Array(width * height);
  const base = index * strides[g.sliceAxis];
  for (let y = 0; y < height; y++) {
    const sy = g.flipRow ? height - 1 - y : y;
    for (let x = 0; x < width; x++) {
      const sx = g.flipCol ? width - 1 - x : x;
      out[y * width + x] = vol.data[base + sx * strides[g.colAxis] + sy * strides[g.rowAxis]];
    }
  }
  return E.right({
    ...greyImage(width, height, out),
    meta: {
      source: `${vol.source}[${plane} ${index}]`,
      pixelSpacing: [vol.spacing[g.colAxis], vol.spacing[g.rowAxis]],
      ...(vol.nonFinite ? { nonFinite: { file: vol.source, count: vol.nonFinite, of: vol.data.length } } : {}),
    },
  });
}

/** Every slice of a plane, in order. */
export function allSlices(vol: Volume, plane: Plane, opts: SliceOptions = {}): LoadedImage[] {
  const n = sliceCount(vol, plane);
  const out: LoadedImage[] = [];
  for (let i = 0; i < n; i++) {
    const s = sliceVolume(vol, plane, i, opts);
    if (E.isRight(s)) out.push(s.right);
  }
  return out;
}

/** How a plane's slices map to voxels (slice axis, in-plane axes, flips): label-volume.ts writes masks back with it. */
export { geometry as sliceGeometry, type SliceGeometry };
