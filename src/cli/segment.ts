// `oneprompt segment`: one prompted template (or an ensemble of K) → a mask PNG and an overlay PNG per query.
// Everything that can be wrong with the inputs (template, prompt, templates file, queries, model) is checked before
// the first file is written, so a bad prompt leaves DIR as it was. The outputs are one run (src/util/output-run.ts):
// staged, moved into place together, listed last in DIR/segment.json; files there that segment did not write are
// never replaced.
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { encodeMaskPng } from '../data/png.js';
import { OutputRun } from '../util/output-run.js';
import type { Command } from 'commander';
import { orThrow } from '../data/errors.js';
import { maskArea, type Mask } from '../data/image.js';
import { readImage } from '../data/load.js';
import { readPromptFile } from '../data/prompt-file.js';
import { table } from './format.js';
import { processIO, type CliIO } from './io.js';
import { positiveInt, withImageOptions, withLimitOptions, withLimits, withRuntimeOptions, type ImageCliOptions, type LimitCliOptions, type RuntimeCliOptions } from './options.js';
import { OUTLINE, overlayPng } from './overlay.js';
import { progress } from './progress.js';
import { readQueries, type NamedImage } from './query-images.js';
import { segmentQueries, type PromptedTemplate } from './segment-queries.js';
import { loadSegmenter } from './segmenter.js';
import { warnNonFinite } from './non-finite-warning.js';
import { readTemplatesFile } from './templates-file.js';

export interface SegmentOptions extends RuntimeCliOptions, ImageCliOptions, LimitCliOptions {
  readonly model: string;
  readonly template?: string;
  readonly prompt?: string;
  readonly query: readonly string[];
  readonly out: string;
  readonly ensemble?: number;
  readonly templates?: string;
}

export interface SegmentedQuery {
  readonly name: string;
  readonly source: string;
  readonly mask: Mask;
  readonly confidence: number;
  readonly maskFile: string;
  readonly overlayFile: string;
}

/** The ensemble: the --template/--prompt pair (if given) first, then entries of --templates, K in all. */
function gatherTemplates(o: SegmentOptions): PromptedTemplate[] {
  if ((o.template === undefined) !== (o.prompt === undefined)) throw new Error('segment: --template and --prompt go together (the prompt is drawn on the template)');
  if (o.template === undefined && o.templates === undefined) throw new Error('segment: give --template T --prompt P.json, or --templates FILE');
  if (o.ensemble !== undefined && o.ensemble > 1 && o.templates === undefined) {
    throw new Error(`segment: --ensemble ${o.ensemble} averages ${o.ensemble} prompted templates; list them with --templates FILE (templates.json format)`);
  }
  const read = { plane: o.plane, slice: o.slice };
  const out: PromptedTemplate[] = [];
  if (o.template !== undefined && o.prompt !== undefined) {
    const image = orThrow(readImage(o.template, read));
    out.push({ image, prompt: orThrow(readPromptFile(o.prompt, image)), source: o.prompt });
  }
  if (o.templates !== undefined) {
    const want = o.ensemble === undefined ? undefined : Math.max(0, o.ensemble - out.length);
    const listed = orThrow(readTemplatesFile(o.templates, read, want));
    if (want !== undefined && listed.length < want) {
      throw new Error(`segment: --ensemble ${o.ensemble} needs ${want} templates from ${o.templates}, it lists ${listed.length}`);
    }
    out.push(...listed);
  }
  return out.slice(0, o.ensemble ?? out.length);
}

export async function runSegment(o: SegmentOptions, io: CliIO = processIO): Promise<SegmentedQuery[]> {
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new Error(`segment: --out ${o.out} is a file, expected a folder`);
  const templates = gatherTemplates(o);
  const queries: NamedImage[] = orThrow(readQueries(o.query, { plane: o.plane }));
  warnNonFinite([...templates.map((t) => t.image), ...queries.map((q) => q.image)], io);
  const names = queries.flatMap((q) => [join('masks', `${q.name}.png`), join('overlays', `${q.name}.png`)]);
  const run = new OutputRun({ dir: o.out, manifest: SEGMENT_MANIFEST, command: 'segment', legacyOwned: segmentedBefore });
  try {
    run.checkTargets(names);
    return await segmentInto(run, o, templates, queries, io);
  } finally {
    run.abort(); // nothing left staged if anything failed (a no-op after commit)
  }
}

/** The manifest of a segment run: every file it wrote, and per query its files and confidence. */
export const SEGMENT_MANIFEST = 'segment.json';

/** Output folders of versions that wrote no manifest: a mask with its overlay beside it is a previous run's. */
const segmentedBefore = (dir: string, rel: string): boolean => {
  const m = /^(masks|overlays)[\\/](.+\.png)$/.exec(rel);
  return m !== null && existsSync(join(dir, m[1] === 'masks' ? 'overlays' : 'masks', m[2]));
};

async function segmentInto(run: OutputRun, o: SegmentOptions, templates: PromptedTemplate[], queries: NamedImage[], io: CliIO): Promise<SegmentedQuery[]> {
  const model = await loadSegmenter(o.model, { device: o.device, threads: o.threads, warn: (l) => io.err(l + '\n') });
  let masks;
  try {
    const bar = progress(io, 'segment', queries.length * templates.length, templates.length > 1 ? `predictions (${queries.length} queries × ${templates.length} templates)` : 'queries');
    masks = orThrow(
      await segmentQueries({
        templates,
        queries: queries.map((q) => q.image),
        geometry: model.geometry,
        predict: model.predict,
        batchSize: o.batch ?? 8,
        normalisation: o.window,
        onBatch: (done) => bar.update(done),
      }),
    );
  } finally {
    await model.release();
  }
  // Only now, with every mask computed, is anything written: staged, then moved into place with the manifest last.
  const results = queries.map((q, i): SegmentedQuery => {
    const mask = join('masks', `${q.name}.png`);
    const overlay = join('overlays', `${q.name}.png`);
    run.write(mask, encodeMaskPng(masks[i].mask));
    run.write(overlay, overlayPng(q.image, [{ mask: masks[i].mask, colour: OUTLINE }], o.window));
    return { name: q.name, source: q.image.meta.source, mask: masks[i].mask, confidence: masks[i].confidence, maskFile: join(o.out, mask), overlayFile: join(o.out, overlay) };
  });
  run.commit({ queries: results.map((r) => ({ query: r.name, source: r.source, mask: join('masks', `${r.name}.png`), overlay: join('overlays', `${r.name}.png`), confidence: r.confidence })) });
  return results;
}

export function registerSegment(program: Command, io: CliIO = processIO): void {
  const command = program
    .command('segment')
    .description('segment query images with a prompted template: writes DIR/masks/<query>.png (0/255, the query\'s size) and DIR/overlays/<query>.png (mask outline on the image)')
    .requiredOption('--model <file>', 'compiled One-Prompt model (.onnx)')
    .option('--template <image>', 'template image (PNG, JPEG, NIfTI, DICOM file or series folder)')
    .option('--prompt <json>', 'prompt drawn on the template (click, bbox, doodle or seglab; see docs/prompts.md)')
    .requiredOption('--query <images...>', 'query images; a volume or series gives one query per slice')
    .requiredOption('--out <dir>', 'output folder')
    .option('--ensemble <k>', 'average the probabilities of K prompted templates (the paper uses 50): --template first, then --templates entries', positiveInt)
    .option('--templates <file>', 'prompted templates for the ensemble: [{"image", "prompt"}, ...] (templates.json format)');
  withRuntimeOptions(command, 'model inputs per run');
  withImageOptions(command, 'template volume or series: which slice (default: the middle one)');
  withLimitOptions(command);
  command
    .addHelpText('after', '\nExamples:\n  oneprompt segment --model compiled/oneprompt-default.onnx --template samples/mri/images/axial-066.png \\\n    --prompt samples/mri/prompt.json --query samples/mri/images/axial-046.png --out out/seg\n  oneprompt segment --model M.onnx --templates task/templates.json --ensemble 50 --query scan.nii.gz --out out/vol')
    .action(async (o: SegmentOptions) => {
      const t0 = performance.now();
      const results = await withLimits(o, () => runSegment(o, io));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      io.out(table(['query', 'size', 'foreground', 'confidence'], results.map((r) => [r.name, `${r.mask.width}×${r.mask.height}`, `${((100 * maskArea(r.mask)) / r.mask.data.length).toFixed(1)}%`, r.confidence.toFixed(3)])));
      io.out(`wrote ${results.length} masks to ${join(o.out, 'masks')} and ${results.length} overlays to ${join(o.out, 'overlays')} in ${secs} s`);
    });
}

