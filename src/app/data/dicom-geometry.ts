// Where a sorted DICOM series lies: the voxel → patient affine from ImagePositionPatient (IPP), ImageOrientationPatient
// (IOP) and PixelSpacing (PS) of its slices. DICOM's patient coordinates are LPS; NIfTI's are RAS (x and y negated).
//   voxel (i = column, j = row, k = slice) → IPP₀ + i·PS[1]·IOP[0..2] + j·PS[0]·IOP[3..5] + k·(IPPₙ₋₁ − IPP₀)/(n − 1)
// (PS[0] is the spacing between rows, PS[1] between columns; loaders keep it as meta.pixelSpacing = [PS[1], PS[0]]).
// Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import type { DicomImage } from './dicom.js';
import { spaceFromAffine, XFORM, type NiftiSpace } from './nifti-space.js';

export interface SeriesGeometry {
  /** Voxel (column, row, slice) → RAS+ mm, 3×4 row-major (for NIfTI). */
  readonly affineRas: number[];
  /** The same in DICOM's LPS (for DICOM-SEG). */
  readonly affineLps: number[];
  /** Distance between slice centres along the normal, mm (mean when it varies). */
  readonly sliceSpacing: number;
  /** Per slice: its IPP (LPS), in series order. */
  readonly positions: readonly (readonly number[])[];
  readonly orientation: readonly number[];
  /** [row spacing, column spacing] as DICOM's PixelSpacing has it. */
  readonly pixelSpacing: readonly [number, number];
  /** Things a reader should know (slice spacing varies, spacing missing). */
  readonly notes: readonly string[];
}

const dot = (a: readonly number[], b: readonly number[]): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: readonly number[], b: readonly number[]): number[] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** The series' geometry; Left says why it has none (a slice without position or orientation, slices not parallel). */
export function seriesGeometry(slices: readonly DicomImage[]): E.Either<string, SeriesGeometry> {
  if (slices.length === 0) return E.left('the series has no slices');
  const missing = slices.find((s) => s.dicom.position?.length !== 3 || s.dicom.orientation?.length !== 6);
  if (missing) return E.left(`${missing.meta.source} has no ImagePositionPatient/ImageOrientationPatient, so the slices cannot be placed in space`);
  const o = slices[0].dicom.orientation!;
  const odd = slices.find((s) => s.dicom.orientation!.some((v, i) => Math.abs(v - o[i]) > 1e-4));
  if (odd) return E.left(`${odd.meta.source}: its ImageOrientationPatient differs from the first slice's; the series is not a stack of parallel slices`);
  const notes: string[] = [];
  const [colSpacing, rowSpacing] = slices[0].meta.pixelSpacing ?? [1, 1];
  if (!slices[0].meta.pixelSpacing) notes.push('no PixelSpacing: 1 mm pixels assumed');
  const rowDir = o.slice(0, 3);
  const colDir = o.slice(3, 6);
  const normal = cross(rowDir, colDir);
  const positions = slices.map((s) => s.dicom.position!);
  const p0 = positions[0];
  let step: number[];
  let sliceSpacing: number;
  if (slices.length > 1) {
    const last = positions[positions.length - 1];
    step = [0, 1, 2].map((i) => (last[i] - p0[i]) / (slices.length - 1));
    sliceSpacing = Math.abs(dot(step, normal));
    const gaps = positions.slice(1).map((p, k) =>
      dot(
        [0, 1, 2].map((i) => p[i] - positions[k][i]),
        normal,
      ),
    );
    const [lo, hi] = [Math.min(...gaps), Math.max(...gaps)];
    if (lo <= 0) return E.left('two slices of the series lie at the same position (a repeated or multi-echo series?); put each stack in its own folder');
    if (hi - lo > 0.01 * sliceSpacing + 1e-3)
      notes.push(`slice spacing varies from ${lo.toFixed(3)} to ${hi.toFixed(3)} mm; the volume uses the mean, ${sliceSpacing.toFixed(3)} mm`);
  } else {
    step = normal;
    sliceSpacing = 1;
    notes.push('a single slice: 1 mm slice thickness assumed');
  }
  const lps = [0, 1, 2].flatMap((i) => [rowDir[i] * colSpacing, colDir[i] * rowSpacing, step[i], p0[i]]);
  const ras = lps.map((v, n) => (n < 8 ? -v : v));
  return E.right({ affineRas: ras, affineLps: lps, sliceSpacing, positions, orientation: o, pixelSpacing: [rowSpacing, colSpacing], notes });
}

/**
 * Where a series' label volume lies, as NIfTI qform/sform (scanner coordinates) with notes for the reader; a series
 * that cannot be placed gets its pixel sizes and both transforms marked unknown, so no viewer takes it for placed.
 */
export function seriesSpace(slices: readonly DicomImage[]): { readonly space: NiftiSpace; readonly notes: readonly string[] } {
  const g = seriesGeometry(slices);
  if (E.isRight(g)) return { space: spaceFromAffine(g.right.affineRas, XFORM.scanner), notes: g.right.notes };
  const [cx, cy] = slices[0]?.meta.pixelSpacing ?? [1, 1];
  return {
    space: spaceFromAffine([cx, 0, 0, 0, 0, cy, 0, 0, 0, 0, 1, 0], XFORM.unknown),
    notes: [`${g.left}; the label volume has voxel sizes but no position`],
  };
}
