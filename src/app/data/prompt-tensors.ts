// A validated prompt → the model's prompt inputs, exactly as docs/model-io.md says, plus batching.
// Browser-safe: no node imports (the browser tool reuses this file).
import * as E from 'fp-ts/lib/Either.js';
import { dataError, type DataError } from './errors.js';
import { resizePlaneNearest } from './resize.js';
import { PROMPT_TYPES, type DoodleStroke, type ImageSize, type Prompt, type PromptType } from './prompt.js';
import type { ModelGeometry } from '../../../graphs/oneprompt/contract.js';

export type { ModelGeometry };

/** Role values in prompt_labels. */
export const ROLE = { padding: 0, first: 1, second: 2 } as const;

/** One batch item's prompt tensors: (K, 2), (K), (1, S, S), (4). */
export interface PromptTensors {
  readonly points: Float32Array;
  readonly labels: Float32Array;
  readonly mask: Float32Array;
  readonly type: Float32Array;
}

/** Pixel coordinate → [0, 1] with pixel centres at (i + 0.5) / size. */
export const normaliseCoordinate = (c: number, size: number): number => (c + 0.5) / size;

export const typeOneHot = (t: PromptType): Float32Array => {
  const v = new Float32Array(4);
  v[PROMPT_TYPES.indexOf(t)] = 1;
  return v;
};

export interface RolePoint {
  readonly x: number;
  readonly y: number;
  /** ROLE.first or ROLE.second */
  readonly role: 1 | 2;
}

const strokeLength = (s: DoodleStroke): number => {
  let len = 0;
  for (let i = 1; i < s.points.length; i++) len += Math.hypot(s.points[i][0] - s.points[i - 1][0], s.points[i][1] - s.points[i - 1][1]);
  return len;
};

/** The point at arc length `t` along a stroke. */
function pointAt(s: DoodleStroke, t: number): [number, number] {
  let acc = 0;
  for (let i = 1; i < s.points.length; i++) {
    const [x0, y0] = s.points[i - 1];
    const [x1, y1] = s.points[i];
    const seg = Math.hypot(x1 - x0, y1 - y0);
    if (seg > 0 && acc + seg >= t) {
      const f = (t - acc) / seg;
      return [x0 + f * (x1 - x0), y0 + f * (y1 - y0)];
    }
    acc += seg;
  }
  const last = s.points[s.points.length - 1];
  return [last[0], last[1]];
}

/**
 * Resample doodle strokes to at most `budget` points in total: every non-empty stroke keeps at least one point, the
 * rest are shared in proportion to stroke length (largest remainder), and each stroke's points sit evenly by arc
 * length at (i + 0.5) / m of its length. Foreground strokes → role 1, background → role 2.
 */
export function resampleStrokes(strokes: readonly DoodleStroke[], budget: number): RolePoint[] {
  const live = strokes.filter((s) => s.points.length > 0);
  if (live.length > budget) throw new RangeError(`resampleStrokes: ${live.length} strokes exceed the budget of ${budget} points`);
  const lengths = live.map(strokeLength);
  const total = lengths.reduce((a, b) => a + b, 0);
  const counts = live.map(() => 1);
  if (total > 0) {
    const spare = budget - live.length;
    const exact = lengths.map((l) => (l / total) * spare);
    exact.forEach((e, i) => (counts[i] += Math.floor(e)));
    let left = budget - counts.reduce((a, b) => a + b, 0);
    const order = exact.map((e, i) => ({ r: e - Math.floor(e), i })).sort((a, b) => b.r - a.r || a.i - b.i);
    for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  }
  const out: RolePoint[] = [];
  live.forEach((s, si) => {
    const m = counts[si];
    const role = s.label === 1 ? ROLE.first : ROLE.second;
    for (let i = 0; i < m; i++) {
      const [x, y] = pointAt(s, ((i + 0.5) / m) * lengths[si]);
      out.push({ x, y, role });
    }
  });
  return out;
}

/** The prompt's points with their roles, in template pixel coordinates (SegLab: none). */
export function promptPoints(prompt: Prompt, budget: number): E.Either<string, RolePoint[]> {
  switch (prompt.type) {
    case 'click':
      if (prompt.points.length > budget) return E.left(`${prompt.points.length} click points exceed the model's point budget K = ${budget}`);
      return E.right(prompt.points.map((p) => ({ x: p.x, y: p.y, role: p.label === 1 ? ROLE.first : ROLE.second })));
    case 'bbox':
      if (budget < 2) return E.left(`a box needs 2 points, the model's point budget is K = ${budget}`);
      return E.right([
        { x: prompt.box[0], y: prompt.box[1], role: ROLE.first },
        { x: prompt.box[2], y: prompt.box[3], role: ROLE.second },
      ]);
    case 'doodle': {
      const strokes = prompt.strokes.filter((s) => s.points.length > 0).length;
      if (strokes > budget) return E.left(`${strokes} doodle strokes exceed the model's point budget K = ${budget}`);
      return E.right(resampleStrokes(prompt.strokes, budget));
    }
    case 'seglab':
      return E.right([]);
  }
}

/** Encode one prompt drawn on a template of the given size. */
export function encodePrompt(prompt: Prompt, template: ImageSize, geometry: ModelGeometry, source = 'prompt'): E.Either<DataError, PromptTensors> {
  const { size: S, points: K } = geometry;
  const pts = promptPoints(prompt, K);
  if (E.isLeft(pts)) return E.left(dataError(source, pts.left));
  const points = new Float32Array(K * 2);
  const labels = new Float32Array(K);
  pts.right.forEach((p, i) => {
    points[2 * i] = normaliseCoordinate(p.x, template.width);
    points[2 * i + 1] = normaliseCoordinate(p.y, template.height);
    labels[i] = p.role;
  });
  let mask: Float32Array;
  if (prompt.type === 'seglab') {
    if (prompt.mask.width !== template.width || prompt.mask.height !== template.height) {
      return E.left(dataError(source, `mask is ${prompt.mask.width}×${prompt.mask.height}, but the template is ${template.width}×${template.height}`, 'mask'));
    }
    const small = resizePlaneNearest(prompt.mask.data, template.width, template.height, S, S);
    mask = Float32Array.from(small, (v) => (v ? 1 : 0));
  } else mask = rasterisePrompt(prompt, template, S);
  return E.right({ points, labels, mask, type: typeOneHot(prompt.type) });
}

/**
 * A Click, BBox or Doodle prompt drawn on an S×S plane (docs/model-io.md): +1 where it marks the target (a 3×3 dot per
 * foreground click, the box's interior, foreground strokes), −1 where it marks background (background clicks and
 * strokes), 0 elsewhere. Models with the raster route (config.ts) read it at pixel resolution; the others read
 * `prompt_mask` only for SegLab, so for them it changes nothing.
 */
export function rasterisePrompt(prompt: Exclude<Prompt, { type: 'seglab' }>, template: ImageSize, S: number): Float32Array {
  const out = new Float32Array(S * S);
  // Template pixel → S-grid pixel, pixel centres kept (the points' own normalisation).
  const sx = (x: number) => normaliseCoordinate(x, template.width) * S - 0.5;
  const sy = (y: number) => normaliseCoordinate(y, template.height) * S - 0.5;
  const clampPx = (v: number) => Math.min(S - 1, Math.max(0, Math.round(v)));
  const dot = (x: number, y: number, v: number, r: number) => {
    const cx = clampPx(x);
    const cy = clampPx(y);
    for (let yy = Math.max(0, cy - r); yy <= Math.min(S - 1, cy + r); yy++)
      for (let xx = Math.max(0, cx - r); xx <= Math.min(S - 1, cx + r); xx++) out[yy * S + xx] = v;
  };
  switch (prompt.type) {
    case 'click':
      for (const p of prompt.points) dot(sx(p.x), sy(p.y), p.label === 1 ? 1 : -1, 1);
      break;
    case 'bbox': {
      // Top-left corner first: the prompt's parser requires it, as the point path does.
      const [x0, y0, x1, y1] = [clampPx(sx(prompt.box[0])), clampPx(sy(prompt.box[1])), clampPx(sx(prompt.box[2])), clampPx(sy(prompt.box[3]))];
      for (let y = y0; y <= y1; y++) out.fill(1, y * S + x0, y * S + x1 + 1);
      break;
    }
    case 'doodle':
      for (const stroke of prompt.strokes) {
        const v = stroke.label === 1 ? 1 : -1;
        stroke.points.forEach(([x, y], i) => {
          if (i === 0) return dot(sx(x), sy(y), v, 0);
          // One dot per S-grid pixel along each segment.
          const [px, py] = stroke.points[i - 1];
          const steps = Math.max(1, Math.ceil(Math.hypot(sx(x) - sx(px), sy(y) - sy(py))));
          for (let k = 1; k <= steps; k++) dot(sx(px + ((x - px) * k) / steps), sy(py + ((y - py) * k) / steps), v, 0);
        });
      }
      break;
  }
  return out;
}

/** Stack per-item prompt tensors into the batch inputs (B, K, 2), (B, K), (B, 1, S, S), (B, 4). */
export function stackPrompts(
  items: readonly PromptTensors[],
  geometry: ModelGeometry,
): {
  prompt_points: Float32Array;
  prompt_labels: Float32Array;
  prompt_mask: Float32Array;
  prompt_type: Float32Array;
} {
  const { size: S, points: K } = geometry;
  const B = items.length;
  const out = {
    prompt_points: new Float32Array(B * K * 2),
    prompt_labels: new Float32Array(B * K),
    prompt_mask: new Float32Array(B * S * S),
    prompt_type: new Float32Array(B * 4),
  };
  items.forEach((t, b) => {
    if (t.points.length !== K * 2 || t.mask.length !== S * S) throw new RangeError(`stackPrompts: item ${b} was encoded for another geometry`);
    out.prompt_points.set(t.points, b * K * 2);
    out.prompt_labels.set(t.labels, b * K);
    out.prompt_mask.set(t.mask, b * S * S);
    out.prompt_type.set(t.type, b * 4);
  });
  return out;
}
