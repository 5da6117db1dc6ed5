// NIfTI-1 single-file volumes (.nii; .nii.gz after gunzip in load.ts). The 348-byte header is parsed here:
// endianness from sizeof_hdr, dim, datatype/bitpix, pixdim, vox_offset, scl_slope/inter, qform/sform.
// Browser-safe (takes decompressed bytes).
import * as E from 'fp-ts/lib/Either.js';
import { ByteReader } from './byte-reader.js';
import { type DataError, ParseFailure, parseWith } from './errors.js';
import { greyImage, luminance, type LoadedImage } from './image.js';
import { bestAffine, type NiftiSpace } from './nifti-space.js';

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

/** At most this many voxels per volume (4 GiB of float32): a corrupt dim field must not allocate the world. */
export const MAX_VOXELS = 1 << 30;

export const looksLikeNifti = (bytes: Uint8Array): boolean => {
  if (bytes.length < HEADER_SIZE) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getInt32(0, true) === HEADER_SIZE || v.getInt32(0, false) === HEADER_SIZE;
};

export interface NiftiOptions {
  /** Which 3-D volume of a 4-D (or higher) file to read (default 0). */
  readonly volume?: number;
}

export function parseNifti(bytes: Uint8Array, file: string, opts: NiftiOptions = {}): E.Either<DataError, Volume> {
  return parseWith(file, () => {
    const r = new ByteReader(bytes, 'NIfTI header');
    const le = r.i32(0, 'sizeof_hdr');
    r.littleEndian = true;
    if (le !== HEADER_SIZE) {
      r.littleEndian = false;
      const be = r.i32(0, 'sizeof_hdr');
      if (be !== HEADER_SIZE) {
        r.littleEndian = true;
        if (le === 540 || be === 540) throw new ParseFailure('NIfTI-2 files (540-byte header) are not supported; save as NIfTI-1', 'offset 0');
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
    if (voxels > MAX_VOXELS) throw new ParseFailure(`volume ${nx}×${ny}×${nz} exceeds the ${MAX_VOXELS}-voxel limit`, 'offset 42');

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
    if (start + needed > bytes.length) {
      throw new ParseFailure(
        `truncated voxel data: the header declares ${nx}×${ny}×${nz}${volumeCount > 1 ? `×${volumeCount}` : ''} ${type.name} voxels ` +
          `(${needed} bytes for volume ${volume} from offset ${start}), but only ${Math.max(0, bytes.length - start)} bytes follow`,
        `offset ${start}`,
      );
    }

    let slope = r.f32(112, 'scl_slope');
    let inter = r.f32(116, 'scl_inter');
    // The standard: slope 0 means "no scaling".
    if (slope === 0 || !Number.isFinite(slope)) {
      slope = 1;
      inter = 0;
    } else if (!Number.isFinite(inter)) inter = 0;

    const px = [1, 2, 3].map((i) => Math.abs(r.f32(76 + 4 * i, `pixdim[${i}]`)) || 1) as [number, number, number];
    const space: NiftiSpace = {
      qformCode: r.i16(252, 'qform_code'),
      sformCode: r.i16(254, 'sform_code'),
      quatern: [r.f32(256, 'quatern_b'), r.f32(260, 'quatern_c'), r.f32(264, 'quatern_d')],
      qoffset: [r.f32(268, 'qoffset_x'), r.f32(272, 'qoffset_y'), r.f32(276, 'qoffset_z')],
      qfac: r.f32(76, 'pixdim[0]') < 0 ? -1 : 1,
      pixdim: [1, 2, 3].map((i) => r.f32(76 + 4 * i, `pixdim[${i}]`)) as [number, number, number],
      sform: [280, 296, 312].flatMap((base) => [0, 1, 2, 3].map((k) => r.f32(base + 4 * k, 'srow'))),
      xyztUnits: bytes[123],
    };
    const affine = bestAffine(space);

    const view = r.dataView();
    const data = new Float32Array(voxels);
    for (let n = 0, o = start; n < voxels; n++, o += type.bytes) data[n] = type.read(view, o, r.littleEndian) * slope + inter;
    return { source: file, dims: [nx, ny, nz], spacing: px, data, affine, volumeCount, space };
  });
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
    meta: { source: `${vol.source}[${plane} ${index}]`, pixelSpacing: [vol.spacing[g.colAxis], vol.spacing[g.rowAxis]] },
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
