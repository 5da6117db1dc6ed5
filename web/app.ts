// The browser prompting tool: pick (or load the sample) a template and queries — 2-D images, NIfTI volumes, DICOM
// series — draw a prompt of any of the four types on a template slice, and see the query masks on every slice after
// every change. Volumes scroll (wheel, keys, slider), zoom and pan (volume-view.ts) under a window/level preset;
// a query volume's masks export as a NIfTI label volume in the scan's space, the file `oneprompt segment` writes.
// The model runs in the page (onnxruntime-web, wasm) as encode + decode: each slice is encoded once and kept, so with
// the encoder/decoder pair (`compile --split`, served beside the model) a new prompt costs only the decoder.
// Preprocessing is the CLI's own code (src/app/data/).
import * as E from 'fp-ts/lib/Either.js';
import { formatDataError } from '../src/app/data/errors.js';
import type { Mask } from '../src/app/data/image.js';
import { EncodingCache } from '../src/app/inference/encoding-cache.js';
import { imageToInput, logitsToMask } from '../src/app/inference/model-inputs.js';
import { decodePairs } from '../src/app/inference/segment-queries.js';
import type { Plane } from '../src/app/data/nifti.js';
import { encodePrompt } from '../src/app/data/prompt-tensors.js';
import { decodePromptSpec, promptToJson, validatePrompt, type Prompt, type PromptSpec, type PromptType } from '../src/app/data/prompt.js';
import { displayRange, WINDOW_PRESETS } from './display-window.js';
import { canUndoLast, commit, startHistory, undoLast, type History } from './history.js';
import { decodeMask } from './image-decode.js';
import { maskPngRgba, type Rgb } from './pixels.js';
import { addEdit, currentPrompt, editsFromPrompt, emptyEditor, seglabMask, snapToTemplate, type Edit, type EditorState, type Point } from './prompt-editor.js';
import { loadPairSegmenter, loadSegmenter, type Segmenter } from './segmenter.js';
import { labelVolumeName, labelVolumeNifti, readSources, stackOf, type ImageStack, type PickedFile, type Source } from './stacks.js';
import { pixelToCanvas, type Placement } from './view-transform.js';
import { SliceView } from './volume-view.js';

// ---------- what the server tells us (/tool.json, written by src/app/serve/tool-server.ts) ----------

interface SampleSet {
  readonly name: string;
  readonly template: string;
  readonly queries: readonly string[];
  readonly prompt?: unknown;
}
interface ToolInfo {
  /** The model; `pair`: its encoder and decoder, which the page then runs instead. */
  readonly model: { readonly url: string; readonly name: string; readonly pair?: { readonly encoder: string; readonly decoder: string } };
  readonly samples: readonly SampleSet[];
}

// ---------- state ----------

type Tool = 'click-fg' | 'click-bg' | 'box' | 'doodle-fg' | 'doodle-bg' | 'paint' | 'erase';

interface TemplateView {
  readonly source: Source;
  stack: ImageStack;
  readonly view: SliceView;
}

interface QueryView {
  readonly source: Source;
  stack: ImageStack;
  readonly view: SliceView;
  /** Per slice: the mask, and the run that computed it (stale when older than the latest prompt's run). */
  masks: (Mask | undefined)[];
  runOf: number[];
  readonly label: HTMLElement;
  readonly slider: HTMLInputElement;
  readonly saveLabels?: HTMLButtonElement;
}

const S = {
  segmenter: undefined as Segmenter | undefined,
  modelUrl: undefined as string | undefined,
  plane: 'axial' as Plane,
  window: 'auto',
  template: undefined as TemplateView | undefined,
  queries: [] as QueryView[],
  history: undefined as History<EditorState> | undefined,
  /** The edit being drawn (pointer is down). */
  draft: undefined as Edit | undefined,
  tool: 'click-fg' as Tool,
  opacity: 0.5,
  brush: 4,
  running: false,
  /** Time of the earliest change not yet shown as masks. */
  dirtySince: undefined as number | undefined,
  runs: 0,
  /** Prompt run id: masks carry the run that made them. */
  run: 0,
  lastMs: undefined as number | undefined,
  /** The whole run, every slice of every query volume. */
  allMs: undefined as number | undefined,
  /** The view keys act on: the one under the pointer last. */
  focused: undefined as SliceView | undefined,
  /** Encodings per stack, slice and role (prompt-segmenter.ts), kept across prompts within a budget; new model, new cache. */
  codes: undefined as EncodingCache<unknown> | undefined,
};

const editor = (): EditorState | undefined => S.history?.present;

const FG: Rgb = [46, 204, 113];
const BG: Rgb = [231, 76, 60];
const MASK: Rgb = [255, 200, 0];
/** Longest side of the template view and of each query view, in canvas pixels. */
const TEMPLATE_VIEW = 384;
const QUERY_VIEW = 300;
/** Model inputs per run while masks of a volume are computed. */
const BATCH = 8;
/**
 * Bytes of slice encodings kept across prompts. A pair's query encoding is the encoder's feature maps: 256 KiB a slice
 * for tiny (a 300-slice volume: 75 MiB), 8.1 MiB for small; slices beyond the budget are encoded again on each prompt.
 */
const ENCODING_BUDGET = 512 * 2 ** 20;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: element #${id} is missing`);
  return el as T;
};

// ---------- status and the hook for tests ----------

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

const viewFacts = (v: SliceView) => ({ slice: v.index, count: v.stack.count, zoom: v.state.zoom, panX: v.state.panX, panY: v.state.panY });

/** Read-only facts for end-to-end tests and curious users. */
function publish(state: 'empty' | 'pending' | 'running' | 'ready' | 'waiting'): void {
  document.body.dataset.state = state;
  document.body.dataset.runs = String(S.runs);
  const ed = editor();
  (window as unknown as { __oneprompt: unknown }).__oneprompt = {
    runs: S.runs,
    lastMs: S.lastMs,
    allMs: S.allMs,
    model: S.segmenter
      ? {
          name: S.segmenter.name,
          kind: S.segmenter.kind,
          ...S.segmenter.geometry,
          ...S.segmenter.runtime,
          ...S.segmenter.usage,
          forwards: S.segmenter.usage.forwardItems,
        }
      : undefined,
    plane: S.plane,
    window: S.window,
    template: S.template ? { name: S.template.stack.name, ref: S.template.stack.templateRef(S.template.view.index), ...viewFacts(S.template.view) } : undefined,
    queries: S.queries.map((q) => ({
      name: q.stack.name,
      ...viewFacts(q.view),
      done: q.runOf.filter((r) => r === S.run).length,
      masked: q.masks.filter(Boolean).length,
    })),
    prompt: ed
      ? {
          active: ed.active,
          edits: Object.fromEntries(Object.entries(ed.edits).map(([t, l]) => [t, l.length])),
          canUndo: S.history ? canUndoLast(S.history) : false,
        }
      : undefined,
    tool: S.tool,
  };
}

// ---------- drawing ----------

const colourOf = (label: 0 | 1): string => `rgb(${(label ? FG : BG).join(',')})`;
const rangeOf = (stack: ImageStack): [number, number] => displayRange(S.window, stack.stats);

/** Every prompt type's drawing: the active type's as drawn, the others faded and dashed (they stay visible). */
function drawEdits(ctx: CanvasRenderingContext2D, p: Placement, ed: EditorState): void {
  const at = (q: Point): [number, number] => pixelToCanvas(p, q[0], q[1]);
  for (const type of ['seglab', 'bbox', 'doodle', 'click'] as PromptType[]) {
    const list = ed.edits[type];
    if (!list.length || type === 'seglab') continue;
    const active = type === ed.active;
    ctx.save();
    ctx.globalAlpha = active ? 1 : 0.45;
    ctx.setLineDash(active ? [] : [5, 4]);
    ctx.lineWidth = 2;
    const lastBox = [...list].reverse().find((e) => e.kind === 'box');
    for (const e of list) {
      if (e.kind === 'click') {
        const [x, y] = at([e.x, e.y]);
        ctx.fillStyle = colourOf(e.label);
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.strokeStyle = '#fff';
        ctx.stroke();
      } else if (e.kind === 'box' && e === lastBox) {
        const [x1, y1] = at(e.from);
        const [x2, y2] = at(e.to);
        ctx.strokeStyle = colourOf(1);
        ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
      } else if (e.kind === 'stroke') {
        ctx.strokeStyle = colourOf(e.label);
        ctx.beginPath();
        e.points.forEach((q, i) => (i === 0 ? ctx.moveTo(...at(q)) : ctx.lineTo(...at(q))));
        ctx.stroke();
      }
    }
    ctx.restore();
  }
}

function drawTemplate(): void {
  const t = S.template;
  const base = editor();
  if (!t || !base) return;
  const ed = S.draft ? addEdit(base, S.draft) : base;
  const seglab = ed.edits.seglab.length ? seglabMask(ed.edits.seglab, ed.size) : undefined;
  t.view.render(rangeOf(t.stack), seglab, MASK, ed.active === 'seglab' ? S.opacity : S.opacity * 0.4, (ctx, p) => drawEdits(ctx, p, ed));
  $('prompt-type').textContent = `prompt: ${ed.active}`;
  $('template-slice-label').textContent = t.stack.count > 1 ? `slice ${t.view.index} / ${t.stack.count - 1}` : '';
  const slider = $<HTMLInputElement>('template-slice');
  slider.hidden = t.stack.count < 2;
  slider.max = String(t.stack.count - 1);
  slider.value = String(t.view.index);
  $('template-ref').textContent = `--template ${t.stack.templateRef(t.view.index)}`;
  $<HTMLButtonElement>('undo').disabled = !S.history || !canUndoLast(S.history);
  $<HTMLButtonElement>('download-prompt-mask').disabled = ed.active !== 'seglab';
}

function drawQuery(q: QueryView): void {
  q.view.render(rangeOf(q.stack), q.masks[q.view.index], MASK, S.opacity);
  const count = q.stack.count;
  const done = q.runOf.filter((r) => r === S.run).length;
  q.label.textContent = count > 1 ? `slice ${q.view.index} / ${count - 1}${done < count ? ` (masks ${done}/${count})` : ''}` : '';
  q.slider.value = String(q.view.index);
  if (q.saveLabels) q.saveLabels.disabled = done < count;
}

const drawQueries = (): void => S.queries.forEach(drawQuery);

function makeView(canvas: HTMLCanvasElement, stack: ImageStack, size: number, leftPans: boolean, onSlice: (v: SliceView) => void): SliceView {
  return new SliceView(
    {
      canvas,
      size,
      leftPans,
      onSlice,
      onView: () => {
        drawTemplate();
        drawQueries();
        publish((document.body.dataset.state as 'ready') ?? 'waiting');
      },
      onFocus: (v) => (S.focused = v),
    },
    stack,
  );
}

function buildQueryViews(sources: readonly Source[]): void {
  const box = $('queries');
  box.replaceChildren();
  S.queries = sources.map((source, i) => {
    const stack = stackOf(source, S.plane);
    const fig = document.createElement('figure');
    fig.className = 'query';
    const canvas = document.createElement('canvas');
    canvas.id = `query-canvas-${i}`;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = `query-slice-${i}`;
    slider.min = '0';
    slider.max = String(stack.count - 1);
    slider.hidden = stack.count < 2;
    const cap = document.createElement('figcaption');
    const name = document.createElement('span');
    name.textContent = stack.name;
    const label = document.createElement('span');
    label.id = `query-slice-label-${i}`;
    label.className = 'slice';
    const save = document.createElement('button');
    save.type = 'button';
    let saveLabels: HTMLButtonElement | undefined;
    if (stack.layout) {
      save.id = `download-labels-${i}`;
      save.textContent = 'Save label volume (.nii.gz)';
      save.addEventListener(
        'click',
        guard(() => saveLabelVolume(i)),
      );
      saveLabels = save;
    } else {
      save.id = `download-mask-${i}`;
      save.textContent = 'Save mask PNG';
      save.addEventListener('click', () => saveQueryMask(i));
    }
    cap.append(name, label, save);
    fig.append(canvas, slider, cap);
    box.append(fig);
    const q: QueryView = {
      source,
      stack,
      masks: new Array(stack.count).fill(undefined),
      runOf: new Array(stack.count).fill(-1),
      label,
      slider,
      saveLabels,
      view: undefined as unknown as SliceView,
    };
    (q as { view: SliceView }).view = makeView(canvas, stack, QUERY_VIEW, true, () => {
      drawQuery(q);
      publish((document.body.dataset.state as 'ready') ?? 'waiting');
    });
    slider.addEventListener('input', () => q.view.setIndex(Number(slider.value)));
    return q;
  });
  drawQueries();
}

// ---------- running the model ----------

function promptChanged(): void {
  S.dirtySince ??= performance.now();
  drawTemplate();
  publish('pending');
  void pump();
}

/** Run until the masks show the latest prompt; changes made during a run start the next one at once. */
async function pump(): Promise<void> {
  if (S.running) return;
  let outcome: 'ready' | 'waiting' = 'waiting';
  while (S.dirtySince !== undefined) {
    const since = S.dirtySince;
    S.dirtySince = undefined;
    S.running = true;
    publish('running');
    try {
      const r = await segment(since);
      if (r !== 'superseded') outcome = r;
    } catch (e) {
      outcome = 'waiting';
      status(`segmentation failed: ${(e as Error).message}`, true);
    } finally {
      S.running = false;
    }
  }
  publish(outcome);
}

/** A stable id per image stack, for cache keys (a new plane or new files make new stacks). */
const stackIds = new WeakMap<ImageStack, number>();
let nextStackId = 0;
const stackId = (s: ImageStack): number => {
  let id = stackIds.get(s);
  if (id === undefined) stackIds.set(s, (id = nextStackId++));
  return id;
};

/** Forget encodings of stacks no longer shown (another plane, other files). */
function retainShownEncodings(): void {
  const shown = new Set([S.template?.stack, ...S.queries.map((q) => q.stack)].filter((x): x is ImageStack => x !== undefined).map(stackId));
  S.codes?.retain((k) => shown.has(Number(k.split(':')[0])));
}

async function segment(since: number): Promise<'ready' | 'waiting' | 'superseded'> {
  const t = S.template;
  const base = editor();
  if (!t || !base) return (status('pick a template image (or load the sample)'), 'waiting');
  if (S.queries.length === 0) return (status('pick one or more query images or volumes'), 'waiting');
  if (!S.segmenter && !(await loadDefaultModel())) return 'waiting';
  const seg = S.segmenter!;
  const prompt = currentPrompt(S.draft ? addEdit(base, S.draft) : base);
  if (E.isLeft(prompt)) {
    S.run++;
    for (const q of S.queries) q.masks.fill(undefined);
    drawQueries();
    return (status(prompt.left), 'waiting');
  }
  const tImage = t.view.image();
  const tensors = encodePrompt(prompt.right, tImage, seg.geometry, 'the drawn prompt');
  if (E.isLeft(tensors)) return (status(formatDataError(tensors.left), true), 'waiting');
  const run = ++S.run;
  // While a stroke or box is being drawn only the slices on screen follow it; the rest when the pointer is up.
  const onlyVisible = S.draft !== undefined;
  const jobs: { q: QueryView; i: number }[] = S.queries.map((q) => ({ q, i: q.view.index }));
  if (!onlyVisible) for (const q of S.queries) for (let i = 0; i < q.stack.count; i++) if (i !== q.view.index) jobs.push({ q, i });
  retainShownEncodings();
  // The one inference pipeline (decodePairs, as the CLI's): each slice encoded once and kept across prompts in S.codes.
  const codes = (S.codes ??= new EncodingCache<unknown>(ENCODING_BUDGET, (e) => seg.prompts.bytes(e)));
  const slice = (key: string): { stack: ImageStack; i: number } => {
    const [id, i] = key.split(':').map(Number);
    const stack = [t.stack, ...S.queries.map((q) => q.stack)].find((st) => stackId(st) === id)!;
    return { stack, i };
  };
  const templateKey = `${stackId(t.stack)}:${t.view.index}`;
  let shown = false;
  const outcome = await decodePairs({
    model: seg.prompts,
    plane: (key) => {
      const { stack, i } = slice(key);
      return imageToInput(stack.slice(i), seg.geometry.size);
    },
    jobs: jobs.map(({ q, i }) => ({ query: `${stackId(q.stack)}:${i}`, template: templateKey, prompt: tensors.right })),
    batchSize: BATCH,
    cache: codes,
    // A newer prompt: stop here, pump() starts its run (masks not recomputed yet stay as they were).
    stop: () => S.dirtySince !== undefined,
    onLogits: (k, logits) => {
      const { q, i } = jobs[k];
      const img = q.stack.slice(i);
      q.masks[i] = logitsToMask(logits, seg.geometry.size, img.width, img.height);
      q.runOf[i] = run;
      if (!shown && i === q.view.index) {
        shown = true;
        S.lastMs = performance.now() - since;
      }
    },
    onBatch: (done) => {
      drawQueries();
      const total = S.queries.reduce((a, q) => a + q.stack.count, 0);
      if (jobs.length > S.queries.length) status(`${prompt.right.type} prompt → masks on ${done} / ${total} slices…`);
    },
  });
  if (outcome === 'stopped') return 'superseded';
  if (onlyVisible) return 'waiting';
  S.runs++;
  S.allMs = performance.now() - since;
  const fg = S.queries.map((q) => q.masks.reduce((a, m) => a + (m ? m.data.reduce((x, v) => x + v, 0) : 0), 0));
  const slices = S.queries.reduce((a, q) => a + q.stack.count, 0);
  status(
    `${prompt.right.type} prompt → masks on ${slices} slice(s) of ${S.queries.length} quer${S.queries.length === 1 ? 'y' : 'ies'}: ${S.lastMs!.toFixed(0)} ms to the slices shown, ${S.allMs.toFixed(0)} ms in all (foreground pixels: ${fg.join(', ')})`,
  );
  return 'ready';
}

// ---------- loading ----------

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Load a model (the one-file model or its encoder/decoder pair) and make it the page's. */
async function useModel(name: string, load: () => Promise<E.Either<string, Segmenter>>): Promise<boolean> {
  status(`loading model ${name}…`);
  const seg = await load();
  if (E.isLeft(seg)) return (status(seg.left, true), false);
  await S.segmenter?.release();
  S.segmenter = seg.right;
  S.codes = undefined;
  const g = seg.right.geometry;
  const rt = seg.right.runtime;
  const kind = seg.right.kind === 'pair' ? 'encoder/decoder pair, ' : '';
  $('model-info').textContent =
    `${name}: ${g.size}×${g.size} input, ${g.points} prompt points, ${kind}onnxruntime-web (wasm, ${rt.threads} thread${rt.threads === 1 ? '' : 's'}${rt.worker ? ', in a worker' : ''})`;
  return true;
}

/** The server's model: its encoder/decoder pair when it serves one, else the one-file model. */
async function useServerModel(model: ToolInfo['model']): Promise<boolean> {
  const pair = model.pair;
  const ok = pair
    ? await useModel(model.name, async () => loadPairSegmenter(await fetchBytes(pair.encoder), await fetchBytes(pair.decoder), model.name))
    : await useModel(model.name, async () => loadSegmenter(await fetchBytes(model.url), model.name));
  if (ok) S.modelUrl = model.url;
  return ok;
}

/** Picked model files: one .onnx, or NAME.encoder.onnx and NAME.decoder.onnx (NAME.onnx may come along; the pair is used). */
async function usePickedModel(files: readonly File[]): Promise<boolean> {
  const encoder = files.find((f) => f.name.endsWith('.encoder.onnx'));
  const decoder = files.find((f) => f.name.endsWith('.decoder.onnx'));
  if (encoder || decoder) {
    if (!encoder || !decoder)
      return (
        status(`pick both halves of the pair: ${encoder ? 'no NAME.decoder.onnx' : 'no NAME.encoder.onnx'} among ${files.map((f) => f.name).join(', ')}`, true),
        false
      );
    const stem = (f: File, half: string) => f.name.slice(0, -`.${half}.onnx`.length);
    if (stem(encoder, 'encoder') !== stem(decoder, 'decoder')) return (status(`${encoder.name} and ${decoder.name} are not one model's pair`, true), false);
    const name = `${stem(encoder, 'encoder')}.onnx`;
    return useModel(name, async () => loadPairSegmenter((await fileBytes(encoder)).bytes, (await fileBytes(decoder)).bytes, name));
  }
  if (files.length !== 1) return (status(`pick one model file, or a model's NAME.encoder.onnx and NAME.decoder.onnx (got ${files.length} files)`, true), false);
  return useModel(files[0].name, async () => loadSegmenter((await fileBytes(files[0])).bytes, files[0].name));
}

async function toolInfo(): Promise<ToolInfo> {
  const r = await fetch('/tool.json');
  if (!r.ok) throw new Error(`/tool.json: HTTP ${r.status}`);
  return (await r.json()) as ToolInfo;
}

async function loadDefaultModel(): Promise<boolean> {
  return useServerModel((await toolInfo()).model);
}

async function sourcesOrThrow(files: readonly PickedFile[]): Promise<Source[]> {
  const s = await readSources(files);
  if (E.isLeft(s)) throw new Error(formatDataError(s.left));
  return s.right;
}

function setTemplate(source: Source): void {
  const stack = stackOf(source, S.plane);
  if (S.template) {
    S.template.view.setStack(stack);
    S.template = { source, stack, view: S.template.view };
  } else {
    const view = makeView($<HTMLCanvasElement>('template-canvas'), stack, TEMPLATE_VIEW, false, () => {
      // Another template slice: same prompt, new template image (a volume's slices share their size).
      const t = S.template!;
      const img = t.view.image();
      const ed = editor();
      if (ed && (ed.size.width !== img.width || ed.size.height !== img.height)) S.history = startHistory(emptyEditor(img, ed.active));
      promptChanged();
    });
    S.template = { source, stack, view };
  }
  const img = S.template.view.image();
  S.history = startHistory(emptyEditor({ width: img.width, height: img.height }, editor()?.active ?? 'click'));
  S.draft = undefined;
  $('template-name').textContent = stack.name;
}

const baseName = (url: string): string => decodeURIComponent(url.split('/').pop() ?? url);

async function loadSample(): Promise<void> {
  const info = await toolInfo();
  const set = info.samples[0];
  if (!set) return status('the server has no sample images (see docs/browser.md: --samples)', true);
  if (S.modelUrl !== info.model.url) await useServerModel(info.model);
  status(`loading sample ${set.name}…`);
  const picked = await Promise.all([set.template, ...set.queries].map(async (u) => ({ name: baseName(u), bytes: await fetchBytes(u) })));
  const [template, ...queries] = await sourcesOrThrow(picked);
  setTemplate(template);
  buildQueryViews(queries);
  if (set.prompt !== undefined) await applyGivenPrompt(set.prompt, set.template);
  promptChanged();
}

/** A sample's own prompt (prompt JSON; a SegLab mask path is relative to the template's folder). */
async function applyGivenPrompt(json: unknown, templateUrl: string): Promise<void> {
  const spec = decodePromptSpec(json, 'sample prompt');
  const ed = editor();
  if (E.isLeft(spec) || !ed) return;
  let prompt: Prompt | Exclude<PromptSpec, { type: 'seglab' }>;
  if (spec.right.type === 'seglab') {
    const url = new URL(spec.right.mask, new URL(templateUrl, location.href)).pathname;
    const mask = await decodeMask(await fetchBytes(url), spec.right.mask);
    if (E.isLeft(mask)) return status(formatDataError(mask.left), true);
    const checked = validatePrompt(spec.right, ed.size, 'sample prompt', mask.right);
    if (E.isLeft(checked)) return status(formatDataError(checked.left), true);
    prompt = checked.right;
  } else prompt = spec.right;
  S.history = startHistory(editsFromPrompt(prompt).reduce(addEdit, ed));
  syncTool(S.history.present.active);
}

const fileBytes = async (f: File): Promise<PickedFile> => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });

/** Another plane: volumes are cut again; the template's prompt starts afresh (the slice changed shape). */
function setPlane(plane: Plane): void {
  S.plane = plane;
  if (S.template) setTemplate(S.template.source);
  buildQueryViews(S.queries.map((q) => q.source));
  promptChanged();
}

// ---------- saving ----------

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * Mask → PNG, synchronously (canvas.toDataURL), so a download starts inside the click that asked for it: Chromium
 * may hold back a download that a page starts later, after an await, once it has made several.
 */
function maskPng(m: Mask): Blob {
  const c = document.createElement('canvas');
  c.width = m.width;
  c.height = m.height;
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(maskPngRgba(m)), m.width, m.height), 0, 0);
  const b64 = c.toDataURL('image/png').split(',')[1];
  return new Blob([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], { type: 'image/png' });
}

const stem = (name: string): string => name.replace(/(\.nii)?\.[^.]+$/i, '');

function saveQueryMask(i: number): void {
  const q = S.queries[i];
  const m = q?.masks[q.view.index];
  if (!m) return status('no mask yet: draw a prompt first', true);
  download(maskPng(m), `${stem(q.stack.name)}-mask.png`);
}

/** The label volume of query i (label 1), gzipped: what `segment --query <volume>` writes to volumes/<stem>.nii.gz. */
async function saveLabelVolume(i: number): Promise<void> {
  const q = S.queries[i];
  if (q.runOf.some((r) => r !== S.run)) return status(`${q.stack.name}: masks are still being computed`, true);
  const nifti = labelVolumeNifti(q.stack, q.masks);
  if (E.isLeft(nifti)) return status(nifti.left, true);
  const gz = await new Response(new Blob([nifti.right as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  download(new Blob([gz], { type: 'application/gzip' }), `${labelVolumeName(q.stack)}.gz`);
}

const PROMPT_MASK_FILE = 'prompt-mask.png';

function savePrompt(): void {
  const ed = editor();
  if (!ed) return;
  const p = currentPrompt(ed);
  if (E.isLeft(p)) return status(p.left, true);
  const json = JSON.stringify(promptToJson(p.right, PROMPT_MASK_FILE), null, 1) + '\n';
  download(new Blob([json], { type: 'application/json' }), 'prompt.json');
}

function savePromptMask(): void {
  const ed = editor();
  if (!ed) return;
  const p = currentPrompt(ed);
  if (E.isLeft(p) || p.right.type !== 'seglab') return status('the prompt is not a mask (SegLab) prompt', true);
  download(maskPng(p.right.mask), PROMPT_MASK_FILE);
}

// ---------- editing ----------

function change(next: EditorState): void {
  if (!S.history) return;
  S.history = commit(S.history, next);
  promptChanged();
}

function undoOnce(): void {
  if (!S.history || !canUndoLast(S.history)) return;
  S.history = undoLast(S.history);
  syncTool(S.history.present.active);
  promptChanged();
}

// ---------- pointer input on the template ----------

const TOOL_TYPE: Record<Tool, PromptType> = {
  'click-fg': 'click',
  'click-bg': 'click',
  box: 'bbox',
  'doodle-fg': 'doodle',
  'doodle-bg': 'doodle',
  paint: 'seglab',
  erase: 'seglab',
};
const DEFAULT_TOOL: Record<PromptType, Tool> = { click: 'click-fg', bbox: 'box', doodle: 'doodle-fg', seglab: 'paint' };

function pointerAt(e: PointerEvent): Point {
  const [x, y] = S.template!.view.pixelAt(e);
  return snapToTemplate(x, y, editor()!.size);
}

function onPointerDown(e: PointerEvent): void {
  const ed = editor();
  // Middle button and Shift+drag pan (volume-view.ts).
  if (!ed || !S.template || e.button !== 0 || e.shiftKey) return;
  (e.currentTarget as HTMLCanvasElement).setPointerCapture(e.pointerId);
  const p = pointerAt(e);
  switch (S.tool) {
    case 'click-fg':
    case 'click-bg':
      return change(addEdit(ed, { kind: 'click', x: p[0], y: p[1], label: S.tool === 'click-fg' ? 1 : 0 }));
    case 'box':
      S.draft = { kind: 'box', from: p, to: p };
      break;
    case 'doodle-fg':
    case 'doodle-bg':
      S.draft = { kind: 'stroke', label: S.tool === 'doodle-fg' ? 1 : 0, points: [p] };
      break;
    case 'paint':
    case 'erase':
      S.draft = { kind: 'paint', erase: S.tool === 'erase', radius: S.brush, points: [p] };
      break;
  }
  promptChanged();
}

function onPointerMove(e: PointerEvent): void {
  const d = S.draft;
  if (!d || !editor()) return;
  const p = pointerAt(e);
  if (d.kind === 'box') S.draft = { ...d, to: p };
  else if (d.kind === 'stroke' || d.kind === 'paint') S.draft = { ...d, points: [...d.points, p] };
  promptChanged();
}

function onPointerUp(): void {
  const ed = editor();
  if (!S.draft || !ed) return;
  const d = S.draft;
  S.draft = undefined;
  change(addEdit(ed, d));
}

/** Show a tool of the prompt's type when the type changed without one (a sample's prompt, an upload, Undo). */
function syncTool(type: PromptType): void {
  if (TOOL_TYPE[S.tool] === type) return;
  S.tool = DEFAULT_TOOL[type];
  const radio = document.querySelector<HTMLInputElement>(`input[name=tool][value=${S.tool}]`);
  if (radio) radio.checked = true;
}

// ---------- wiring ----------

const guard =
  <A extends unknown[]>(f: (...a: A) => Promise<void> | void) =>
  (...a: A): void => {
    Promise.resolve()
      .then(() => f(...a))
      .catch((e: unknown) => {
        status((e as Error).message, true);
        publish('waiting');
      });
  };

function wire(): void {
  const canvas = $<HTMLCanvasElement>('template-canvas');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', onPointerUp);

  $('load-sample').addEventListener('click', guard(loadSample));
  $<HTMLInputElement>('template-file').addEventListener(
    'change',
    guard(async (e: Event) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      if (!files.length) return;
      const sources = await sourcesOrThrow(await Promise.all(files.map(fileBytes)));
      if (sources.length !== 1) throw new Error(`pick one template: an image, a volume, or the files of one DICOM series (got ${sources.length})`);
      setTemplate(sources[0]);
      promptChanged();
    }),
  );
  $<HTMLInputElement>('query-files').addEventListener(
    'change',
    guard(async (e: Event) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      buildQueryViews(await sourcesOrThrow(await Promise.all(files.map(fileBytes))));
      promptChanged();
    }),
  );
  $<HTMLInputElement>('model-file').addEventListener(
    'change',
    guard(async (e: Event) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      if (files.length && (await usePickedModel(files))) {
        S.modelUrl = undefined;
        promptChanged();
      }
    }),
  );
  $<HTMLInputElement>('mask-file').addEventListener(
    'change',
    guard(async (e: Event) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      const ed = editor();
      if (!f || !ed) return;
      const mask = await decodeMask((await fileBytes(f)).bytes, f.name);
      if (E.isLeft(mask)) return status(formatDataError(mask.left), true);
      syncTool('seglab');
      change(addEdit(ed, { kind: 'mask', mask: mask.right }));
    }),
  );
  // Choosing a tool changes nothing drawn: the prompt's type follows the next edit made with it.
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=tool]')) {
    r.addEventListener('change', () => {
      S.tool = r.value as Tool;
      publish((document.body.dataset.state as 'ready') ?? 'waiting');
    });
  }
  const planeSelect = $<HTMLSelectElement>('plane');
  planeSelect.addEventListener('change', () => setPlane(planeSelect.value as Plane));
  const windowSelect = $<HTMLSelectElement>('window');
  windowSelect.replaceChildren(...WINDOW_PRESETS.map((p) => Object.assign(document.createElement('option'), { value: p.id, textContent: p.label })));
  windowSelect.addEventListener('change', () => {
    S.window = windowSelect.value;
    drawTemplate();
    drawQueries();
    publish((document.body.dataset.state as 'ready') ?? 'waiting');
  });
  const templateSlider = $<HTMLInputElement>('template-slice');
  templateSlider.addEventListener('input', () => S.template?.view.setIndex(Number(templateSlider.value)));
  $<HTMLInputElement>('brush').addEventListener('input', (e) => (S.brush = Number((e.target as HTMLInputElement).value)));
  $<HTMLInputElement>('opacity').addEventListener('input', (e) => {
    S.opacity = Number((e.target as HTMLInputElement).value) / 100;
    drawQueries();
    drawTemplate();
  });
  $('undo').addEventListener('click', undoOnce);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') return undoOnce();
    const target = e.target as HTMLElement | null;
    if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName) && (target as HTMLInputElement).type !== 'radio') return;
    if (!e.ctrlKey && !e.metaKey && !e.altKey && S.focused?.handleKey(e)) e.preventDefault();
  });
  $('clear').addEventListener('click', () => {
    const ed = editor();
    if (ed) change(emptyEditor(ed.size, ed.active));
  });
  $('download-prompt').addEventListener('click', savePrompt);
  $('download-prompt-mask').addEventListener('click', savePromptMask);
  publish('empty');
}

wire();
