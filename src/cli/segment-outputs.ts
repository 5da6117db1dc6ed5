// What `segment` writes, once every mask is computed:
//   2-D queries (PNG, JPEG, a single DICOM file, frames of a multi-frame file):
//     DIR/masks/<name>.png     one prompt: 0/255; several: the label values (8-bit, 16-bit above 255)
//     DIR/overlays/<name>.png  the query in grey with each label's outline in its colour
//   query volumes (NIfTI, DICOM series):
//     DIR/volumes/<stem>.nii.gz  the label volume in the scan's own voxel grid and space (qform and sform)
//     DIR/volumes/<stem>.seg.dcm for a DICOM series, a DICOM-SEG referencing its slices (when a writer is given)
//   DIR/labels.json              the legend (with several prompts or any volume): label → prompt, template, colour;
//                                and per output file its labels' voxel/pixel counts
import { basename, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { seriesGeometry } from '../data/dicom-geometry.js';
import { encodeDicomSeg } from '../data/dicom-seg.js';
import type { GreyImage, Mask } from '../data/image.js';
import type { Normalisation } from '../data/intensity.js';
import { layoutDims, slicesToVolume, type Labels } from '../data/label-volume.js';
import { encodeNifti, niftiFormatFor } from '../data/nifti-write.js';
import { encodeMaskPng, encodePngRaw } from '../data/png.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { OUTLINE, overlayPng, palette, type Rgb } from './overlay.js';
import type { QuerySource, QueryVolume } from './query-images.js';

export interface LabelLegend {
  readonly value: number;
  /** The prompt file (or the templates file of an ensemble). */
  readonly prompt: string;
  /** The template image (with "#plane=K" for a volume slice). */
  readonly template: string;
  readonly colour: Rgb;
}

/** Colours of the labels in overlays and the legend: the single-prompt red, or a palette. */
export const labelColours = (n: number): Rgb[] => (n === 1 ? [OUTLINE] : palette(n));

/** A DICOM-SEG for a series' label volume: its bytes, or why there is none. */
export type SegWriter = (volume: QueryVolume, labels: Labels, legend: readonly LabelLegend[]) => E.Either<string, Uint8Array>;

/** The DICOM-SEG of dicom-seg.ts: one segment per label, named after its prompt file. */
export const dicomSegWriter: SegWriter = (volume, labels, legend) => {
  if (!volume.series) return E.left('not a DICOM series');
  const series = volume.series;
  return pipe(
    seriesGeometry(series),
    E.chain((geometry) =>
      E.tryCatch(
        () => encodeDicomSeg({ series, geometry, labels, segments: legend.map((l) => ({ value: l.value, label: `${l.value}: ${basename(l.prompt)}`, colour: l.colour })) }),
        (e) => (e as Error).message,
      ),
    ),
  );
};

export interface OutputFile {
  readonly query: string;
  readonly kind: 'image' | 'volume' | 'dicom-seg';
  readonly file: string;
  /** Pixels (voxels) per label value. */
  readonly counts: Readonly<Record<string, number>>;
}

const counts = (labels: Labels, legend: readonly LabelLegend[]): Record<string, number> => {
  const c: Record<string, number> = Object.fromEntries(legend.map((l) => [String(l.value), 0]));
  for (let i = 0; i < labels.length; i++) if (labels[i]) c[String(labels[i])] = (c[String(labels[i])] ?? 0) + 1;
  return c;
};

const maskOf = (labels: Labels, width: number, height: number, value: number): Mask => ({ width, height, data: Uint8Array.from(labels, (v) => (v === value ? 1 : 0)) });

function labelPng(labels: Labels, width: number, height: number): Uint8Array {
  const wide = labels instanceof Uint16Array;
  const bytes = new Uint8Array(labels.length * (wide ? 2 : 1));
  for (let i = 0; i < labels.length; i++) {
    if (wide) {
      bytes[2 * i] = labels[i] >> 8;
      bytes[2 * i + 1] = labels[i] & 0xff;
    } else bytes[i] = labels[i];
  }
  return encodePngRaw({ width, height, colorType: 0, bitDepth: wide ? 16 : 8, scanlines: bytes });
}

export interface SegmentOutputOptions {
  readonly out: string;
  readonly sources: readonly QuerySource[];
  /** Per query name: its label image at its own size. */
  readonly labels: ReadonlyMap<string, Labels>;
  readonly legend: readonly LabelLegend[];
  readonly window?: Normalisation;
  /** Writes a DICOM series' DICOM-SEG (none without). */
  readonly seg?: SegWriter;
  /** Where a skipped DICOM-SEG is reported. */
  readonly warn?: (line: string) => void;
}

export function writeSegmentOutputs(o: SegmentOutputOptions): OutputFile[] {
  const files: OutputFile[] = [];
  const single = o.legend.length === 1;
  for (const src of o.sources) {
    if (!src.volume) {
      for (const q of src.images) {
        const labels = o.labels.get(q.name)!;
        const { width, height } = q.image as GreyImage;
        const file = join(o.out, 'masks', `${q.name}.png`);
        writeFileAtomic(file, single ? encodeMaskPng(maskOf(labels, width, height, o.legend[0].value)) : labelPng(labels, width, height));
        const outlines = o.legend.map((l) => ({ mask: maskOf(labels, width, height, l.value), colour: l.colour }));
        writeFileAtomic(join(o.out, 'overlays', `${q.name}.png`), overlayPng(q.image, outlines, o.window));
        files.push({ query: q.image.meta.source, kind: 'image', file, counts: counts(labels, o.legend) });
      }
      continue;
    }
    const v = src.volume;
    const labels = slicesToVolume(v.layout, src.images.map((q) => o.labels.get(q.name)!));
    const dims = layoutDims(v.layout);
    const file = join(o.out, 'volumes', `${src.stem}.nii.gz`);
    const description = `oneprompt labels of ${src.stem}`.slice(0, 79);
    writeFileAtomic(file, gzipSync(encodeNifti({ dims, data: labels, space: v.space, description }, niftiFormatFor(dims))));
    const c = counts(labels, o.legend);
    files.push({ query: src.path, kind: 'volume', file, counts: c });
    if (v.series && o.seg) {
      const bytes = o.seg(v, labels, o.legend);
      if (E.isLeft(bytes)) o.warn?.(`${src.path}: no DICOM-SEG written: ${bytes.left}`);
      else {
        const seg = join(o.out, 'volumes', `${src.stem}.seg.dcm`);
        writeFileAtomic(seg, bytes.right);
        files.push({ query: src.path, kind: 'dicom-seg', file: seg, counts: c });
      }
    }
  }
  if (!single || files.some((f) => f.kind !== 'image')) {
    // File names relative to DIR, so the folder can be moved.
    const legend = {
      labels: o.legend.map((l) => ({ value: l.value, prompt: l.prompt, template: l.template, colour: l.colour })),
      outputs: files.map((f) => ({ ...f, file: relative(o.out, f.file) })),
    };
    writeFileAtomic(join(o.out, 'labels.json'), JSON.stringify(legend, null, 1) + '\n');
  }
  return files;
}
