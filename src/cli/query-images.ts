// The images a list of query paths stands for, each with the file name its outputs get: a PNG/JPEG/DICOM file is
// one query named by its stem; a volume (NIfTI), a multi-frame DICOM file or a DICOM series folder gives one query
// per slice (of the chosen plane), named <stem>-NNN. Two queries that would write the same file are refused.
import { basename } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { dataError, type DataError } from '../data/errors.js';
import type { LoadedImage } from '../data/image.js';
import { readImages, type ReadOptions } from '../data/load.js';

export interface NamedImage {
  /** Output file stem, unique among the queries. */
  readonly name: string;
  readonly image: LoadedImage;
}

/** "case.nii.gz" → "case", "a/b/slice.png" → "slice", "series/" → "series". */
export const fileStem = (path: string): string => {
  const base = basename(path.replace(/[\\/]+$/, ''));
  const stem = base.replace(/\.nii\.gz$/i, '').replace(/\.[^.]*$/, '');
  return stem || base;
};

export function readQueries(paths: readonly string[], read: ReadOptions = {}): E.Either<DataError, NamedImage[]> {
  const out: NamedImage[] = [];
  const owner = new Map<string, string>();
  for (const path of paths) {
    const images = readImages(path, { plane: read.plane });
    if (E.isLeft(images)) return images;
    if (images.right.length === 0) return E.left(dataError(path, 'holds no images'));
    const digits = Math.max(3, String(images.right.length - 1).length);
    const stem = fileStem(path);
    for (const [i, image] of images.right.entries()) {
      const name = images.right.length === 1 ? stem : `${stem}-${String(i).padStart(digits, '0')}`;
      const taken = owner.get(name);
      if (taken !== undefined) return E.left(dataError(path, `its output name ${name} is already used by query ${taken}; give queries distinct file names`));
      owner.set(name, path);
      out.push({ name, image });
    }
  }
  return E.right(out);
}
