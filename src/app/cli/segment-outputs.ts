// What `segment` writes, once every mask is computed:
//   2-D queries (PNG, JPEG, a single DICOM file, frames of a multi-frame file):
//     DIR/masks/<name>.png     one prompt: 0/255; several: the label values (8-bit, 16-bit above 255)
//     DIR/overlays/<name>.png  the query in grey with each label's outline in its colour
//   query volumes (NIfTI, DICOM series):
//     DIR/volumes/<stem>.nii.gz  the label volume in the scan's own voxel grid and space (qform and sform)
//     DIR/volumes/<stem>.seg.dcm for a DICOM series, a DICOM-SEG referencing its slices (when a writer is given)
//   DIR/labels.json              the legend (with several prompts or any volume): label → prompt, template, colour;
//                                and per output file its labels' voxel/pixel counts
// Every file goes through the run's sink (src/util/output-run.ts): staged, moved into place together, listed in
// DIR/segment.json.
import { basename, join } from 'node:path';
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
import { parseJson } from '../../util/json.js';
import { MAX_JSON_BYTES, readRegularText } from '../../util/safe-read.js';
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
        () =>
          encodeDicomSeg({
            series,
            geometry,
            labels,
            segments: legend.map((l) => ({ value: l.value, label: `${l.value}: ${basename(l.prompt)}`, colour: l.colour })),
          }),
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

const maskOf = (labels: Labels, width: number, height: number, value: number): Mask => ({
  width,
  height,
  data: Uint8Array.from(labels, (v) => (v === value ? 1 : 0)),
});

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

/** The legend's file name in DIR. */
export const LABELS_FILE = 'labels.json';

/** Where one output goes: `rel` inside DIR (the run stages it and moves it into place with the others). */
export type OutputSink = (rel: string, data: Uint8Array | string) => void;

const maskName = (name: string): string => join('masks', `${name}.png`);
const overlayName = (name: string): string => join('overlays', `${name}.png`);
const volumeName = (stem: string): string => join('volumes', `${stem}.nii.gz`);
const segName = (stem: string): string => join('volumes', `${stem}.seg.dcm`);
const needsLegend = (sources: readonly QuerySource[], labelCount: number): boolean => labelCount > 1 || sources.some((s) => s.volume);

/** Every file writeSegmentOutputs may write for these queries, relative to DIR (checked before the model runs). */
export function segmentOutputNames(sources: readonly QuerySource[], labelCount: number): string[] {
  const names = sources.flatMap((src) =>
    !src.volume
      ? src.images.flatMap((q) => [maskName(q.name), overlayName(q.name)])
      : [volumeName(src.stem), ...(src.volume.series ? [segName(src.stem)] : [])],
  );
  return needsLegend(sources, labelCount) ? [...names, LABELS_FILE] : names;
}

/**
 * The files a labels.json written without a segment.json (an earlier version's) lists, '/'-separated and relative to
 * DIR; undefined when there is none or it is not a legend of ours.
 */
export function readLegacyLegend(dir: string): string[] | undefined {
  let json: unknown;
  try {
    const parsed = parseJson(readRegularText(join(dir, LABELS_FILE), MAX_JSON_BYTES, 'a legend'));
    json = E.isRight(parsed) ? parsed.right : undefined;
  } catch {
    return undefined;
  }
  const o = json as { labels?: unknown; outputs?: unknown } | undefined;
  if (!o || typeof o !== 'object' || !Array.isArray(o.labels) || !Array.isArray(o.outputs)) return undefined;
  return o.outputs.flatMap((f: unknown) => {
    const file = (f as { file?: unknown } | null)?.file;
    return typeof file === 'string' ? [file.split('\\').join('/')] : [];
  });
}

export interface SegmentOutputOptions {
  /** DIR, for the paths reported (OutputFile.file). */
  readonly out: string;
  /** Where each file goes (the run's staging). */
  readonly write: OutputSink;
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
  const files: (OutputFile & { readonly rel: string })[] = [];
  const put = (rel: string, data: Uint8Array | string, file: Omit<OutputFile, 'file'>): void => {
    o.write(rel, data);
    files.push({ ...file, file: join(o.out, rel), rel });
  };
  const single = o.legend.length === 1;
  for (const src of o.sources) {
    if (!src.volume) {
      for (const q of src.images) {
        const labels = o.labels.get(q.name)!;
        const { width, height } = q.image as GreyImage;
        const outlines = o.legend.map((l) => ({ mask: maskOf(labels, width, height, l.value), colour: l.colour }));
        put(maskName(q.name), single ? encodeMaskPng(maskOf(labels, width, height, o.legend[0].value)) : labelPng(labels, width, height), {
          query: q.image.meta.source,
          kind: 'image',
          counts: counts(labels, o.legend),
        });
        o.write(overlayName(q.name), overlayPng(q.image, outlines, o.window));
      }
      continue;
    }
    const v = src.volume;
    const labels = slicesToVolume(
      v.layout,
      src.images.map((q) => o.labels.get(q.name)!),
    );
    const dims = layoutDims(v.layout);
    const description = `oneprompt labels of ${src.stem}`.slice(0, 79);
    const c = counts(labels, o.legend);
    put(volumeName(src.stem), gzipSync(encodeNifti({ dims, data: labels, space: v.space, description }, niftiFormatFor(dims))), {
      query: src.path,
      kind: 'volume',
      counts: c,
    });
    if (v.series && o.seg) {
      const bytes = o.seg(v, labels, o.legend);
      if (E.isLeft(bytes)) o.warn?.(`${src.path}: no DICOM-SEG written: ${bytes.left}`);
      else put(segName(src.stem), bytes.right, { query: src.path, kind: 'dicom-seg', counts: c });
    }
  }
  if (needsLegend(o.sources, o.legend.length)) {
    // File names relative to DIR ('/'-separated), so the folder can be moved.
    const legend = {
      labels: o.legend.map((l) => ({ value: l.value, prompt: l.prompt, template: l.template, colour: l.colour })),
      outputs: files.map(({ rel, ...f }) => ({ ...f, file: rel.split('\\').join('/') })),
    };
    o.write(LABELS_FILE, JSON.stringify(legend, null, 1) + '\n');
  }
  return files.map(({ rel: _, ...f }) => f);
}
