// What the user has drawn on the template, as a list of edits per prompt type (so undo is "drop the last edit"),
// and the prompt those edits make. Pure: the page keeps an EditorState and replaces it on every pointer event.
import * as E from 'fp-ts/lib/Either.js';
import { formatDataError } from '../src/app/data/errors.js';
import { emptyMask, type Mask } from '../src/app/data/image.js';
import { validatePrompt, type ImageSize, type PointLabel, type Prompt, type PromptSpec, type PromptType } from '../src/app/data/prompt.js';
import { paintStroke } from './paint-mask.js';

export type Point = readonly [number, number];

export type Edit =
  | { readonly kind: 'click'; readonly x: number; readonly y: number; readonly label: PointLabel }
  /** Two corners in any order (a drag); normalised to top-left / bottom-right when the prompt is made. */
  | { readonly kind: 'box'; readonly from: Point; readonly to: Point }
  | { readonly kind: 'stroke'; readonly label: PointLabel; readonly points: readonly Point[] }
  | { readonly kind: 'paint'; readonly erase: boolean; readonly radius: number; readonly points: readonly Point[] }
  /** An uploaded mask: replaces whatever was painted before it. */
  | { readonly kind: 'mask'; readonly mask: Mask };

const TYPE_OF: Record<Edit['kind'], PromptType> = { click: 'click', box: 'bbox', stroke: 'doodle', paint: 'seglab', mask: 'seglab' };
export const editType = (e: Edit): PromptType => TYPE_OF[e.kind];

export interface EditorState {
  readonly size: ImageSize;
  /** The prompt type shown and sent to the model: the type of the tool used last. */
  readonly active: PromptType;
  readonly edits: Readonly<Record<PromptType, readonly Edit[]>>;
}

const NO_EDITS: Readonly<Record<PromptType, readonly Edit[]>> = { click: [], bbox: [], doodle: [], seglab: [] };

export const emptyEditor = (size: ImageSize, active: PromptType = 'click'): EditorState => ({ size, active, edits: NO_EDITS });

export const selectType = (s: EditorState, active: PromptType): EditorState => ({ ...s, active });

export function addEdit(s: EditorState, e: Edit): EditorState {
  const t = editType(e);
  return { ...s, active: t, edits: { ...s.edits, [t]: [...s.edits[t], e] } };
}

export const undo = (s: EditorState): EditorState => ({ ...s, edits: { ...s.edits, [s.active]: s.edits[s.active].slice(0, -1) } });

export const clear = (s: EditorState): EditorState => ({ ...s, edits: { ...s.edits, [s.active]: [] } });

export const canUndo = (s: EditorState): boolean => s.edits[s.active].length > 0;

/** Replay SegLab edits into a mask of the template's size. */
export function seglabMask(edits: readonly Edit[], size: ImageSize): Mask {
  let mask = emptyMask(size.width, size.height);
  for (const e of edits) {
    if (e.kind === 'mask') mask = { width: e.mask.width, height: e.mask.height, data: Uint8Array.from(e.mask.data, (v) => (v ? 1 : 0)) };
    else if (e.kind === 'paint') paintStroke(mask, e.points, e.radius, e.erase ? 0 : 1);
  }
  return mask;
}

const clamp = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));

/** The active type's edits as a prompt, checked against the template exactly as a prompt file is on the CLI. */
export function currentPrompt(s: EditorState): E.Either<string, Prompt> {
  const edits = s.edits[s.active];
  const { width, height } = s.size;
  let prompt: Prompt;
  switch (s.active) {
    case 'click':
      prompt = { type: 'click', points: edits.flatMap((e) => (e.kind === 'click' ? [{ x: e.x, y: e.y, label: e.label }] : [])) };
      if (prompt.points.length === 0) return E.left('click on the template: foreground (left tool) or background points');
      if (!prompt.points.some((p) => p.label === 1)) return E.left('add at least one foreground click');
      break;
    case 'bbox': {
      const last = [...edits].reverse().find((e) => e.kind === 'box');
      if (!last || last.kind !== 'box') return E.left('drag a box around the structure on the template');
      const x1 = clamp(Math.min(last.from[0], last.to[0]), width - 1);
      const x2 = clamp(Math.max(last.from[0], last.to[0]), width - 1);
      const y1 = clamp(Math.min(last.from[1], last.to[1]), height - 1);
      const y2 = clamp(Math.max(last.from[1], last.to[1]), height - 1);
      prompt = { type: 'bbox', box: [x1, y1, x2, y2] };
      break;
    }
    case 'doodle': {
      const strokes = edits.flatMap((e) =>
        e.kind === 'stroke' && e.points.length > 0 ? [{ label: e.label, points: e.points.map((p) => [p[0], p[1]] as const) }] : [],
      );
      if (strokes.length === 0) return E.left('doodle over the structure on the template');
      if (!strokes.some((st) => st.label === 1)) return E.left('add at least one foreground stroke');
      prompt = { type: 'doodle', strokes };
      break;
    }
    case 'seglab': {
      const mask = seglabMask(edits, s.size);
      if (!mask.data.some((v) => v !== 0)) return E.left('paint the structure on the template, or upload its mask');
      prompt = { type: 'seglab', mask };
      break;
    }
  }
  return E.mapLeft(formatDataError)(validatePrompt(prompt, s.size, 'the drawn prompt'));
}

/** Edits that reproduce a prompt (a sample's given prompt, or a loaded prompt JSON); SegLab needs its mask read. */
export function editsFromPrompt(p: Prompt | Exclude<PromptSpec, { type: 'seglab' }>): Edit[] {
  switch (p.type) {
    case 'click':
      return p.points.map((q) => ({ kind: 'click', x: q.x, y: q.y, label: q.label }));
    case 'bbox':
      return [{ kind: 'box', from: [p.box[0], p.box[1]], to: [p.box[2], p.box[3]] }];
    case 'doodle':
      return p.strokes.map((st) => ({ kind: 'stroke', label: st.label, points: st.points.map((q) => [q[0], q[1]] as const) }));
    case 'seglab':
      return [{ kind: 'mask', mask: p.mask }];
  }
}

/** Hundredths of a pixel: finer than any pointer, and prompt JSON stays readable. */
const hundredths = (v: number): number => Math.round(v * 100) / 100;

/** Display coordinates on a view of the template → template pixel coordinates (pixel centres at integers). */
export function toTemplatePixel(offsetX: number, offsetY: number, viewWidth: number, viewHeight: number, size: ImageSize): Point {
  return snapToTemplate((offsetX / viewWidth) * size.width - 0.5, (offsetY / viewHeight) * size.height - 0.5, size);
}

/** Pixel coordinates (from a zoomed, panned view) kept inside the template, in hundredths of a pixel. */
export const snapToTemplate = (x: number, y: number, size: ImageSize): Point => [hundredths(clamp(x, size.width - 1)), hundredths(clamp(y, size.height - 1))];
