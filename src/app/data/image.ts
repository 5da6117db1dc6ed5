// The one image type every loader returns: grey, float, row-major (index = y * width + x).
// Browser-safe: no node imports.

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A binary mask in {0, 1}, same layout as GreyImage. */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A display window (DICOM WindowCenter/Width, or a CT preset), in the image's own units. */
export interface IntensityWindow {
  readonly center: number;
  readonly width: number;
}

/** What a loader knows about where an image came from; all optional except the source. */
export interface ImageMeta {
  /** File path (plus slice or frame) for error messages and output names. */
  readonly source: string;
  /** The file's own display window (DICOM), if any. */
  readonly window?: IntensityWindow;
  /** Physical size of one pixel (x, y) in mm, if known. */
  readonly pixelSpacing?: readonly [number, number];
  /** NaN/±Inf values the loader replaced in the file this image came from (src/app/data/non-finite.ts). */
  readonly nonFinite?: { readonly file: string; readonly count: number; readonly of: number };
}

export interface LoadedImage extends GreyImage {
  readonly meta: ImageMeta;
}

export const greyImage = (width: number, height: number, data?: Float32Array): GreyImage => {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  const d = data ?? new Float32Array(width * height);
  if (d.length !== width * height) throw new RangeError(`image ${width}×${height} needs ${width * height} values, got ${d.length}`);
  return { width, height, data: d };
};

export const emptyMask = (width: number, height: number): Mask => ({ width, height, data: new Uint8Array(width * height) });

/** ITU-R BT.601 luma, the usual grey conversion for RGB medical exports. */
export const luminance = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

export const maskArea = (m: Mask): number => {
  let n = 0;
  for (let i = 0; i < m.data.length; i++) n += m.data[i];
  return n;
};

/** Non-zero pixels become foreground. */
export const maskFromImage = (img: GreyImage): Mask => {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] !== 0 ? 1 : 0;
  return { width: img.width, height: img.height, data: out };
};

/** Pixels equal to one label value (label volumes store integers, exact in float32 below 2^24). */
export const maskFromLabel = (img: GreyImage, label: number): Mask => {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] === label ? 1 : 0;
  return { width: img.width, height: img.height, data: out };
};

/** Mask as a float image (0/1), e.g. for resizing with the image routines. */
export const maskToImage = (m: Mask): GreyImage => greyImage(m.width, m.height, Float32Array.from(m.data));

/** Threshold a float map (probabilities, logits, blurred masks) into a mask. */
export const thresholdImage = (img: GreyImage, above: number): Mask => {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] > above ? 1 : 0;
  return { width: img.width, height: img.height, data: out };
};
