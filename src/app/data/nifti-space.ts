// Where a volume's voxels lie in the world, as a NIfTI header says it: the qform (a rotation as a quaternion, voxel
// sizes, an offset, qfac for left-handed grids) and the sform (any 3×4 affine), each with its code. The loaders keep
// these fields as read, so that a label map written for a scan carries the scan's own qform and sform, bit for bit,
// and lies on the scan in every viewer (some read the qform, some the sform). For volumes without a NIfTI header
// (DICOM series) both are made from the affine, as nifti1_io's nifti_mat44_to_quatern does. Browser-safe.

/** NIfTI xform codes: 0 unknown, 1 scanner anatomical, 2 aligned, 3 Talairach, 4 MNI-152, 5 template. */
export const XFORM = { unknown: 0, scanner: 1, aligned: 2, talairach: 3, mni: 4, template: 5 } as const;
/** xyzt_units: millimetres, seconds. */
export const UNITS_MM_SEC = 2 | 8;

export interface NiftiSpace {
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  readonly quatern: readonly [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z. */
  readonly qoffset: readonly [number, number, number];
  /** pixdim[0]: -1 for a left-handed voxel grid (the third qform column negated), else 1. */
  readonly qfac: 1 | -1;
  /** pixdim[1..3] as stored (voxel sizes; the qform scales by them). */
  readonly pixdim: readonly [number, number, number];
  /** srow_x, srow_y, srow_z: 3×4 row-major. */
  readonly sform: readonly number[];
  /** xyzt_units as stored (2 = mm; | 8 = seconds). */
  readonly xyztUnits: number;
}

/** The qform's 3×4 affine (voxel → RAS+ mm), nifti1 method 2. */
export function qformAffine(s: NiftiSpace): number[] {
  const [b, c, d] = s.quatern;
  const a = Math.sqrt(Math.max(0, 1 - b * b - c * c - d * d));
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const [dx, dy, dz] = s.pixdim.map((p) => Math.abs(p) || 1);
  return [0, 1, 2].flatMap((row) => [R[row][0] * dx, R[row][1] * dy, R[row][2] * dz * s.qfac, s.qoffset[row]]);
}

/** The affine a reader should use: sform when its code is set, else qform, else voxel sizes only (nifti1 method 1). */
export function bestAffine(s: NiftiSpace): number[] {
  if (s.sformCode > 0) return [...s.sform];
  if (s.qformCode > 0) return qformAffine(s);
  const [dx, dy, dz] = s.pixdim.map((p) => Math.abs(p) || 1);
  return [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0];
}

type M3 = number[][];
const det3 = (m: M3): number =>
  m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
function inverseTranspose3(m: M3): M3 {
  const d = det3(m);
  const cof = (r: number, c: number): number => {
    const rows = [0, 1, 2].filter((i) => i !== r);
    const cols = [0, 1, 2].filter((i) => i !== c);
    const v = m[rows[0]][cols[0]] * m[rows[1]][cols[1]] - m[rows[0]][cols[1]] * m[rows[1]][cols[0]];
    return ((r + c) % 2 ? -v : v) / d;
  };
  // (M⁻¹)ᵀ = cofactor matrix / det.
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => cof(r, c)));
}

/** The nearest orthogonal matrix (polar decomposition by Newton's iteration X ← (X + X⁻ᵀ) / 2). */
function nearestRotation(m: M3): M3 {
  let x = m.map((r) => [...r]);
  for (let it = 0; it < 100; it++) {
    const y = inverseTranspose3(x);
    const next = x.map((r, i) => r.map((v, j) => (v + y[i][j]) / 2));
    const change = Math.max(...next.flatMap((r, i) => r.map((v, j) => Math.abs(v - x[i][j]))));
    x = next;
    if (change < 1e-12) break;
  }
  return x;
}

/**
 * A qform for an affine (nifti_mat44_to_quatern): voxel sizes are the column lengths, qfac the handedness, and the
 * rotation the nearest one to the normalised columns (exact unless the affine shears).
 */
export function qformOf(affine: readonly number[]): Pick<NiftiSpace, 'quatern' | 'qoffset' | 'qfac' | 'pixdim'> {
  const col = (j: number): number[] => [affine[j], affine[4 + j], affine[8 + j]];
  const sizes = [0, 1, 2].map((j) => Math.hypot(...col(j)));
  const cols = [0, 1, 2].map((j) => (sizes[j] > 0 ? col(j).map((v) => v / sizes[j]) : [0, 1, 2].map((i) => (i === j ? 1 : 0))));
  let R: M3 = [0, 1, 2].map((i) => [cols[0][i], cols[1][i], cols[2][i]]);
  R = nearestRotation(R);
  let qfac: 1 | -1 = 1;
  if (det3(R) < 0) {
    qfac = -1;
    for (let i = 0; i < 3; i++) R[i][2] = -R[i][2];
  }
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = R;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { quatern: [b, c, d], qoffset: [affine[3], affine[7], affine[11]], qfac, pixdim: [sizes[0] || 1, sizes[1] || 1, sizes[2] || 1] };
}

/** Both transforms from one affine (a DICOM series, or a volume that had neither), with the given code. */
export function spaceFromAffine(affine: readonly number[], code: number = XFORM.scanner, xyztUnits = UNITS_MM_SEC): NiftiSpace {
  return { ...qformOf(affine), qformCode: code, sformCode: code, sform: [...affine], xyztUnits };
}

/**
 * The space a derived volume gets: the input's qform and sform as they were; one that the input left unset is
 * made from the other (same code), so that readers which look at only one of them see the same place. An input
 * with neither keeps neither (readers then fall back to the voxel sizes, for the label map as for the scan).
 */
export function completeSpace(s: NiftiSpace): NiftiSpace {
  if (s.qformCode > 0 && s.sformCode > 0) return s;
  if (s.sformCode > 0) return { ...s, ...qformOf(s.sform), qformCode: s.sformCode };
  if (s.qformCode > 0) return { ...s, sformCode: s.qformCode, sform: qformAffine(s) };
  return s;
}
