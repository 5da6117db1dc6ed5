// Slices back into voxels: for every plane and for affines that flip and permute the voxel axes, writing the slices
// that sliceVolume cuts gives the volume back, voxel for voxel (so a mask drawn on a slice lands on the voxels shown).
// A DICOM series' affine from its positions and orientation.
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { seriesGeometry } from '../../src/app/data/dicom-geometry.js';
import type { DicomImage } from '../../src/app/data/dicom.js';
import { greyImage } from '../../src/app/data/image.js';
import { layoutDims, layoutSliceCount, slicesToVolume, volumeSlice, type SliceLayout } from '../../src/app/data/label-volume.js';
import { allSlices, PLANES, type Volume } from '../../src/app/data/nifti.js';

const dims = [5, 4, 3] as const;
const n = dims[0] * dims[1] * dims[2];
const volumeWith = (affine: number[]): Volume => ({
  source: 'v',
  dims,
  spacing: [1, 1, 1],
  data: Float32Array.from({ length: n }, (_, i) => i),
  affine,
  volumeCount: 1,
});

describe('slices → label volume', () => {
  const affines: Record<string, number[]> = {
    RAS: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
    LPS: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0],
    'LAI, permuted (j superior, k anterior)': [-2, 0, 0, 0, 0, 0, 3, 0, 0, -2, 0, 0],
    'oblique, k right': [0.1, 0.2, 0.97, 0, 0.98, 0.05, -0.1, 0, -0.05, 0.99, 0.2, 0],
  };
  for (const [name, affine] of Object.entries(affines)) {
    for (const plane of PLANES) {
      it(`${name}, ${plane}: writing the cut slices gives every voxel back`, () => {
        const vol = volumeWith(affine);
        const layout: SliceLayout = { kind: 'volume', volume: vol, plane };
        // Label = voxel index mod 65521 > 255, so uint16 labels carry the voxel's identity.
        const slices = allSlices(vol, plane).map((s) => Uint16Array.from(s.data));
        expect(slices).toHaveLength(layoutSliceCount(layout));
        const back = slicesToVolume(layout, slices);
        expect(layoutDims(layout)).toEqual([...dims]);
        expect(Array.from(back)).toEqual(Array.from(vol.data));
        slices.forEach((s, k) => expect(Array.from(volumeSlice(layout, back, k))).toEqual(Array.from(s)));
      });
    }
  }

  it('a stack (DICOM series) keeps its stored pixel order, slice k at plane k', () => {
    const layout: SliceLayout = { kind: 'stack', width: 3, height: 2, count: 2 };
    const back = slicesToVolume(layout, [Uint8Array.from([1, 2, 3, 4, 5, 6]), Uint8Array.from([7, 8, 9, 10, 11, 12])]);
    expect(Array.from(back)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('refuses slices that do not fit the layout', () => {
    const layout: SliceLayout = { kind: 'stack', width: 3, height: 2, count: 2 };
    expect(() => slicesToVolume(layout, [new Uint8Array(6)])).toThrow('1 slices for a layout of 2');
    expect(() => slicesToVolume(layout, [new Uint8Array(6), new Uint8Array(5)])).toThrow('slice 1 has 5 labels, expected 3×2');
  });
});

describe('DICOM series geometry', () => {
  const slice = (z: number, orientation = [1, 0, 0, 0, 1, 0], spacing: [number, number] | null = [0.5, 0.8]): DicomImage => ({
    ...greyImage(4, 3),
    meta: { source: `s${z}.dcm`, ...(spacing ? { pixelSpacing: spacing } : {}) },
    dicom: { position: [-100, -50, z], orientation, frame: 0 },
  });

  it('maps (column, row, slice) to LPS and RAS', () => {
    const g = seriesGeometry([slice(10), slice(12.5), slice(15)]);
    if (E.isLeft(g)) throw new Error(g.left);
    // Column step 0.5 mm along +x (L), row step 0.8 mm along +y (P), slice step 2.5 mm along +z.
    expect(g.right.affineLps).toEqual([0.5, 0, 0, -100, 0, 0.8, 0, -50, 0, 0, 2.5, 10]);
    expect(g.right.affineRas).toEqual([-0.5, -0, -0, 100, -0, -0.8, -0, 50, 0, 0, 2.5, 10]);
    expect(g.right.sliceSpacing).toBe(2.5);
    expect(g.right.pixelSpacing).toEqual([0.8, 0.5]);
    expect(g.right.notes).toEqual([]);
  });

  it('notes uneven spacing and missing pixel spacing; refuses non-parallel or repeated slices', () => {
    const uneven = seriesGeometry([slice(0, undefined, null), slice(1), slice(3)]);
    if (E.isLeft(uneven)) throw new Error(uneven.left);
    expect(uneven.right.notes.join('; ')).toMatch(/no PixelSpacing.*slice spacing varies from 1\.000 to 2\.000 mm; the volume uses the mean, 1\.500 mm/);
    expect(E.isLeft(seriesGeometry([slice(0), slice(1, [0, 1, 0, 0, 0, -1])]))).toBe(true);
    expect(seriesGeometry([slice(0), slice(0)])).toEqual(E.left(expect.stringContaining('at the same position')));
  });
});
