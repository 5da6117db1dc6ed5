// A slice of a volume named in one string, "scan.nii.gz#axial=40": the dataset layout names volume samples so
// (dataset.ts), templates.json entries use those names, and `--template scan.nii.gz#coronal=12` picks a template slice
// on the command line. The index is the stored slice index along the plane's voxel axis, as `--slice` takes it.
// A path that exists as written is never split (a file may have '#' in its name). Browser-safe (the caller says
// whether the path exists).
import { PLANES, type Plane } from './nifti.js';

export interface SliceRef {
  readonly path: string;
  readonly plane?: Plane;
  readonly slice?: number;
}

const REF = new RegExp(`^(.+)#(${PLANES.join('|')})=(\\d+)$`);

export const formatSliceRef = (path: string, plane: Plane, slice: number): string => `${path}#${plane}=${slice}`;

/** "a.nii.gz#axial=40" → { path: "a.nii.gz", plane: "axial", slice: 40 }; anything else → { path }. */
export function parseSliceRef(ref: string, exists: (path: string) => boolean = () => false): SliceRef {
  const m = REF.exec(ref);
  if (!m || exists(ref)) return { path: ref };
  return { path: m[1], plane: m[2] as Plane, slice: Number(m[3]) };
}
