// One warning per file whose NaN/±Inf values the loaders replaced (src/app/data/non-finite.ts), however many of its
// slices are used.
import type { GreyImage, LoadedImage } from '../data/image.js';
import { nonFiniteWarning } from '../data/non-finite.js';
import type { CliIO } from './io.js';

export function warnNonFinite(images: readonly GreyImage[], io: CliIO): void {
  const seen = new Set<string>();
  for (const img of images) {
    const nf = (img as Partial<LoadedImage>).meta?.nonFinite;
    if (!nf || seen.has(nf.file)) continue;
    seen.add(nf.file);
    io.err(nonFiniteWarning(nf.file, nf.count, nf.of) + '\n');
  }
}
