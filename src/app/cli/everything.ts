// `oneprompt everything`: "segment everything" (paper §4.2, after SAM): the image is its own template, prompted by
// a regular grid of single foreground clicks; each click gives a mask, duplicates (clicks on the same structure)
// are merged, and what is left is written as masks plus one overlay with every outline in its own colour. The
// outputs are one run (src/util/output-run.ts) listed in DIR/masks.json: only files that listing names are ever
// replaced or removed, so pointing --out at a dataset folder loses none of its masks.
import { join, relative } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { orThrow } from '../data/errors.js';
import { maskArea, type GreyImage, type Mask } from '../data/image.js';
import type { Normalisation } from '../data/intensity.js';
import { readImage } from '../data/load.js';
import { encodeMaskPng } from '../data/png.js';
import { parseSliceRef } from '../data/slice-ref.js';
import { OutputRun } from '../../util/output-run.js';
import { imageToInput, itemPlane, logitsToMask } from '../inference/model-inputs.js';
import { oneFileSegmenter, type PromptSegmenter } from '../inference/prompt-segmenter.js';
import { encodePrompt } from '../data/prompt-tensors.js';
import type { ClickPrompt } from '../data/prompt.js';
import type { BatchPredictor as Predictor } from '../inference/prompt-segmenter.js';
import { dedupeMasks } from './dedupe-masks.js';
import { table } from './format.js';
import { processIO, type CliIO } from './io.js';
import {
  fraction,
  positiveInt,
  withImageOptions,
  withLimitOptions,
  withLimits,
  withRuntimeOptions,
  type ImageCliOptions,
  type LimitCliOptions,
  type RuntimeCliOptions,
} from './options.js';
import { overlayPng, palette } from './overlay.js';
import { progress } from './progress.js';
import { maskConfidence } from '../inference/segment-queries.js';
import { describeUsage, loadSegmenter } from '../inference/load-segmenter.js';
import { warnNonFinite } from './non-finite-warning.js';
import { type ModelGeometry } from '../../../graphs/oneprompt/contract.js';
import { DEFAULT_MODEL_FILE } from '../../util/package-root.js';

export interface EverythingOptions extends RuntimeCliOptions, ImageCliOptions, LimitCliOptions {
  readonly model: string;
  readonly image: string;
  readonly out: string;
  readonly grid: number;
  readonly iou: number;
  readonly minArea: number;
}

/** Largest --grid: 64×64 = 4096 clicks, already 64 times the default. */
export const MAX_GRID = 64;
/** The candidate masks (one byte per pixel each) are held together for de-duplication: at most this many bytes. */
export const EVERYTHING_MASK_BUDGET = 512 * 2 ** 20;

const gridSize = (v: string): number => {
  const n = positiveInt(v);
  if (n > MAX_GRID) throw new InvalidArgumentError(`expected at most ${MAX_GRID} (${MAX_GRID}×${MAX_GRID} = ${MAX_GRID ** 2} clicks), got '${v}'`);
  return n;
};

export interface ClickMask {
  readonly click: { readonly x: number; readonly y: number };
  readonly mask: Mask;
  readonly confidence: number;
}

/** N×N clicks at the centres of an N×N grid of cells, in pixel coordinates (pixel centres at integers). */
export function gridClicks(width: number, height: number, n: number): { x: number; y: number }[] {
  const at = (i: number, size: number) => Math.min(size - 1, Math.max(0, ((i + 0.5) * size) / n - 0.5));
  return Array.from({ length: n * n }, (_, k) => ({ x: at(k % n, width), y: at(Math.floor(k / n), height) }));
}

/**
 * One mask per click, the image prompted as its own template; batched. The image is encoded once for all clicks
 * (prompt-segmenter.ts): with an encoder/decoder pair each click costs only the decoder. `model` is the one-file
 * model's forward or a PromptSegmenter.
 */
export async function clickMasks(
  image: GreyImage,
  clicks: readonly { x: number; y: number }[],
  geometry: ModelGeometry,
  model: Predictor | PromptSegmenter,
  batchSize: number,
  how?: Normalisation,
  onBatch?: (done: number, total: number) => void,
): Promise<ClickMask[]> {
  const S = geometry.size;
  const seg = typeof model === 'function' ? oneFileSegmenter(geometry, model) : model;
  const [code] = await seg.encode([imageToInput(image, S, how)]);
  const out: ClickMask[] = [];
  for (let start = 0; start < clicks.length; start += batchSize) {
    const chunk = clicks.slice(start, start + batchSize);
    const items = chunk.map((c) => {
      const prompt: ClickPrompt = { type: 'click', points: [{ x: c.x, y: c.y, label: 1 }] };
      return { query: code, template: code, prompt: orThrow(encodePrompt(prompt, image, geometry, `grid click (${c.x}, ${c.y})`)) };
    });
    const logits = await seg.decode(items);
    chunk.forEach((click, b) => {
      const l = itemPlane(logits, b, S);
      out.push({ click, mask: logitsToMask(l, S, image.width, image.height), confidence: maskConfidence(l) });
    });
    onBatch?.(start + chunk.length, clicks.length);
  }
  return out;
}

export interface EverythingResult {
  readonly clicks: number;
  readonly masks: {
    readonly file: string;
    readonly click: { x: number; y: number };
    readonly confidence: number;
    readonly area: number;
    readonly duplicates: number;
  }[];
  readonly overlayFile: string;
  /** What ran: the encoder/decoder pair or the one-file model, and how much (describeUsage). */
  readonly model: string;
}

export async function runEverything(o: EverythingOptions, io: CliIO = processIO): Promise<EverythingResult> {
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new Error(`everything: --out ${o.out} is a file, expected a folder`);
  // "scan.nii.gz#axial=40" names a volume slice, as for segment's --template.
  const ref = parseSliceRef(o.image, existsSync);
  const image = orThrow(readImage(ref.path, { plane: ref.plane ?? o.plane, slice: ref.slice ?? o.slice }));
  warnNonFinite([image], io);
  const maskBytes = o.grid ** 2 * image.width * image.height;
  if (o.grid > MAX_GRID || maskBytes > EVERYTHING_MASK_BUDGET) {
    throw new Error(
      `everything: --grid ${o.grid} on a ${image.width}×${image.height} image keeps ${o.grid ** 2} masks of ${image.width * image.height} bytes in memory ` +
        `(${(maskBytes / 2 ** 20).toFixed(0)} MiB), over the ${EVERYTHING_MASK_BUDGET / 2 ** 20} MiB budget${o.grid > MAX_GRID ? ` and the ${MAX_GRID} grid limit` : ''}: use a smaller --grid`,
    );
  }
  const model = await loadSegmenter(o.model, { device: o.device, threads: o.threads, warn: (l) => io.err(l + '\n') });
  const clicks = gridClicks(image.width, image.height, o.grid);
  let candidates: ClickMask[];
  let usage: string;
  try {
    const bar = progress(io, 'everything', clicks.length, 'clicks');
    candidates = await clickMasks(image, clicks, model.geometry, model.prompts, o.batch ?? 8, o.window, (done) => bar.update(done));
    usage = describeUsage(model);
  } finally {
    await model.release();
  }
  const minPixels = o.minArea * image.width * image.height;
  const kept = dedupeMasks(
    candidates.filter((c) => maskArea(c.mask) >= Math.max(1, minPixels)),
    o.iou,
  );
  const digits = Math.max(2, String(kept.length - 1).length);
  const run = new OutputRun({ dir: o.out, manifest: 'masks.json', command: 'everything', legacyFiles: listedBefore });
  try {
    const names = kept.map((_, i) => join('masks', `${String(i).padStart(digits, '0')}.png`));
    run.checkTargets([...names, 'overlay.png']);
    const masks = kept.map((k, i) => {
      run.write(names[i], encodeMaskPng(k.candidate.mask));
      return { file: join(o.out, names[i]), click: k.candidate.click, confidence: k.candidate.confidence, area: k.area, duplicates: k.duplicates };
    });
    const colours = palette(kept.length);
    // Most confident last, so its outline is on top.
    run.write('overlay.png', overlayPng(image, kept.map((k, i) => ({ mask: k.candidate.mask, colour: colours[i] })).reverse(), o.window));
    // The listing names files relative to DIR, so the folder can be moved; it is the run's manifest, written last.
    const listing = {
      image: o.image,
      width: image.width,
      height: image.height,
      grid: o.grid,
      iou: o.iou,
      clicks: clicks.length,
      overlay: 'overlay.png',
      masks: masks.map((m) => ({ ...m, file: relative(o.out, m.file) })),
    };
    run.commit(listing);
    return { clicks: clicks.length, masks, overlayFile: join(o.out, 'overlay.png'), model: usage };
  } finally {
    run.abort();
  }
}

/** masks.json of a version that did not list its files: its masks and overlay are what it wrote. */
const listedBefore = (json: Record<string, unknown>): string[] | undefined => {
  const masks = json.masks;
  if (!Array.isArray(masks) || typeof json.overlay !== 'string') return undefined;
  const files = masks.map((m) => (m as { file?: unknown })?.file);
  return files.every((f): f is string => typeof f === 'string') ? [...files, json.overlay] : undefined;
};

export function registerEverything(program: Command, io: CliIO = processIO): void {
  const command = program
    .command('everything')
    .description(
      '"segment everything": prompt the image with a grid of foreground clicks (as its own template), merge duplicate masks; writes DIR/masks/NN.png, DIR/overlay.png and DIR/masks.json',
    )
    .option(
      '--model <file>',
      'compiled One-Prompt model (.onnx; default: the trained model shipped with oneprompt); its encoder/decoder pair beside it (NAME.encoder.onnx, NAME.decoder.onnx from compile --split) runs instead when present, encoding each image once',
    )
    .requiredOption('--image <file>', 'the image (PNG, JPEG, NIfTI, DICOM file or series folder); a volume slice as scan.nii.gz#axial=40')
    .requiredOption('--out <dir>', 'output folder')
    .option('--grid <n>', `N×N clicks, N up to ${MAX_GRID} (the paper reports about 50 masks per image)`, gridSize, 8)
    .option('--iou <x>', 'masks overlapping a more confident one by more than this IoU are duplicates', fraction, 0.7)
    .option('--min-area <fraction>', 'drop masks smaller than this fraction of the image', fraction, 0.001);
  withRuntimeOptions(command, 'clicks per run');
  withImageOptions(command, 'volumes and series: which slice (default: the middle one)');
  withLimitOptions(command);
  command
    .addHelpText('after', '\nExample:\n  oneprompt everything --image slice.png --out out/everything   (the shipped model)')
    .action(async (given: Omit<EverythingOptions, 'model'> & { model?: string }) => {
      const o: EverythingOptions = { ...given, model: given.model ?? DEFAULT_MODEL_FILE };
      const r = await withLimits(o, () => runEverything(o, io));
      io.out(
        table(
          ['mask', 'click', 'confidence', 'area', 'duplicates'],
          r.masks.map((m) => [m.file, `(${m.click.x.toFixed(1)}, ${m.click.y.toFixed(1)})`, m.confidence.toFixed(3), String(m.area), String(m.duplicates)]),
        ),
      );
      io.out(`${r.clicks} clicks → ${r.masks.length} distinct masks in ${join(o.out, 'masks')}; overlay ${r.overlayFile}`);
      io.out(`model: ${r.model}`);
    });
}
