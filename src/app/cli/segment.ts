// `oneprompt segment`: one prompted template (or an ensemble of K) → a mask PNG and an overlay PNG per 2-D query, a
// label volume in the scan's own space per query volume (NIfTI, DICOM series; + DICOM-SEG for a series); several
// prompts (`--prompt a.json:1 --prompt b.json:2`) give one label map with a legend (segment-outputs.ts).
// Everything that can be wrong with the inputs (template, prompt, templates file, queries, model) is checked before
// the first file is written, so a bad prompt leaves DIR as it was. The outputs are one run (src/util/output-run.ts):
// staged, moved into place together, listed last in DIR/segment.json; files there that segment did not write are
// never replaced.
import { join, relative, sep } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { OutputRun } from '../../util/output-run.js';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { orThrow } from '../data/errors.js';
import type { LoadedImage } from '../data/image.js';
import type { Labels } from '../data/label-volume.js';
import { readImage } from '../data/load.js';
import { readPromptArg } from '../data/prompt-file.js';
import { parseSliceRef } from '../data/slice-ref.js';
import { table } from './format.js';
import { processIO, type CliIO } from './io.js';
import { mergeLabels, parseLabelledPrompts } from './label-map.js';
import {
  positiveInt,
  withImageOptions,
  withLimitOptions,
  withLimits,
  withRuntimeOptions,
  type ImageCliOptions,
  type LimitCliOptions,
  type RuntimeCliOptions,
} from './options.js';
import { progress } from './progress.js';
import { readQuerySources, type QuerySource } from './query-images.js';
import {
  dicomSegWriter,
  LABELS_FILE,
  labelColours,
  readLegacyLegend,
  segmentOutputNames,
  writeSegmentOutputs,
  type LabelLegend,
  type OutputFile,
  type SegWriter,
} from './segment-outputs.js';
import { segmentQueriesByGroup, type PromptedTemplate, type QueryMask } from '../inference/segment-queries.js';
import { describeUsage, loadSegmenter } from '../inference/load-segmenter.js';
import { warnNonFinite } from './non-finite-warning.js';
import { readTemplatesFile } from './templates-file.js';
import { DEFAULT_MODEL_FILE } from '../../util/package-root.js';

export interface SegmentOptions extends RuntimeCliOptions, ImageCliOptions, LimitCliOptions {
  readonly model: string;
  /** The template image; "scan.nii.gz#axial=40" picks a slice of a volume. */
  readonly template?: string;
  /** Prompt files drawn on the template, each "file" or "file:label". */
  readonly prompt?: readonly string[];
  readonly query: readonly string[];
  readonly out: string;
  readonly ensemble?: number;
  readonly templates?: string;
  /** Writes the DICOM-SEG of a DICOM series query (default: dicomSegWriter, dicom-seg.ts). */
  readonly seg?: SegWriter;
}

export interface SegmentedQuery {
  /** The query's output name (a slice of a volume: <stem>-NNN). */
  readonly name: string;
  readonly source: string;
  /** The --query path it came from. */
  readonly from: string;
  readonly width: number;
  readonly height: number;
  /** Its label image (0 = background), at its own size. */
  readonly labels: Labels;
  /** Per label value: mean probability over the model's foreground at S×S (0 when it has none). */
  readonly confidence: Readonly<Record<number, number>>;
}

export interface SegmentResult {
  readonly legend: readonly LabelLegend[];
  readonly queries: readonly SegmentedQuery[];
  readonly files: readonly OutputFile[];
  /** Notes on the geometry of query volumes (also printed as warnings). */
  readonly notes: readonly string[];
  /** What ran: the encoder/decoder pair or the one-file model, and how much (describeUsage). */
  readonly model: string;
}

interface LabelTemplates {
  readonly label: number;
  readonly prompt: string;
  readonly templates: PromptedTemplate[];
}

/** The template image: "--template a.nii.gz#axial=40", or --template with --plane/--slice. */
function readTemplate(o: SegmentOptions, template: string) {
  const ref = parseSliceRef(template, existsSync);
  if (ref.plane && o.slice !== undefined) throw new Error(`segment: --template ${template} names its slice; leave out --slice`);
  return orThrow(readImage(ref.path, { plane: ref.plane ?? o.plane, slice: ref.slice ?? o.slice }));
}

/** Per label: the --template/--prompt pair (if given) first, then entries of --templates, K in all. */
function gatherTemplates(o: SegmentOptions): LabelTemplates[] {
  const prompts = o.prompt ?? [];
  if ((o.template === undefined) !== (prompts.length === 0))
    throw new Error('segment: --template and --prompt go together (the prompt is drawn on the template)');
  if (o.template === undefined && o.templates === undefined) throw new Error('segment: give --template T --prompt P.json, or --templates FILE');
  if (prompts.length > 1 && o.templates !== undefined) {
    throw new Error('segment: several --prompt values make a label map, --templates an ensemble for one structure; use one or the other');
  }
  if (o.ensemble !== undefined && o.ensemble > 1 && o.templates === undefined) {
    throw new Error(`segment: --ensemble ${o.ensemble} averages ${o.ensemble} prompted templates; list them with --templates FILE (templates.json format)`);
  }
  const labelled = E.getOrElseW((m: string): never => {
    throw new Error(`segment: ${m}`);
  })(parseLabelledPrompts(prompts, existsSync));
  const read = { plane: o.plane, slice: o.slice };
  const image = o.template === undefined ? undefined : readTemplate(o, o.template);
  const groups: LabelTemplates[] = labelled.map((p) => ({
    label: p.label,
    prompt: p.file,
    templates: [{ image: image!, prompt: orThrow(readPromptArg(p.file, image!)), source: p.file }],
  }));
  if (o.templates !== undefined) {
    const have = groups[0]?.templates.length ?? 0;
    const want = o.ensemble === undefined ? undefined : Math.max(0, o.ensemble - have);
    const listed = orThrow(readTemplatesFile(o.templates, read, want));
    if (want !== undefined && listed.length < want) {
      throw new Error(`segment: --ensemble ${o.ensemble} needs ${want} templates from ${o.templates}, it lists ${listed.length}`);
    }
    if (groups.length === 0) groups.push({ label: 1, prompt: o.templates, templates: [] });
    groups[0].templates.push(...listed);
    groups[0].templates.splice(o.ensemble ?? groups[0].templates.length);
  }
  return groups;
}

export async function runSegment(o: SegmentOptions, io: CliIO = processIO): Promise<SegmentResult> {
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new Error(`segment: --out ${o.out} is a file, expected a folder`);
  const groups = gatherTemplates(o);
  const sources = orThrow(readQuerySources(o.query, { plane: o.plane }));
  warnNonFinite([...new Set(groups.flatMap((g) => g.templates.map((t) => t.image))), ...sources.flatMap((s) => s.images.map((q) => q.image))], io);
  const run = new OutputRun({ dir: o.out, manifest: SEGMENT_MANIFEST, command: 'segment', legacyOwned: segmentedBefore });
  try {
    run.checkTargets(segmentOutputNames(sources, groups.length));
    return await segmentInto(run, o, groups, sources, io);
  } finally {
    run.abort(); // nothing left staged if anything failed (a no-op after commit)
  }
}

/** The manifest of a segment run: every file it wrote, and per query its files and confidence. */
export const SEGMENT_MANIFEST = 'segment.json';

/**
 * Output folders of versions that wrote no manifest: a mask with its overlay beside it is a previous run's, and so
 * are labels.json (a legend: "labels" and "outputs") and the volumes its "outputs" list.
 */
const segmentedBefore = (dir: string, rel: string): boolean => {
  const m = /^(masks|overlays)[\\/](.+\.png)$/.exec(rel);
  if (m) return existsSync(join(dir, m[1] === 'masks' ? 'overlays' : 'masks', m[2]));
  const legend = readLegacyLegend(dir);
  return legend !== undefined && (rel === LABELS_FILE || legend.includes(rel.split(sep).join('/')));
};

async function segmentInto(run: OutputRun, o: SegmentOptions, groups: LabelTemplates[], sources: QuerySource[], io: CliIO): Promise<SegmentResult> {
  const queries = sources.flatMap((s) => s.images.map((q) => ({ ...q, from: s.path })));
  const model = await loadSegmenter(o.model, { device: o.device, threads: o.threads, warn: (l) => io.err(l + '\n') });
  let perLabel: QueryMask[][];
  let usage: string;
  try {
    const K = groups.reduce((a, g) => a + g.templates.length, 0);
    const what = K > 1 ? `predictions (${queries.length} queries × ${K} ${groups.length > 1 ? 'prompts' : 'templates'})` : 'queries';
    const bar = progress(io, 'segment', queries.length * K, what);
    // All labels' templates in one pass: each query is encoded once for every prompt.
    perLabel = orThrow(
      await segmentQueriesByGroup({
        groups: groups.map((g) => g.templates),
        queries: queries.map((q) => q.image),
        geometry: model.geometry,
        segmenter: model.prompts,
        batchSize: o.batch ?? 8,
        normalisation: o.window,
        onBatch: (done) => bar.update(done),
      }),
    );
    usage = describeUsage(model);
  } finally {
    await model.release();
  }
  const S = model.geometry.size;
  const colours = labelColours(groups.length);
  const legend: LabelLegend[] = groups.map((g, i) => ({ value: g.label, prompt: g.prompt, template: templateName(g.templates[0]), colour: colours[i] }));
  const results = queries.map((q, i): SegmentedQuery => {
    const labels = mergeLabels(
      groups.map((g, l) => ({ label: g.label, logits: perLabel[l][i].logits })),
      S,
      q.image.width,
      q.image.height,
    );
    const confidence = Object.fromEntries(groups.map((g, l) => [g.label, perLabel[l][i].confidence]));
    return { name: q.name, source: q.image.meta.source, from: q.from, width: q.image.width, height: q.image.height, labels, confidence };
  });
  const notes = sources.flatMap((s) => (s.volume?.notes ?? []).map((n) => `${s.path}: ${n}`));
  for (const n of notes) io.err(`warning: ${n}\n`);
  // Only now, with every mask computed, is anything written: staged, then moved into place with the manifest last.
  const files = writeSegmentOutputs({
    out: o.out,
    write: (rel, data) => run.write(rel, data),
    sources,
    labels: new Map(results.map((r) => [r.name, r.labels])),
    legend,
    window: o.window,
    seg: o.seg ?? dicomSegWriter,
    warn: (l) => io.err(`warning: ${l}\n`),
  });
  run.commit(manifestEntries(o.out, sources, results, files, legend));
  return { legend, queries: results, files, notes, model: usage };
}

/**
 * segment.json's own keys (beside "oneprompt", "complete" and "files"): per 2-D query its mask, overlay and
 * confidence (one prompt: a number; several: per label value), per query volume its label volume (and DICOM-SEG),
 * and the legend's file when there is one. Paths relative to DIR.
 */
function manifestEntries(
  out: string,
  sources: readonly QuerySource[],
  results: readonly SegmentedQuery[],
  files: readonly OutputFile[],
  legend: readonly LabelLegend[],
): Record<string, unknown> {
  const rel = (file: string): string => relative(out, file);
  const confidence = (q: SegmentedQuery): number | Readonly<Record<number, number>> => (legend.length === 1 ? q.confidence[legend[0].value] : q.confidence);
  const flat = new Set(sources.filter((s) => !s.volume).map((s) => s.path));
  const queries = results
    .filter((q) => flat.has(q.from))
    .map((q) => ({
      query: q.name,
      source: q.source,
      mask: join('masks', `${q.name}.png`),
      overlay: join('overlays', `${q.name}.png`),
      confidence: confidence(q),
    }));
  const volumes = sources
    .filter((s) => s.volume)
    .map((s) => {
      const of = (kind: OutputFile['kind']) => files.find((f) => f.query === s.path && f.kind === kind);
      const seg = of('dicom-seg');
      return { query: s.path, slices: s.images.length, volume: rel(of('volume')!.file), ...(seg ? { seg: rel(seg.file) } : {}) };
    });
  const labels = files.some((f) => f.kind !== 'image') || legend.length > 1 ? { labels: LABELS_FILE } : {};
  return { queries, ...(volumes.length ? { volumes } : {}), ...labels };
}

/** A template's name for the legend: its image's source (a volume slice: "scan.nii.gz[axial 40]"), else its entry. */
const templateName = (t: PromptedTemplate): string => (t.image as Partial<LoadedImage>).meta?.source ?? t.source;

/** stdout's table: a row per 2-D query, one per query volume; foreground share per label. */
function summaryRows(r: SegmentResult): string[][] {
  const share = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
  const rows: string[][] = [];
  for (const f of r.files) {
    if (f.kind === 'dicom-seg') continue;
    const qs = f.kind === 'volume' ? r.queries.filter((q) => q.from === f.query) : r.queries.filter((q) => q.source === f.query);
    const total = qs.reduce((a, q) => a + q.labels.length, 0);
    const size = f.kind === 'volume' ? `${qs[0].width}×${qs[0].height}×${qs.length}` : `${qs[0].width}×${qs[0].height}`;
    const conf = (v: number): number => {
      const withFg = qs.filter((q) => q.confidence[v] > 0);
      return withFg.length ? withFg.reduce((a, q) => a + q.confidence[v], 0) / withFg.length : 0;
    };
    rows.push([
      f.kind === 'volume' ? f.query : qs[0].name,
      size,
      ...r.legend.flatMap((l) => [share(f.counts[String(l.value)] ?? 0, total), conf(l.value).toFixed(3)]),
    ]);
  }
  return rows;
}

export function registerSegment(program: Command, io: CliIO = processIO): void {
  const command = program
    .command('segment')
    .description(
      "segment query images with a prompted template: writes DIR/masks/<query>.png (0/255, the query's size) and DIR/overlays/<query>.png for 2-D queries, DIR/volumes/<stem>.nii.gz (+ .seg.dcm for a DICOM series) for volumes, DIR/labels.json (legend)",
    )
    .option(
      '--model <file>',
      'compiled One-Prompt model (.onnx; default: the trained model shipped with oneprompt); its encoder/decoder pair beside it (NAME.encoder.onnx, NAME.decoder.onnx from compile --split) runs instead when present, encoding each image once',
    )
    .option(
      '--template <image>',
      'template image (PNG, JPEG, NIfTI, DICOM file or series folder); a volume slice as scan.nii.gz#axial=40 (or coronal=, sagittal=)',
    )
    .option(
      '--prompt <json[:label]>',
      'prompt drawn on the template (click, bbox, doodle or seglab; docs/prompts.md): a JSON file, or the JSON itself (\'{"type": "click", "points": [{"x": 60, "y": 40}]}\'); repeat it for a label map: --prompt a.json:1 --prompt b.json:2',
      (v: string, all: string[] = []) => [...all, v],
    )
    .requiredOption('--query <images...>', 'query images; a volume (NIfTI) or DICOM series folder is segmented slice by slice into one label volume')
    .requiredOption('--out <dir>', 'output folder')
    .option('--ensemble <k>', 'average the probabilities of K prompted templates (the paper uses 50): --template first, then --templates entries', positiveInt)
    .option('--templates <file>', 'prompted templates for the ensemble: [{"image", "prompt"}, ...] (templates.json format)');
  withRuntimeOptions(command, 'model inputs per run');
  withImageOptions(command, 'template volume or series: which slice (default: the middle one)');
  withLimitOptions(command);
  command
    .addHelpText(
      'after',
      '\nExamples:\n  oneprompt segment --template scan1.png --prompt prompt.json --query scan2.png scan3.png --out out/seg   (the shipped model)\n  oneprompt segment --template scan1.png --prompt \'{"type": "click", "points": [{"x": 60, "y": 40}]}\' --query scan2.png --out out/seg\n  oneprompt segment --model M.onnx --template ct.nii.gz#axial=40 --prompt liver.json:1 --prompt spleen.json:2 --query ct.nii.gz --out out/ct\n  oneprompt segment --model M.onnx --templates task/templates.json --ensemble 50 --query scan.nii.gz --out out/vol',
    )
    .action(async (given: Omit<SegmentOptions, 'model'> & { model?: string }) => {
      const o: SegmentOptions = { ...given, model: given.model ?? DEFAULT_MODEL_FILE };
      const t0 = performance.now();
      const r = await withLimits(o, () => runSegment(o, io));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      const labelCols = r.legend.length === 1 ? ['foreground', 'confidence'] : r.legend.flatMap((l) => [`label ${l.value}`, 'confidence']);
      io.out(table(['query', 'size', ...labelCols], summaryRows(r)));
      const count = (k: OutputFile['kind']) => r.files.filter((f) => f.kind === k).length;
      const n = (k: OutputFile['kind'], one: string, many = `${one}s`) => `${count(k)} ${count(k) === 1 ? one : many}`;
      const parts = [
        count('image') ? `${n('image', 'mask')} to ${join(o.out, 'masks')} and ${n('image', 'overlay')} to ${join(o.out, 'overlays')}` : '',
        count('volume') ? `${n('volume', 'label volume')}${count('dicom-seg') ? ` and ${n('dicom-seg', 'DICOM-SEG')}` : ''} to ${join(o.out, 'volumes')}` : '',
      ].filter(Boolean);
      io.out(`wrote ${parts.join(', ')} in ${secs} s`);
      io.out(`model: ${r.model}`);
    });
}
