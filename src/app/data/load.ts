// Reading images and masks from disk, whatever the format: PNG, JPEG, NIfTI (.nii, .nii.gz), DICOM (a file or a
// series folder). The format is found from the bytes (signatures), not the extension. Only regular files are read
// (src/util/safe-read.ts), image files up to a size that follows the pixel limit, and volumes as a stream: a
// .nii.gz is inflated only as far as its header says the volume asked for goes. Node-only.
import { closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { dataError, type DataError } from './errors.js';
import { maskFromImage, maskFromLabel, type LoadedImage, type Mask } from './image.js';
import { decodePng, encodeGreyPng, encodeMaskPng, isPng } from './png.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { allSlices, decodeNiftiSource, niftiHeaderSize, sliceCount, sliceVolume, type Plane, type Volume } from './nifti.js';
import { isDicom, parseDicom, sortSeries, type DicomImage } from './dicom.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { asFileReadError, fileChunks, notRegularReason, openRegularFile, readRegularFile } from '../../util/safe-read.js';
import { loadLimits, maxImageFileBytes, voxelLimitHint } from './limits.js';
import type { GreyImage } from './image.js';

export interface ReadOptions {
  /** Volumes (NIfTI, DICOM series): which plane to cut (default axial; DICOM series are stacks of their own plane). */
  readonly plane?: Plane;
  /** Volumes: which slice (default: the middle one). Multi-frame DICOM: which frame. */
  readonly slice?: number;
  /** 4-D NIfTI: which volume (default 0). */
  readonly volume?: number;
}

export type ImageFormat = 'png' | 'jpeg' | 'nifti' | 'nifti-gz' | 'dicom';

/** A regular file's bytes, at most `maxBytes` (default: what an image at the pixel limit may take); errors name the file. */
export function readBytes(path: string, maxBytes = maxImageFileBytes()): E.Either<DataError, Uint8Array> {
  try {
    return E.right(readRegularFile(path, maxBytes, 'an image file at the pixel limit (--max-pixels)'));
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  }
}

export function detectFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (isPng(bytes)) return 'png';
  if (isJpeg(bytes)) return 'jpeg';
  if (isDicom(bytes)) return 'dicom';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'nifti-gz';
  // sizeof_hdr alone (348 or 540): a NIfTI file cut short is read as one, and named truncated.
  if (niftiHeaderSize(bytes)) return 'nifti';
  return undefined;
}

/**
 * The last volumes read, by file (path, size, mtime) and 4-D index: a dataset of volumes reads one slice at a time,
 * alternating between an image and its mask, and each read would otherwise decompress the whole file again.
 */
const recentVolumes: { key: string; volume: Volume }[] = [];
const RECENT_VOLUMES = 2;

export function readVolume(path: string, opts: { volume?: number } = {}): E.Either<DataError, Volume> {
  let key: string | undefined;
  try {
    const st = statSync(path);
    key = `${path}|${st.size}|${st.mtimeMs}|${opts.volume ?? 0}`;
  } catch {
    // readBytes below reports the missing file.
  }
  const hit = key === undefined ? undefined : recentVolumes.find((r) => r.key === key);
  if (hit) return E.right(hit.volume);
  const read = readVolumeFile(path, opts);
  if (E.isRight(read) && key !== undefined) {
    recentVolumes.unshift({ key, volume: read.right });
    recentVolumes.length = Math.min(recentVolumes.length, RECENT_VOLUMES);
  }
  return read;
}

/**
 * Decode a .nii or .nii.gz (NIfTI-1 or NIfTI-2) as it is read: the header first, checked against the voxel limit and
 * against what the file can hold, then only as many bytes (inflated) as the volume asked for needs.
 */
function readVolumeFile(path: string, opts: { volume?: number }): E.Either<DataError, Volume> {
  let file;
  try {
    file = openRegularFile(path);
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  }
  try {
    return decodeNiftiSource(path, fileChunks(file), file.size, opts);
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  } finally {
    closeSync(file.fd);
  }
}

/** Every file in the folder that starts like a DICOM file, parsed, checked to be one series, and sorted. */
export function readDicomSeries(dir: string): E.Either<DataError, DicomImage[]> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    return E.left(dataError(dir, `cannot list the folder: ${(e as Error).message}`));
  }
  const images: DicomImage[] = [];
  let voxels = 0;
  for (const name of names) {
    const path = join(dir, name);
    let kind: string | undefined;
    try {
      kind = notRegularReason(statSync(path));
    } catch (e) {
      // A dangling link, or a file removed while we list: say which.
      return E.left(dataError(path, asFileReadError(e, path).reason));
    }
    if (kind) continue; // sub-folders, pipes and devices are not slices of the series
    const bytes = readBytes(path);
    if (E.isLeft(bytes)) return bytes;
    if (!isDicom(bytes.right)) continue; // DICOMDIR readers, notes, thumbnails: not slices of the series
    const parsed = parseDicom(bytes.right, path);
    if (E.isLeft(parsed)) return parsed;
    images.push(...parsed.right);
    // A series is a volume: its slices together are held to the voxel limit.
    voxels += parsed.right.reduce((n, im) => n + im.width * im.height, 0);
    if (voxels > loadLimits().maxVoxels)
      return E.left(dataError(dir, `the series holds more than ${loadLimits().maxVoxels} voxels (at ${name}): ${voxelLimitHint()}`));
  }
  if (images.length === 0) return E.left(dataError(dir, 'is a folder, read as a DICOM series, but it holds no DICOM files (with "DICM" at offset 128)'));
  const series = new Map<string, number>();
  for (const im of images) series.set(im.dicom.seriesUid ?? '(none)', (series.get(im.dicom.seriesUid ?? '(none)') ?? 0) + 1);
  if (series.size > 1) {
    const list = [...series].map(([uid, n]) => `${uid} (${n} files)`).join(', ');
    return E.left(dataError(dir, `the folder mixes ${series.size} series: ${list}; put each series in its own folder`));
  }
  const w = images[0].width;
  const h = images[0].height;
  const odd = images.find((im) => im.width !== w || im.height !== h);
  if (odd) return E.left(dataError(odd.meta.source, `slice size ${odd.width}×${odd.height} differs from the series' ${w}×${h}`));
  return E.right(sortSeries(images));
}

const pickIndex = (n: number, index: number | undefined, what: string, file: string): E.Either<DataError, number> => {
  const i = index ?? Math.floor(n / 2);
  return Number.isInteger(i) && i >= 0 && i < n ? E.right(i) : E.left(dataError(file, `${what} ${i} is out of range (0..${n - 1})`));
};

/** What a path holds: a NIfTI volume, or images (PNG/JPEG, a DICOM file's frames, a DICOM series sorted). */
export type Contents = { readonly kind: 'volume'; readonly volume: Volume } | { readonly kind: 'images'; readonly images: LoadedImage[] };

export function readContents(path: string, opts: ReadOptions): E.Either<DataError, Contents> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    return E.left(dataError(path, asFileReadError(e, path).reason));
  }
  const images = (r: E.Either<DataError, LoadedImage[]>): E.Either<DataError, Contents> =>
    pipe(
      r,
      E.map((list) => ({ kind: 'images' as const, images: list })),
    );
  if (isDir) return images(readDicomSeries(path));
  // Named as NIfTI: straight to readVolume, which may have it decoded already (no second read of the file).
  if (/\.nii(\.gz)?$/i.test(path))
    return pipe(
      readVolume(path, opts),
      E.map((volume) => ({ kind: 'volume' as const, volume })),
    );
  return pipe(
    readBytes(path),
    E.chain((bytes): E.Either<DataError, Contents> => {
      switch (detectFormat(bytes)) {
        case 'png':
          return images(
            pipe(
              decodePng(bytes, path),
              E.map((im) => [im]),
            ),
          );
        case 'jpeg':
          return images(
            pipe(
              decodeJpeg(bytes, path),
              E.map((im) => [im]),
            ),
          );
        case 'dicom':
          return images(parseDicom(bytes, path));
        case 'nifti':
        case 'nifti-gz':
          return pipe(
            readVolume(path, opts),
            E.map((volume) => ({ kind: 'volume' as const, volume })),
          );
        default:
          return E.left(dataError(path, 'unrecognised image format: expected PNG, JPEG, NIfTI (.nii/.nii.gz) or DICOM', 'offset 0'));
      }
    }),
  );
}

/** All images a path holds: one for PNG/JPEG, every frame of a DICOM file or series, every slice of a NIfTI plane. */
export function readImages(path: string, opts: ReadOptions = {}): E.Either<DataError, LoadedImage[]> {
  return pipe(
    readContents(path, opts),
    E.map((c) => (c.kind === 'images' ? c.images : allSlices(c.volume, opts.plane ?? 'axial'))),
  );
}

/** One image: PNG/JPEG as is; volumes, DICOM series and multi-frame files: the chosen (default: middle) slice. */
export function readImage(path: string, opts: ReadOptions = {}): E.Either<DataError, LoadedImage> {
  return pipe(
    readContents(path, opts),
    E.chain((c) => {
      if (c.kind === 'volume') {
        const plane = opts.plane ?? 'axial';
        return pipe(
          pickIndex(sliceCount(c.volume, plane), opts.slice, `${plane} slice`, path),
          E.chain((i) => sliceVolume(c.volume, plane, i)),
        );
      }
      return pipe(
        pickIndex(c.images.length, opts.slice, 'slice', path),
        E.map((i) => c.images[i]),
      );
    }),
  );
}

export interface MaskOptions extends ReadOptions {
  /** Label volumes/images: foreground = pixels equal to this value. Default: every non-zero pixel. */
  readonly label?: number;
}

export function readMask(path: string, opts: MaskOptions = {}): E.Either<DataError, Mask> {
  return pipe(
    readImage(path, opts),
    E.map((img) => (opts.label === undefined ? maskFromImage(img) : maskFromLabel(img, opts.label))),
  );
}

export const saveMaskPng = (path: string, mask: Mask): void => writeFileAtomic(path, encodeMaskPng(mask));
export const saveGreyPng = (path: string, img: GreyImage, bitDepth: 8 | 16 = 8): void => writeFileAtomic(path, encodeGreyPng(img, bitDepth));
