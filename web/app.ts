// The browser prompting tool: pick (or load the sample) template and query images, draw a prompt of any of the
// four types on the template, and see the query masks after every change. The model runs in the page
// (onnxruntime-web, wasm); the server only serves files. Preprocessing is the CLI's own code (src/data/).
import * as E from 'fp-ts/lib/Either.js';
import { formatDataError } from '../src/data/errors.js';
import type { LoadedImage, Mask } from '../src/data/image.js';
import { masksFromLogits, promptedInputs } from '../src/data/prompted-inputs.js';
import { decodePromptSpec, promptToJson, validatePrompt, type Prompt, type PromptSpec, type PromptType } from '../src/data/prompt.js';
import { decodeImage, decodeMask } from './image-decode.js';
import { greyToRgba, maskOverlayRgba, maskPngRgba, type Rgb } from './pixels.js';
import {
  addEdit,
  canUndo,
  clear,
  currentPrompt,
  editsFromPrompt,
  emptyEditor,
  seglabMask,
  toTemplatePixel,
  undo,
  type Edit,
  type EditorState,
  type Point,
} from './prompt-editor.js';
import { loadSegmenter, type Segmenter } from './segmenter.js';

// ---------- what the server tells us (/tool.json, written by src/serve/tool-server.ts) ----------

interface SampleSet {
  readonly name: string;
  readonly template: string;
  readonly queries: readonly string[];
  readonly prompt?: unknown;
}
interface ToolInfo {
  readonly model: { readonly url: string; readonly name: string };
  readonly samples: readonly SampleSet[];
}

// ---------- state ----------

type Tool = 'click-fg' | 'click-bg' | 'box' | 'doodle-fg' | 'doodle-bg' | 'paint' | 'erase';

interface Named {
  readonly name: string;
  readonly image: LoadedImage;
}
interface QueryView extends Named {
  mask?: Mask;
  readonly canvas: HTMLCanvasElement;
}

const S = {
  segmenter: undefined as Segmenter | undefined,
  modelUrl: undefined as string | undefined,
  template: undefined as Named | undefined,
  queries: [] as QueryView[],
  editor: undefined as EditorState | undefined,
  /** The edit being drawn (pointer is down). */
  draft: undefined as Edit | undefined,
  tool: 'click-fg' as Tool,
  opacity: 0.5,
  brush: 4,
  running: false,
  /** Time of the earliest change not yet shown as masks. */
  dirtySince: undefined as number | undefined,
  runs: 0,
  lastMs: undefined as number | undefined,
};

const FG: Rgb = [46, 204, 113];
const BG: Rgb = [231, 76, 60];
const MASK: Rgb = [255, 200, 0];
/** Longest side of the template view and of each query view, in CSS pixels. */
const TEMPLATE_VIEW = 384;
const QUERY_VIEW = 240;

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

/** Read-only facts for end-to-end tests and curious users: runs done, the last prompt→mask time. */
function publish(state: 'empty' | 'pending' | 'running' | 'ready' | 'waiting'): void {
  document.body.dataset.state = state;
  document.body.dataset.runs = String(S.runs);
  (window as unknown as { __oneprompt: unknown }).__oneprompt = {
    runs: S.runs,
    lastMs: S.lastMs,
    model: S.segmenter ? { name: S.segmenter.name, ...S.segmenter.geometry, ...S.segmenter.runtime } : undefined,
    queries: S.queries.map((q) => q.name),
  };
}

// ---------- drawing ----------

function fitCanvas(canvas: HTMLCanvasElement, w: number, h: number, view: number): number {
  const scale = Math.min(view / w, view / h);
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(h * scale));
  return scale;
}

function layer(rgba: Uint8ClampedArray, w: number, h: number): OffscreenCanvas {
  const c = new OffscreenCanvas(w, h);
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  return c;
}

function drawImageWithMask(canvas: HTMLCanvasElement, img: LoadedImage, mask: Mask | undefined, view: number): number {
  const scale = fitCanvas(canvas, img.width, img.height, view);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(layer(greyToRgba(img), img.width, img.height), 0, 0, canvas.width, canvas.height);
  if (mask && S.opacity > 0) ctx.drawImage(layer(maskOverlayRgba(mask, MASK, S.opacity), mask.width, mask.height), 0, 0, canvas.width, canvas.height);
  return scale;
}

const colourOf = (label: 0 | 1): string => `rgb(${(label ? FG : BG).join(',')})`;

function drawTemplate(): void {
  const t = S.template;
  const ed = S.editor;
  const canvas = $<HTMLCanvasElement>('template-canvas');
  if (!t || !ed) return;
  const edits = S.draft ? addEdit(ed, S.draft) : ed;
  const type = edits.active;
  const list = edits.edits[type];
  const scale = drawImageWithMask(canvas, t.image, type === 'seglab' ? seglabMask(list, ed.size) : undefined, TEMPLATE_VIEW);
  const ctx = canvas.getContext('2d')!;
  const at = (p: Point): [number, number] => [(p[0] + 0.5) * scale, (p[1] + 0.5) * scale];
  ctx.lineWidth = 2;
  for (const e of list) {
    if (e.kind === 'click') {
      const [x, y] = at([e.x, e.y]);
      ctx.fillStyle = colourOf(e.label);
      ctx.beginPath();
      ctx.arc(x, y, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    } else if (e.kind === 'box' && e === list[list.length - 1]) {
      const [x1, y1] = at(e.from);
      const [x2, y2] = at(e.to);
      ctx.strokeStyle = colourOf(1);
      ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
    } else if (e.kind === 'stroke') {
      ctx.strokeStyle = colourOf(e.label);
      ctx.beginPath();
      e.points.forEach((p, i) => (i === 0 ? ctx.moveTo(...at(p)) : ctx.lineTo(...at(p))));
      ctx.stroke();
    }
  }
  $('prompt-type').textContent = `prompt: ${type}`;
  syncTool(type);
  $<HTMLButtonElement>('undo').disabled = !canUndo(ed);
  $<HTMLButtonElement>('download-prompt-mask').disabled = type !== 'seglab';
}

function drawQueries(): void {
  for (const q of S.queries) drawImageWithMask(q.canvas, q.image, q.mask, QUERY_VIEW);
}

function buildQueryViews(list: readonly Named[]): void {
  const box = $('queries');
  box.replaceChildren();
  S.queries = list.map((q, i) => {
    const fig = document.createElement('figure');
    fig.className = 'query';
    const canvas = document.createElement('canvas');
    canvas.id = `query-canvas-${i}`;
    const cap = document.createElement('figcaption');
    const name = document.createElement('span');
    name.textContent = q.name;
    const save = document.createElement('button');
    save.type = 'button';
    save.id = `download-mask-${i}`;
    save.textContent = 'Save mask PNG';
    save.addEventListener('click', () => saveQueryMask(i));
    cap.append(name, save);
    fig.append(canvas, cap);
    box.append(fig);
    return { ...q, canvas };
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

/** Run until the masks show the latest prompt; changes made during a run coalesce into the next one. */
async function pump(): Promise<void> {
  if (S.running) return;
  let outcome: 'ready' | 'waiting' = 'waiting';
  while (S.dirtySince !== undefined) {
    const since = S.dirtySince;
    S.dirtySince = undefined;
    S.running = true;
    publish('running');
    try {
      outcome = await segment(since);
    } catch (e) {
      outcome = 'waiting';
      status(`segmentation failed: ${(e as Error).message}`, true);
    } finally {
      S.running = false;
    }
  }
  publish(outcome);
}

async function segment(since: number): Promise<'ready' | 'waiting'> {
  const t = S.template;
  if (!t || !S.editor) return status('pick a template image (or load the sample)'), 'waiting';
  if (S.queries.length === 0) return status('pick one or more query images'), 'waiting';
  if (!S.segmenter && !(await loadDefaultModel())) return 'waiting';
  const seg = S.segmenter!;
  const prompt = currentPrompt(S.draft ? addEdit(S.editor, S.draft) : S.editor);
  if (E.isLeft(prompt)) {
    for (const q of S.queries) q.mask = undefined;
    drawQueries();
    return status(prompt.left), 'waiting';
  }
  const inputs = promptedInputs({ template: t.image, queries: S.queries.map((q) => q.image), prompt: prompt.right }, seg.geometry);
  if (E.isLeft(inputs)) return status(formatDataError(inputs.left), true), 'waiting';
  const logits = await seg.run(inputs.right);
  const masks = masksFromLogits(logits, seg.geometry, S.queries.map((q) => q.image));
  S.queries.forEach((q, i) => (q.mask = masks[i]));
  drawQueries();
  S.runs++;
  S.lastMs = performance.now() - since;
  const area = masks.map((m) => m.data.reduce((a, v) => a + v, 0));
  status(`${prompt.right.type} prompt → ${masks.length} mask(s) in ${S.lastMs.toFixed(0)} ms (foreground pixels: ${area.join(', ')})`);
  return 'ready';
}

// ---------- loading ----------

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function useModel(bytes: Uint8Array, name: string): Promise<boolean> {
  status(`loading model ${name}…`);
  const seg = await loadSegmenter(bytes, name);
  if (E.isLeft(seg)) return status(seg.left, true), false;
  await S.segmenter?.release();
  S.segmenter = seg.right;
  const g = seg.right.geometry;
  const rt = seg.right.runtime;
  $('model-info').textContent = `${name}: ${g.size}×${g.size} input, ${g.points} prompt points, onnxruntime-web (wasm, ${rt.threads} thread${rt.threads === 1 ? '' : 's'}${rt.worker ? ', in a worker' : ''})`;
  return true;
}

async function toolInfo(): Promise<ToolInfo> {
  const r = await fetch('/tool.json');
  if (!r.ok) throw new Error(`/tool.json: HTTP ${r.status}`);
  return (await r.json()) as ToolInfo;
}

async function loadDefaultModel(): Promise<boolean> {
  const info = await toolInfo();
  const ok = await useModel(await fetchBytes(info.model.url), info.model.name);
  if (ok) S.modelUrl = info.model.url;
  return ok;
}

async function decodeOrThrow(bytes: Uint8Array, name: string): Promise<LoadedImage> {
  const img = await decodeImage(bytes, name);
  if (E.isLeft(img)) throw new Error(formatDataError(img.left));
  return img.right;
}

function setTemplate(t: Named): void {
  S.template = t;
  S.editor = emptyEditor({ width: t.image.width, height: t.image.height }, S.editor?.active ?? 'click');
  S.draft = undefined;
  $('template-name').textContent = t.name;
}

const baseName = (url: string): string => decodeURIComponent(url.split('/').pop() ?? url);

async function loadSample(): Promise<void> {
  const info = await toolInfo();
  const set = info.samples[0];
  if (!set) return status('the server has no sample images (see docs/browser.md: --samples)', true);
  if (S.modelUrl !== info.model.url && (await useModel(await fetchBytes(info.model.url), info.model.name))) S.modelUrl = info.model.url;
  status(`loading sample ${set.name}…`);
  const [template, ...queries] = await Promise.all([set.template, ...set.queries].map(async (u) => ({ name: baseName(u), image: await decodeOrThrow(await fetchBytes(u), baseName(u)) })));
  setTemplate(template);
  buildQueryViews(queries);
  if (set.prompt !== undefined) await applyGivenPrompt(set.prompt, set.template);
  promptChanged();
}

/** A sample's own prompt (prompt JSON; a SegLab mask path is relative to the template's folder). */
async function applyGivenPrompt(json: unknown, templateUrl: string): Promise<void> {
  const spec = decodePromptSpec(json, 'sample prompt');
  if (E.isLeft(spec) || !S.editor) return;
  let prompt: Prompt | Exclude<PromptSpec, { type: 'seglab' }>;
  if (spec.right.type === 'seglab') {
    const url = new URL(spec.right.mask, new URL(templateUrl, location.href)).pathname;
    const mask = await decodeMask(await fetchBytes(url), spec.right.mask);
    if (E.isLeft(mask)) return status(formatDataError(mask.left), true);
    const checked = validatePrompt(spec.right, S.editor.size, 'sample prompt', mask.right);
    if (E.isLeft(checked)) return status(formatDataError(checked.left), true);
    prompt = checked.right;
  } else prompt = spec.right;
  S.editor = editsFromPrompt(prompt).reduce(addEdit, S.editor);
}

const fileBytes = async (f: File): Promise<Uint8Array> => new Uint8Array(await f.arrayBuffer());

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
  if (!q?.mask) return status('no mask yet: draw a prompt first', true);
  download(maskPng(q.mask), `${stem(q.name)}-mask.png`);
}

const PROMPT_MASK_FILE = 'prompt-mask.png';

function savePrompt(): void {
  if (!S.editor) return;
  const p = currentPrompt(S.editor);
  if (E.isLeft(p)) return status(p.left, true);
  const json = JSON.stringify(promptToJson(p.right, PROMPT_MASK_FILE), null, 1) + '\n';
  download(new Blob([json], { type: 'application/json' }), 'prompt.json');
}

function savePromptMask(): void {
  if (!S.editor) return;
  const p = currentPrompt(S.editor);
  if (E.isLeft(p) || p.right.type !== 'seglab') return status('the prompt is not a mask (SegLab) prompt', true);
  download(maskPng(p.right.mask), PROMPT_MASK_FILE);
}

// ---------- pointer input on the template ----------

const TOOL_TYPE: Record<Tool, PromptType> = { 'click-fg': 'click', 'click-bg': 'click', box: 'bbox', 'doodle-fg': 'doodle', 'doodle-bg': 'doodle', paint: 'seglab', erase: 'seglab' };
const DEFAULT_TOOL: Record<PromptType, Tool> = { click: 'click-fg', bbox: 'box', doodle: 'doodle-fg', seglab: 'paint' };

function pointerAt(e: PointerEvent): Point {
  const c = e.currentTarget as HTMLCanvasElement;
  const r = c.getBoundingClientRect();
  return toTemplatePixel(e.clientX - r.left, e.clientY - r.top, r.width, r.height, S.editor!.size);
}

function onPointerDown(e: PointerEvent): void {
  if (!S.editor || e.button !== 0) return;
  (e.currentTarget as HTMLCanvasElement).setPointerCapture(e.pointerId);
  const p = pointerAt(e);
  switch (S.tool) {
    case 'click-fg':
    case 'click-bg':
      S.editor = addEdit(S.editor, { kind: 'click', x: p[0], y: p[1], label: S.tool === 'click-fg' ? 1 : 0 });
      return promptChanged();
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
  if (!d || !S.editor) return;
  const p = pointerAt(e);
  if (d.kind === 'box') S.draft = { ...d, to: p };
  else if (d.kind === 'stroke' || d.kind === 'paint') S.draft = { ...d, points: [...d.points, p] };
  promptChanged();
}

function onPointerUp(): void {
  if (!S.draft || !S.editor) return;
  S.editor = addEdit(S.editor, S.draft);
  S.draft = undefined;
  promptChanged();
}

/** Show a tool of the prompt's type when the type changed without one (a sample's prompt, an uploaded mask). */
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
      const f = (e.target as HTMLInputElement).files?.[0];
      if (!f) return;
      setTemplate({ name: f.name, image: await decodeOrThrow(await fileBytes(f), f.name) });
      promptChanged();
    }),
  );
  $<HTMLInputElement>('query-files').addEventListener(
    'change',
    guard(async (e: Event) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      buildQueryViews(await Promise.all(files.map(async (f) => ({ name: f.name, image: await decodeOrThrow(await fileBytes(f), f.name) }))));
      promptChanged();
    }),
  );
  $<HTMLInputElement>('model-file').addEventListener(
    'change',
    guard(async (e: Event) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f && (await useModel(await fileBytes(f), f.name))) {
        S.modelUrl = undefined;
        promptChanged();
      }
    }),
  );
  $<HTMLInputElement>('mask-file').addEventListener(
    'change',
    guard(async (e: Event) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (!f || !S.editor) return;
      const mask = await decodeMask(await fileBytes(f), f.name);
      if (E.isLeft(mask)) return status(formatDataError(mask.left), true);
      S.editor = addEdit(S.editor, { kind: 'mask', mask: mask.right });
      promptChanged();
    }),
  );
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=tool]')) {
    r.addEventListener('change', () => {
      S.tool = r.value as Tool;
      if (S.editor && S.editor.active !== TOOL_TYPE[S.tool]) {
        S.editor = { ...S.editor, active: TOOL_TYPE[S.tool] };
        promptChanged();
      }
    });
  }
  $<HTMLInputElement>('brush').addEventListener('input', (e) => (S.brush = Number((e.target as HTMLInputElement).value)));
  $<HTMLInputElement>('opacity').addEventListener('input', (e) => {
    S.opacity = Number((e.target as HTMLInputElement).value) / 100;
    drawQueries();
    drawTemplate();
  });
  const undoOnce = (): void => {
    if (S.editor && canUndo(S.editor)) {
      S.editor = undo(S.editor);
      promptChanged();
    }
  };
  $('undo').addEventListener('click', undoOnce);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') undoOnce();
  });
  $('clear').addEventListener('click', () => {
    if (!S.editor) return;
    S.editor = clear(S.editor);
    promptChanged();
  });
  $('download-prompt').addEventListener('click', savePrompt);
  $('download-prompt-mask').addEventListener('click', savePromptMask);
  publish('empty');
}

wire();
