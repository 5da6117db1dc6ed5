// Image files → grey images in the page, choosing the format from the bytes as the CLI's readImage does, with the
// same decoders wherever they run in a browser: JPEG (jpeg-js), DICOM and NIfTI (our parsers; .nii.gz through our
// streaming inflater, header first and held to the same voxel limit as on the CLI: decodeNiftiSource). Volumes and
// multi-frame files give their middle (axial) slice, as on the CLI.
// PNG is decoded by the browser (pngjs needs node's zlib): grey PNGs keep the grey value and colour PNGs become
// BT.601 luminance, as in decodePng; 16-bit PNGs arrive as 8 bits, which min–max normalisation makes a rounding
// difference of at most 1/255.
import * as E from 'fp-ts/lib/Either.js';
import { dataError, type DataError } from '../src/app/data/errors.js';
import { greyImage, luminance, maskFromImage, type LoadedImage, type Mask } from '../src/app/data/image.js';
import { decodeJpeg, isJpeg } from '../src/app/data/jpeg.js';
import { isDicom, parseDicom } from '../src/app/data/dicom.js';
import { decodeNiftiSource, niftiHeaderSize, sliceCount, sliceVolume, type Volume } from '../src/app/data/nifti.js';
import { bufferSource } from '../src/util/inflate.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (b: Uint8Array): boolean => b.length >= 33 && PNG_SIGNATURE.every((v, i) => b[i] === v);
export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

async function decodePngInBrowser(bytes: Uint8Array, file: string): Promise<E.Either<DataError, LoadedImage>> {
  const colourType = bytes[25];
  const grey = colourType === 0 || colourType === 4;
  let bitmap: ImageBitmap;
  try {
    // No colour management and no premultiplication: the file's own sample values.
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    return E.left(dataError(file, `corrupt PNG: the browser could not decode it (${(e as Error).message})`));
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = grey ? rgba[4 * i] : luminance(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
  return E.right({ ...greyImage(width, height, out), meta: { source: file } });
}

/** A NIfTI file (.nii or .nii.gz, either version) the way the CLI reads one: header first, voxel limit, NaN counts. */
export const isNiftiFile = (b: Uint8Array): boolean => isGzip(b) || niftiHeaderSize(b) !== undefined;
export const decodeNiftiFile = (bytes: Uint8Array, file: string): E.Either<DataError, Volume> => decodeNiftiSource(file, bufferSource(bytes), bytes.length);

const middle = <T>(xs: readonly T[]): T => xs[Math.floor(xs.length / 2)];

/** One image from a file's bytes: PNG/JPEG as is; DICOM and NIfTI: the middle slice. */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<E.Either<DataError, LoadedImage>> {
  if (isPng(bytes)) return decodePngInBrowser(bytes, file);
  if (isJpeg(bytes)) return decodeJpeg(bytes, file);
  if (isDicom(bytes)) return E.map((frames: LoadedImage[]) => middle(frames))(parseDicom(bytes, file));
  if (isNiftiFile(bytes)) {
    const vol = decodeNiftiFile(bytes, file);
    if (E.isLeft(vol)) return vol;
    return sliceVolume(vol.right, 'axial', Math.floor(sliceCount(vol.right, 'axial') / 2));
  }
  return E.left(dataError(file, 'unrecognised image format: expected PNG, JPEG, NIfTI (.nii/.nii.gz) or DICOM', 'offset 0'));
}

/** A mask file: non-zero pixels are foreground (as readMask on the CLI). */
export const decodeMask = async (bytes: Uint8Array, file: string): Promise<E.Either<DataError, Mask>> => E.map(maskFromImage)(await decodeImage(bytes, file));
