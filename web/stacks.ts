// Files picked in the page → image stacks the views scroll through: a NIfTI volume (cut along the chosen plane, as
// `segment --plane` cuts it), a DICOM series (the picked files of one SeriesInstanceUID, sorted along the slice
// normal as the CLI sorts a series folder), a multi-frame DICOM file, or a single 2-D image. A volume or series also
// knows how its slices go back into voxels and where those lie (label-volume.ts, nifti-space.ts), so the page can
// export its masks as a label volume that `segment` would have written. Browser-safe (tests run it in node).
import * as E from 'fp-ts/lib/Either.js';
import { type DicomImage, isDicom, parseDicom, sortSeries } from '../src/app/data/dicom.js';
import { seriesSpace } from '../src/app/data/dicom-geometry.js';
import { dataError, type DataError } from '../src/app/data/errors.js';
import type { LoadedImage, Mask } from '../src/app/data/image.js';
import { slicesToVolume, type SliceLayout } from '../src/app/data/label-volume.js';
import { allSlices, sliceCount, sliceVolume, type Plane, type Volume } from '../src/app/data/nifti.js';
import { completeSpace, spaceFromAffine, XFORM, type NiftiSpace } from '../src/app/data/nifti-space.js';
import { encodeNifti, niftiFormatFor } from '../src/app/data/nifti-write.js';
import { formatSliceRef } from '../src/app/data/slice-ref.js';
import { intensityStats, type IntensityStats } from './display-window.js';
import { decodeImage, decodeNiftiFile, isNiftiFile } from './image-decode.js';

export interface PickedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export type Source =
  | { readonly kind: 'volume'; readonly name: string; readonly volume: Volume }
  /** A DICOM series (several files of one series, sorted) or a multi-frame file's frames. */
  | { readonly kind: 'series'; readonly name: string; readonly slices: readonly DicomImage[]; readonly files: number }
  | { readonly kind: 'image'; readonly name: string; readonly image: LoadedImage };

export interface ImageStack {
  readonly name: string;
  readonly source: Source;
  readonly count: number;
  slice(index: number): LoadedImage;
  /** Volumes and series: how slices go back into voxels, and where those lie. */
  readonly layout?: SliceLayout;
  readonly space?: NiftiSpace;
  readonly stats: IntensityStats;
  /** What to give `segment --template` for slice `index` of this stack. */
  templateRef(index: number): string;
}

const stem = (name: string): string => name.replace(/\.nii\.gz$/i, '').replace(/\.[^.]*$/, '') || name;

type Picked = Source | { readonly kind: 'series-of'; readonly uid: string };

/** Parse the picked files; DICOM files of one series become one source, in the place of its first file. */
export async function readSources(files: readonly PickedFile[]): Promise<E.Either<DataError, Source[]>> {
  const picked: Picked[] = [];
  const series = new Map<string, { first: string; slices: DicomImage[]; files: number }>();
  for (const f of files) {
    if (isDicom(f.bytes)) {
      const frames = parseDicom(f.bytes, f.name);
      if (E.isLeft(frames)) return frames;
      const uid = frames.right[0]?.dicom.seriesUid;
      if (frames.right.length > 1 || uid === undefined) picked.push({ kind: 'series', name: f.name, slices: frames.right, files: 1 });
      else {
        const group = series.get(uid);
        if (group) {
          group.slices.push(...frames.right);
          group.files++;
        } else {
          series.set(uid, { first: f.name, slices: [...frames.right], files: 1 });
          picked.push({ kind: 'series-of', uid });
        }
      }
      continue;
    }
    if (isNiftiFile(f.bytes)) {
      const vol = decodeNiftiFile(f.bytes, f.name);
      if (E.isLeft(vol)) return vol;
      picked.push({ kind: 'volume', name: f.name, volume: vol.right });
      continue;
    }
    const img = await decodeImage(f.bytes, f.name);
    if (E.isLeft(img)) return img;
    picked.push({ kind: 'image', name: f.name, image: img.right });
  }
  const out: Source[] = [];
  for (const p of picked) {
    if (p.kind !== 'series-of') {
      out.push(p);
      continue;
    }
    const g = series.get(p.uid)!;
    const odd = g.slices.find((im) => im.width !== g.slices[0].width || im.height !== g.slices[0].height);
    if (odd)
      return E.left(dataError(odd.meta.source, `slice size ${odd.width}×${odd.height} differs from the series' ${g.slices[0].width}×${g.slices[0].height}`));
    out.push({ kind: 'series', name: g.files > 1 ? `series ${p.uid}` : g.first, slices: sortSeries(g.slices), files: g.files });
  }
  return E.right(out);
}

/** The stack a source shows (NIfTI volumes cut along `plane`). */
export function stackOf(src: Source, plane: Plane): ImageStack {
  switch (src.kind) {
    case 'image':
      return { name: src.name, source: src, count: 1, slice: () => src.image, stats: intensityStats([src.image.data]), templateRef: () => src.name };
    case 'series': {
      const layout: SliceLayout = { kind: 'stack', width: src.slices[0].width, height: src.slices[0].height, count: src.slices.length };
      return {
        name: src.name,
        source: src,
        count: src.slices.length,
        slice: (i) => src.slices[i],
        layout,
        space: seriesSpace(src.slices).space,
        stats: intensityStats(src.slices.map((s) => s.data)),
        // The CLI reads a series from its folder: `--template FOLDER --slice i`.
        templateRef: (i) => (src.files > 1 ? `<series folder> --slice ${i}` : `${src.name} --slice ${i}`),
      };
    }
    case 'volume': {
      const vol = src.volume;
      let cached: { index: number; image: LoadedImage } | undefined;
      return {
        name: src.name,
        source: src,
        count: sliceCount(vol, plane),
        slice(i) {
          if (cached?.index !== i) {
            const s = sliceVolume(vol, plane, i);
            if (E.isLeft(s)) throw new Error(s.left.message);
            cached = { index: i, image: s.right };
          }
          return cached.image;
        },
        layout: { kind: 'volume', volume: vol, plane },
        space: vol.space ? completeSpace(vol.space) : spaceFromAffine(vol.affine, XFORM.unknown),
        stats: intensityStats([vol.data]),
        templateRef: (i) => formatSliceRef(src.name, plane, i),
      };
    }
  }
}

/** The file name a stack's label volume gets. */
export const labelVolumeName = (stack: ImageStack): string =>
  `${stem(stack.source.kind === 'series' && stack.source.files > 1 ? 'series' : stack.name)}-labels.nii`;

/** A stack's masks (one per slice, 1 = label 1) as a NIfTI label volume in its scan's space, uncompressed. */
export function labelVolumeNifti(stack: ImageStack, masks: readonly (Mask | undefined)[]): E.Either<string, Uint8Array> {
  if (!stack.layout || !stack.space) return E.left(`${stack.name} is a 2-D image, not a volume`);
  const missing = masks.findIndex((m) => !m);
  if (missing >= 0 || masks.length !== stack.count) return E.left(`${stack.name}: slice ${missing < 0 ? masks.length : missing} has no mask yet`);
  const labels = slicesToVolume(
    stack.layout,
    masks.map((m) => m!.data),
  );
  const dims = stack.layout.kind === 'volume' ? stack.layout.volume.dims : ([stack.layout.width, stack.layout.height, stack.layout.count] as const);
  return E.right(encodeNifti({ dims, data: labels, space: stack.space, description: `oneprompt labels of ${stack.name}`.slice(0, 79) }, niftiFormatFor(dims)));
}

/** Every slice of a stack, in order (what `segment --query` segments). */
export const stackSlices = (stack: ImageStack): LoadedImage[] =>
  stack.source.kind === 'volume' && stack.layout?.kind === 'volume'
    ? allSlices(stack.source.volume, stack.layout.plane)
    : Array.from({ length: stack.count }, (_, i) => stack.slice(i));
