// NIfTI-1 single-file volumes (.nii; .nii.gz inflated as it is read, in load.ts). The 348-byte header is parsed
// here: endianness from sizeof_hdr, dim, datatype/bitpix, pixdim, vox_offset, scl_slope/inter, qform/sform. The
// declared size is checked against the voxel limit before anything is allocated, and NaN/±Inf voxels are replaced
// (and counted) so that one of them cannot blank a slice. Browser-safe (takes decompressed bytes, whole or as a
// stream of chunks: NiftiStreamDecoder).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type LoadedImage } from './image.js';
import { loadLimits, voxelLimitHint } from './limits.js';
import { replaceNonFinite } from './non-finite.js';

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
  /** Voxels that were NaN or ±Inf (after scaling) and were replaced: NaN by 0, ±Inf by the largest/smallest finite value. */
  readonly nonFinite?: number;
}

const HEADER_SIZE = 348;

interface DatatypeInfo {
  readonly name: string;
  readonly bytes: number;
  readonly read: (v: DataView, o: number, le: boolean) => number;
}

const DATATYPES: Record<number, DatatypeInfo> = {
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
const UNSUPPORTED: Record<number, string> = { 1: 'binary (1-bit)', 32: 'complex64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256' };

export const looksLikeNifti = (bytes: Uint8Array): boolean => {
  if (bytes.length < HEADER_SIZE) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getInt32(0, true) === HEADER_SIZE || v.getInt32(0, false) === HEADER_SIZE;
};

function quaternAffine(r: ByteReader, dx: number, dy: number, dz: number): number[] {
  const b = r.f32(256, 'quatern_b');
  const c = r.f32(260, 'quatern_c');
  const d = r.f32(264, 'quatern_d');
  const a = Math.sqrt(Math.max(0, 1 - b * b - c * c - d * d));
  const qfac = r.f32(76, 'pixdim[0]') < 0 ? -1 : 1;
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const off = [r.f32(268, 'qoffset_x'), r.f32(272, 'qoffset_y'), r.f32(276, 'qoffset_z')];
  return [0, 1, 2].flatMap((row) => [R[row][0] * dx, R[row][1] * dy, R[row][2] * dz * qfac, off[row]]);
}

export interface NiftiOptions {
  /** Which 3-D volume of a 4-D (or higher) file to read (default 0). */
  readonly volume?: number;
}

/** What the header says: geometry, scaling, and where the voxels of the volume asked for are. */
export interface NiftiHeader {
  readonly dims: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
  readonly affine: readonly number[];
  readonly volumeCount: number;
  readonly type: DatatypeInfo;
  readonly littleEndian: boolean;
  readonly slope: number;
  readonly inter: number;
  /** Byte offset of the first voxel of the volume asked for, and its size in bytes. */
  readonly start: number;
  readonly needed: number;
}

/** The header from its first 348 bytes (the voxels need not follow); throws ParseFailure. */
function readHeader(bytes: Uint8Array, opts: NiftiOptions): NiftiHeader {
  const r = new ByteReader(bytes, 'NIfTI header');
  const le = r.i32(0, 'sizeof_hdr');
  r.littleEndian = true;
  if (le !== HEADER_SIZE) {
    r.littleEndian = false;
    const be = r.i32(0, 'sizeof_hdr');
    if (be !== HEADER_SIZE) {
      r.littleEndian = true;
      if (le === 540 || be === 540) {
        throw new ParseFailure('this is a NIfTI-2 file (540-byte header); reading NIfTI-2 is not supported yet: save it as NIfTI-1 (e.g. nibabel.Nifti1Image)', 'offset 0');
      }
      throw new ParseFailure(`not a NIfTI-1 file: sizeof_hdr is ${le} (expected 348)`, 'offset 0');
    }
  }
  r.need(0, HEADER_SIZE, 'the 348-byte header');
  const magic = r.ascii(344, 4, 'magic');
  if (magic === 'ni1\0') throw new ParseFailure('this is the header of a .hdr/.img pair; only single-file .nii is supported', 'offset 344');
  if (magic !== 'n+1\0') throw new ParseFailure(`bad magic ${JSON.stringify(magic)} (expected "n+1")`, 'offset 344');

  const ndim = r.i16(40, 'dim[0]');
  if (ndim < 1 || ndim > 7) throw new ParseFailure(`dim[0] = ${ndim} must be between 1 and 7`, 'offset 40');
  const dim: number[] = [];
  for (let i = 1; i <= 7; i++) {
    const d = i <= ndim ? r.i16(40 + 2 * i, `dim[${i}]`) : 1;
    if (d < 1) throw new ParseFailure(`dim[${i}] = ${d} must be at least 1`, `offset ${40 + 2 * i}`);
    dim.push(d);
  }
  const [nx, ny, nz] = dim;
  const volumeCount = dim.slice(3).reduce((a, b) => a * b, 1);
  const voxels = nx * ny * nz;
  if (voxels > loadLimits().maxVoxels) throw new ParseFailure(`volume ${nx}×${ny}×${nz} (${voxels} voxels) exceeds the voxel limit: ${voxelLimitHint()}`, 'offset 42');

  const code = r.i16(70, 'datatype');
  const type = DATATYPES[code];
  if (!type) {
    const known = UNSUPPORTED[code];
    throw new ParseFailure(known ? `datatype ${known} (${code}) is not supported` : `unknown datatype code ${code}`, 'offset 70');
  }
  const bitpix = r.i16(72, 'bitpix');
  if (bitpix !== type.bytes * 8) throw new ParseFailure(`bitpix ${bitpix} does not match datatype ${type.name} (${type.bytes * 8} bits)`, 'offset 72');

  const volume = opts.volume ?? 0;
  if (!Number.isInteger(volume) || volume < 0 || volume >= volumeCount) {
    throw new ParseFailure(`volume ${volume} asked for, but the file holds ${volumeCount} volume(s)`);
  }
  const voxOffset = r.f32(108, 'vox_offset');
  if (!Number.isFinite(voxOffset) || voxOffset < HEADER_SIZE || Math.floor(voxOffset) !== voxOffset) {
    throw new ParseFailure(`vox_offset ${voxOffset} must be a whole number of bytes >= 348`, 'offset 108');
  }
  const start = voxOffset + volume * voxels * type.bytes;
  const needed = voxels * type.bytes;

  let slope = r.f32(112, 'scl_slope');
  let inter = r.f32(116, 'scl_inter');
  // The standard: slope 0 means "no scaling".
  if (slope === 0 || !Number.isFinite(slope)) {
    slope = 1;
    inter = 0;
  } else if (!Number.isFinite(inter)) inter = 0;

  const px = [1, 2, 3].map((i) => {
    const v = Math.abs(r.f32(76 + 4 * i, `pixdim[${i}]`));
    return Number.isFinite(v) && v > 0 ? v : 1;
  }) as [number, number, number];
  const qformCode = r.i16(252, 'qform_code');
  const sformCode = r.i16(254, 'sform_code');
  let affine: number[];
  if (sformCode > 0) affine = [280, 296, 312].flatMap((base) => [0, 1, 2, 3].map((k) => r.f32(base + 4 * k, 'srow')));
  else if (qformCode > 0) affine = quaternAffine(r, px[0], px[1], px[2]);
  else affine = [px[0], 0, 0, 0, 0, px[1], 0, 0, 0, 0, px[2], 0];
  // A corrupt sform/qform (NaN, Inf) would make slicing meaningless: fall back to the voxel grid.
  if (!affine.every(Number.isFinite)) affine = [px[0], 0, 0, 0, 0, px[1], 0, 0, 0, 0, px[2], 0];
  return { dims: [nx, ny, nz], spacing: px, affine, volumeCount, type, littleEndian: r.littleEndian, slope, inter, start, needed };
}

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
  return { source: file, dims: h.dims, spacing: h.spacing, data, affine: h.affine, volumeCount: h.volumeCount, ...(nonFinite ? { nonFinite } : {}) };
};

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
 * A NIfTI file decoded as its bytes arrive (from a file or an inflater): the header is parsed from the first 348
 * bytes and checked (voxel limit, and `maxBytes`, the most the stream can hold) before the voxel array is allocated;
 * `push` returns false once the volume asked for is complete, so nothing after it is read or inflated.
 */
export class NiftiStreamDecoder {
  private readonly head = new Uint8Array(HEADER_SIZE);
  private headLength = 0;
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
      const take = Math.min(HEADER_SIZE - this.headLength, chunk.length);
      this.head.set(chunk.subarray(0, take), this.headLength);
      this.headLength += take;
      this.position += take;
      at = take;
      // sizeof_hdr alone tells a NIfTI-2 file (or something else) apart; say so without waiting for more bytes.
      if (this.headLength >= 4 && this.headLength < HEADER_SIZE) this.checkSizeofHdr();
      if (this.headLength < HEADER_SIZE) return true;
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
      this.checkSizeofHdr();
      new ByteReader(this.head.subarray(0, this.headLength), 'NIfTI header').need(0, HEADER_SIZE, 'the 348-byte header');
    }
    const h = this.header!;
    if (this.voxel < this.data!.length) throw truncated(h, this.opts.volume ?? 0, this.position);
    return finishVolume(this.file, h, this.data!);
  }

  private checkSizeofHdr(): void {
    if (this.headLength < 4) return;
    const v = new DataView(this.head.buffer);
    if (v.getInt32(0, true) !== HEADER_SIZE && v.getInt32(0, false) !== HEADER_SIZE) readHeader(this.head.subarray(0, this.headLength), this.opts);
  }

  private start(): void {
    const h = readHeader(this.head, this.opts);
    const limit = this.opts.maxBytes;
    if (limit !== undefined && h.start + h.needed > limit) {
      throw new ParseFailure(`${truncated(h, this.opts.volume ?? 0, limit).message}${this.opts.maxBytesWhy ? ` (${this.opts.maxBytesWhy})` : ''}`, `offset ${h.start}`);
    }
    this.header = h;
    this.data = new Float32Array(h.dims[0] * h.dims[1] * h.dims[2]);
  }
}

// ---------- slicing ----------

/** The voxel axis that runs along each world axis (x = R, y = A, z = S), by the best matching permutation. */
function axisPermutation(affine: readonly number[]): [number, number, number] {
  const align = (axis: number, world: number): number => {
    const col = [affine[axis], affine[4 + axis], affine[8 + axis]];
    const len = Math.hypot(col[0], col[1], col[2]) || 1;
    return Math.abs(col[world]) / len;
  };
  const perms: [number, number, number][] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
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
