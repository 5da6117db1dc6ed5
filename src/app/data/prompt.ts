// The prompt JSON format (docs/prompts.md) for the four prompt types, and its validation against the template
// image. Coordinates are the template's pixel coordinates: (0, 0) is the centre of the top-left pixel and
// (width − 1, height − 1) the centre of the bottom-right one; fractions are allowed. Labels: 1 = foreground,
// 0 = background. Browser-safe: no node imports (file reading lives in prompt-file.ts).
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { clipName, dataError, type DataError, ParseFailure, parseWith } from './errors.js';
import type { Mask } from './image.js';
import { parseJson, type Json } from '../../util/json.js';

export const PROMPT_TYPES = ['click', 'bbox', 'doodle', 'seglab'] as const;
export type PromptType = (typeof PROMPT_TYPES)[number];

/** 1 = foreground, 0 = background. */
export type PointLabel = 0 | 1;

export interface ClickPoint {
  readonly x: number;
  readonly y: number;
  readonly label: PointLabel;
}
export interface ClickPrompt {
  readonly type: 'click';
  readonly points: readonly ClickPoint[];
}
/** [x1, y1, x2, y2]: centres of the top-left and bottom-right pixels inside the box (x1 <= x2, y1 <= y2). */
export interface BoxPrompt {
  readonly type: 'bbox';
  readonly box: readonly [number, number, number, number];
}
export interface DoodleStroke {
  readonly label: PointLabel;
  readonly points: readonly (readonly [number, number])[];
}
export interface DoodlePrompt {
  readonly type: 'doodle';
  readonly strokes: readonly DoodleStroke[];
}
/** As written in JSON: the mask is a file (PNG, or any image readMask understands), relative to the prompt file. */
export interface SegLabSpec {
  readonly type: 'seglab';
  readonly mask: string;
}
/** Ready to encode: the mask itself, the template's size. */
export interface SegLabPrompt {
  readonly type: 'seglab';
  readonly mask: Mask;
}

/** A prompt as written in JSON (a SegLab mask is still a path). */
export type PromptSpec = ClickPrompt | BoxPrompt | DoodlePrompt | SegLabSpec;
/** A prompt validated against its template and ready to encode. */
export type Prompt = ClickPrompt | BoxPrompt | DoodlePrompt | SegLabPrompt;

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

// ---------- structure (JSON → PromptSpec) ----------

const fail = (where: string, message: string): never => {
  throw new ParseFailure(message, where || undefined);
};
const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : typeof v === 'number'
          ? `number ${String(v)}`
          : typeof v === 'string'
            ? `string ${JSON.stringify(clipName(v, 80))}`
            : `${typeof v} ${String(v)}`;

function object(v: unknown, where: string, keys: readonly string[], what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(where, `${what} must be an object, got ${typeName(v)}`);
  for (const k of Object.keys(v)) {
    if (!keys.includes(k))
      fail(where, `unexpected key ${JSON.stringify(clipName(k, 80))} in ${what} (expected ${keys.map((x) => JSON.stringify(x)).join(', ')})`);
  }
  return v as Record<string, unknown>;
}

function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(where, `must be a number, got ${typeName(v)}`);
  return v;
}

function label(v: unknown, where: string): PointLabel {
  if (v === undefined) return 1;
  if (v !== 0 && v !== 1) return fail(where, `label must be 1 (foreground) or 0 (background), got ${typeName(v)}`);
  return v;
}

function array(v: unknown, where: string, what: string): unknown[] {
  if (!Array.isArray(v)) return fail(where, `${what} must be an array, got ${typeName(v)}`);
  return v;
}

function decode(json: unknown): PromptSpec {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('', `a prompt must be a JSON object, got ${typeName(json)}`);
  const t = (json as Record<string, unknown>).type;
  if (t === undefined) return fail('type', `missing "type" (one of ${PROMPT_TYPES.join(', ')})`);
  switch (t) {
    case 'click': {
      const o = object(json, '', ['type', 'points'], 'a click prompt');
      const pts = array(o.points, 'points', '"points"');
      if (pts.length === 0) fail('points', 'a click prompt needs at least one point');
      const points = pts.map((p, i) => {
        const q = object(p, `points[${i}]`, ['x', 'y', 'label'], 'a point');
        return { x: num(q.x, `points[${i}].x`), y: num(q.y, `points[${i}].y`), label: label(q.label, `points[${i}].label`) };
      });
      if (!points.some((p) => p.label === 1)) fail('points', 'a click prompt needs at least one foreground point (label 1)');
      return { type: 'click', points };
    }
    case 'bbox': {
      const o = object(json, '', ['type', 'box'], 'a bbox prompt');
      const b = array(o.box, 'box', '"box"');
      if (b.length !== 4) fail('box', `"box" must be [x1, y1, x2, y2], got ${b.length} numbers`);
      const box = b.map((v, i) => num(v, `box[${i}]`)) as [number, number, number, number];
      if (box[2] < box[0]) fail('box', `x2 (${box[2]}) is left of x1 (${box[0]}); write the top-left corner first`);
      if (box[3] < box[1]) fail('box', `y2 (${box[3]}) is above y1 (${box[1]}); write the top-left corner first`);
      return { type: 'bbox', box };
    }
    case 'doodle': {
      const o = object(json, '', ['type', 'strokes'], 'a doodle prompt');
      const ss = array(o.strokes, 'strokes', '"strokes"');
      if (ss.length === 0) fail('strokes', 'a doodle prompt needs at least one stroke');
      const strokes = ss.map((s, i) => {
        const q = object(s, `strokes[${i}]`, ['label', 'points'], 'a stroke');
        const pts = array(q.points, `strokes[${i}].points`, '"points"');
        if (pts.length === 0) fail(`strokes[${i}].points`, `stroke ${i} is empty`);
        const points = pts.map((p, j) => {
          const w = `strokes[${i}].points[${j}]`;
          const pair = array(p, w, 'a stroke point');
          if (pair.length !== 2) fail(w, `a stroke point must be [x, y], got ${pair.length} numbers`);
          return [num(pair[0], `${w}[0]`), num(pair[1], `${w}[1]`)] as const;
        });
        return { label: label(q.label, `strokes[${i}].label`), points };
      });
      if (!strokes.some((s) => s.label === 1)) fail('strokes', 'a doodle prompt needs at least one foreground stroke (label 1)');
      return { type: 'doodle', strokes };
    }
    case 'seglab': {
      const o = object(json, '', ['type', 'mask'], 'a seglab prompt');
      if (typeof o.mask !== 'string' || o.mask.trim() === '') return fail('mask', `"mask" must be a file name, got ${typeName(o.mask)}`);
      return { type: 'seglab', mask: o.mask };
    }
    default:
      return fail('type', `unknown prompt type ${typeof t === 'string' ? JSON.stringify(clipName(t, 80)) : typeName(t)} (expected ${PROMPT_TYPES.join(', ')})`);
  }
}

/** Check the structure of an already-parsed JSON value (e.g. an entry of templates.json). */
export const decodePromptSpec = (json: unknown, source: string): E.Either<DataError, PromptSpec> => parseWith(source, () => decode(json));

/** Parse prompt JSON text; syntax errors carry line, column and offset. */
export function parsePromptSpec(text: string, source: string): E.Either<DataError, PromptSpec> {
  return pipe(
    parseJson(text),
    E.mapLeft((e) => dataError(source, `malformed JSON: ${e.message}`, `line ${e.line}, column ${e.column}, offset ${e.offset}`)),
    E.chain((json: Json) => decodePromptSpec(json, source)),
  );
}

// ---------- against the template ----------

const inside = (x: number, y: number, size: ImageSize): boolean => x >= 0 && y >= 0 && x <= size.width - 1 && y <= size.height - 1;

function checkPoint(x: number, y: number, size: ImageSize, where: string): void {
  if (!inside(x, y, size)) {
    fail(where, `point (${x}, ${y}) is outside the ${size.width}×${size.height} template (x in 0..${size.width - 1}, y in 0..${size.height - 1})`);
  }
}

/**
 * Check a prompt against its template's size; a SegLab spec needs its mask (already read), which must have the
 * template's size and at least one foreground pixel.
 */
export function validatePrompt(spec: PromptSpec | Prompt, size: ImageSize, source: string, mask?: Mask): E.Either<DataError, Prompt> {
  return parseWith(source, (): Prompt => {
    switch (spec.type) {
      case 'click':
        spec.points.forEach((p, i) => checkPoint(p.x, p.y, size, `points[${i}]`));
        return spec;
      case 'bbox':
        checkPoint(spec.box[0], spec.box[1], size, 'box[0..1]');
        checkPoint(spec.box[2], spec.box[3], size, 'box[2..3]');
        return spec;
      case 'doodle':
        spec.strokes.forEach((s, i) => s.points.forEach((p, j) => checkPoint(p[0], p[1], size, `strokes[${i}].points[${j}]`)));
        return spec;
      case 'seglab': {
        const m = typeof spec.mask === 'string' ? mask : spec.mask;
        const name = typeof spec.mask === 'string' ? clipName(spec.mask) : 'the mask';
        if (!m) return fail('mask', `the mask ${name} has not been read`);
        if (m.width !== size.width || m.height !== size.height) {
          fail('mask', `mask ${name} is ${m.width}×${m.height}, but the template is ${size.width}×${size.height}`);
        }
        if (!m.data.some((v) => v !== 0)) fail('mask', `mask ${name} has no foreground pixels`);
        return { type: 'seglab', mask: m };
      }
    }
  });
}

/** The JSON form of a prompt; a SegLab prompt needs the file name its mask is (or will be) saved under. */
export function promptToJson(prompt: Prompt | PromptSpec, maskFile?: string): Record<string, unknown> {
  switch (prompt.type) {
    case 'click':
      return { type: 'click', points: prompt.points.map((p) => ({ x: p.x, y: p.y, label: p.label })) };
    case 'bbox':
      return { type: 'bbox', box: [...prompt.box] };
    case 'doodle':
      return { type: 'doodle', strokes: prompt.strokes.map((s) => ({ label: s.label, points: s.points.map((p) => [p[0], p[1]]) })) };
    case 'seglab': {
      const file = typeof prompt.mask === 'string' ? prompt.mask : maskFile;
      if (!file) throw new Error('promptToJson: a SegLab prompt needs the file name of its mask');
      return { type: 'seglab', mask: file };
    }
  }
}
