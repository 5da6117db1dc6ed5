// The images a list of query paths stands for, each with the file name its outputs get: a PNG/JPEG/DICOM file is
// one query named by its stem; a volume (NIfTI), a multi-frame DICOM file or a DICOM series folder gives one query
// per slice (of the chosen plane), named <stem>-NNN. Two queries that would write the same file are refused.
// A NIfTI volume and a DICOM series also say how their slices go back into voxels and where those voxels lie, so
// that `segment` can write one label volume per query volume in the scan's own space.
import { basename } from 'node:path';
import { statSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { DicomImage } from '../data/dicom.js';
import { seriesSpace } from '../data/dicom-geometry.js';
import { dataError, type DataError } from '../data/errors.js';
import type { LoadedImage } from '../data/image.js';
import type { SliceLayout } from '../data/label-volume.js';
import { readContents, type ReadOptions } from '../data/load.js';
import { allSlices } from '../data/nifti.js';
import { completeSpace, spaceFromAffine, XFORM, type NiftiSpace } from '../data/nifti-space.js';

export interface NamedImage {
  /** Output file stem, unique among the queries. */
  readonly name: string;
  readonly image: LoadedImage;
}

/** A query path that is a volume: its slices go back into voxels by `layout`, which lie where `space` says. */
export interface QueryVolume {
  readonly layout: SliceLayout;
  readonly space: NiftiSpace;
  /** A DICOM series' sorted slices (what a DICOM-SEG references). */
  readonly series?: readonly DicomImage[];
  /** What a reader should know about the geometry (uneven slice spacing, none at all). */
  readonly notes: readonly string[];
}

export interface QuerySource {
  readonly path: string;
  /** Output file stem of the path itself ("case" for case.nii.gz). */
  readonly stem: string;
  readonly images: readonly NamedImage[];
  readonly volume?: QueryVolume;
}

/** "case.nii.gz" → "case", "a/b/slice.png" → "slice", "series/" → "series". */
export const fileStem = (path: string): string => {
  const base = basename(path.replace(/[\\/]+$/, ''));
  const stem = base.replace(/\.nii\.gz$/i, '').replace(/\.[^.]*$/, '');
  return stem || base;
};

const isFolder = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

function seriesVolume(series: readonly DicomImage[]): QueryVolume {
  const layout: SliceLayout = { kind: 'stack', width: series[0].width, height: series[0].height, count: series.length };
  return { layout, series, ...seriesSpace(series) };
}

export function readQuerySources(paths: readonly string[], read: ReadOptions = {}): E.Either<DataError, QuerySource[]> {
  const out: QuerySource[] = [];
  const owner = new Map<string, string>();
  for (const path of paths) {
    const plane = read.plane ?? 'axial';
    const contents = readContents(path, { plane });
    if (E.isLeft(contents)) return contents;
    const c = contents.right;
    const images = c.kind === 'volume' ? allSlices(c.volume, plane) : c.images;
    if (images.length === 0) return E.left(dataError(path, 'holds no images'));
    let volume: QueryVolume | undefined;
    if (c.kind === 'volume') {
      const space = c.volume.space ? completeSpace(c.volume.space) : spaceFromAffine(c.volume.affine, XFORM.unknown);
      volume = { layout: { kind: 'volume', volume: c.volume, plane }, space, notes: [] };
    } else if (isFolder(path)) volume = seriesVolume(c.images as DicomImage[]);
    const digits = Math.max(3, String(images.length - 1).length);
    const stem = fileStem(path);
    const named: NamedImage[] = [];
    for (const [i, image] of images.entries()) {
      const name = images.length === 1 ? stem : `${stem}-${String(i).padStart(digits, '0')}`;
      const taken = owner.get(name);
      if (taken !== undefined) return E.left(dataError(path, `its output name ${name} is already used by query ${taken}; give queries distinct file names`));
      owner.set(name, path);
      named.push({ name, image });
    }
    if (volume) {
      const taken = owner.get(`volume:${stem}`);
      if (taken !== undefined) return E.left(dataError(path, `its label volume ${stem} would overwrite that of ${taken}; give query volumes distinct names`));
      owner.set(`volume:${stem}`, path);
    }
    out.push({ path, stem, images: named, ...(volume ? { volume } : {}) });
  }
  return E.right(out);
}

/** Every query image of the paths, named. */
export const readQueries = (paths: readonly string[], read: ReadOptions = {}): E.Either<DataError, NamedImage[]> =>
  E.map((sources: QuerySource[]) => sources.flatMap((s) => [...s.images]))(readQuerySources(paths, read));
