// How large an input the loaders accept. A header can declare any size (a 66-byte PNG claims 16384², a 1 MB .nii.gz
// inflates to 1 GiB), so every loader checks the declared size against these limits before it allocates, and stops
// inflating at what the header declares. The defaults keep `oneprompt segment` on one image or volume at the limit
// under 1 GB of memory (docs/limits.md has the measurements); `--max-pixels` and `--max-voxels` raise them.
// Browser-safe.

export interface LoadLimits {
  /** Most pixels in one 2-D image (PNG, JPEG, one DICOM frame × frames). */
  readonly maxPixels: number;
  /** Most voxels in one 3-D volume (NIfTI; every volume read from a 4-D file counts). */
  readonly maxVoxels: number;
}

/** 2^25 pixels: 5792² or 8192×4096 (the largest digital X-ray and mammography detectors are about 4300×3500). */
export const DEFAULT_MAX_PIXELS = 2 ** 25;
/** 2^26 voxels: 512×512×256, or 256³ × 4. */
export const DEFAULT_MAX_VOXELS = 2 ** 26;

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxPixels: DEFAULT_MAX_PIXELS, maxVoxels: DEFAULT_MAX_VOXELS };

let current: LoadLimits = DEFAULT_LOAD_LIMITS;

/** The limits in force (the CLI sets them from --max-pixels / --max-voxels). */
export const loadLimits = (): LoadLimits => current;

/** Set some limits for this process; returns the previous ones (tests restore them). */
export function setLoadLimits(limits: Partial<LoadLimits>): LoadLimits {
  const before = current;
  for (const [k, v] of Object.entries(limits)) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  current = { ...current, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
  return before;
}

/** Bytes a file holding an image may have: 16 per allowed pixel (16-bit RGBA uncompressed, with room to spare). */
export const maxImageFileBytes = (l: LoadLimits = current): number => l.maxPixels * 16;

/** "33.6 M" style counts for messages. */
export const fmtLimit = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

/** The sentence a refusal ends with: what the limit is and how to raise it. */
export const pixelLimitHint = (l: LoadLimits = current): string =>
  `the limit is ${fmtLimit(l.maxPixels)} pixels (${l.maxPixels}); raise it with --max-pixels if the image is real`;
export const voxelLimitHint = (l: LoadLimits = current): string =>
  `the limit is ${fmtLimit(l.maxVoxels)} voxels (${l.maxVoxels}); raise it with --max-voxels if the volume is real`;
