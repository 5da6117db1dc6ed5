// Per-slice label images back into a volume in the scan's own voxel order, so that the label map lies on the scan:
// the exact inverse of how the loaders cut the slices. A NIfTI volume's slices are cut along a plane and oriented
// for display (nifti.ts: axis permutation from the affine, flips); a DICOM series is a stack of its own frames in
// stored pixel order, sorted along the slice normal. Browser-safe: the page exports its label volume through here too.
import { sliceCount, sliceGeometry, type Plane, type Volume } from './nifti.js';

export type SliceLayout =
  /** Slices of a NIfTI volume along `plane`, as sliceVolume shows them (display orientation). */
  | { readonly kind: 'volume'; readonly volume: Volume; readonly plane: Plane }
  /** A stack of frames (a DICOM series): slice k is voxel plane k, pixel (x, y) is voxel (x, y, k). */
  | { readonly kind: 'stack'; readonly width: number; readonly height: number; readonly count: number };

export type Labels = Uint8Array | Uint16Array;

/** Voxels along i, j, k of the volume the slices come from. */
export const layoutDims = (l: SliceLayout): [number, number, number] => (l.kind === 'volume' ? [...l.volume.dims] : [l.width, l.height, l.count]);

/** For slice `index`: the voxel index of each slice pixel, row-major (y * width + x). */
export function sliceVoxelIndices(l: SliceLayout, index: number): { width: number; height: number; voxels: Uint32Array } {
  if (l.kind === 'stack') {
    const n = l.width * l.height;
    return { width: l.width, height: l.height, voxels: Uint32Array.from({ length: n }, (_, p) => index * n + p) };
  }
  const g = sliceGeometry(l.volume, l.plane, true);
  const dims = l.volume.dims;
  const strides = [1, dims[0], dims[0] * dims[1]];
  const width = dims[g.colAxis];
  const height = dims[g.rowAxis];
  const voxels = new Uint32Array(width * height);
  const base = index * strides[g.sliceAxis];
  for (let y = 0; y < height; y++) {
    const sy = g.flipRow ? height - 1 - y : y;
    for (let x = 0; x < width; x++) {
      const sx = g.flipCol ? width - 1 - x : x;
      voxels[y * width + x] = base + sx * strides[g.colAxis] + sy * strides[g.rowAxis];
    }
  }
  return { width, height, voxels };
}

export const layoutSliceCount = (l: SliceLayout): number => (l.kind === 'stack' ? l.count : sliceCount(l.volume, l.plane));

/** Slice label images (each width × height, display order) → the label volume (index = i + nx * (j + ny * k)). */
export function slicesToVolume(l: SliceLayout, slices: readonly Labels[]): Labels {
  const [nx, ny, nz] = layoutDims(l);
  const count = layoutSliceCount(l);
  if (slices.length !== count) throw new RangeError(`slicesToVolume: ${slices.length} slices for a layout of ${count}`);
  const wide = slices.some((s) => s instanceof Uint16Array);
  const out = wide ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz);
  slices.forEach((s, k) => {
    const { width, height, voxels } = sliceVoxelIndices(l, k);
    if (s.length !== width * height) throw new RangeError(`slicesToVolume: slice ${k} has ${s.length} labels, expected ${width}×${height}`);
    for (let p = 0; p < voxels.length; p++) out[voxels[p]] = s[p];
  });
  return out;
}

/** One slice of a label volume, as the slice images show it (the inverse of slicesToVolume for one slice). */
export function volumeSlice(l: SliceLayout, labels: Labels, index: number): Labels {
  const { voxels } = sliceVoxelIndices(l, index);
  const out = labels instanceof Uint16Array ? new Uint16Array(voxels.length) : new Uint8Array(voxels.length);
  for (let p = 0; p < voxels.length; p++) out[p] = labels[voxels[p]];
  return out;
}
