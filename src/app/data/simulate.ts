// Simulated prompts from a ground-truth mask, for every prompt type at four quality levels, seeded.
//
// The paper (§4.5) names the levels Low, Medium, High, Oracle (and Human) but leaves the simulation to its
// supplement, which we do not have. Our reading, with sizes relative to the object's equivalent radius
// R = sqrt(area / π) so that the levels mean the same on small and large structures:
//  - Click. Oracle: the point deepest inside the mask (maximum of the distance transform). High: a random point of
//    the inner core (depth >= half the maximum). Medium: any foreground pixel. Low: a pixel in the band of ±R/4
//    around the border, inside or outside: the user clicked on the edge, possibly missing it.
//  - BBox. Oracle: the tight box. High: each side loosened outwards by up to 5 % of the box size (still contains the
//    mask). Medium: each side moved by −5 %…+15 % (mostly loose, may clip). Low: each side by −15 %…+30 % and the
//    whole box shifted by up to 10 %.
//  - Doodle. A foreground "spine" through the interior (the deepest pixel in each of 12 slices along the principal
//    axis, split wherever a segment would leave the mask) and a background stroke around the object at R/4 outside.
//    Oracle: the whole spine + the whole surrounding stroke. High: 70 % of the spine, jitter R/20, half the
//    surrounding stroke. Medium: 50 % of the spine, jitter 15 % R, no background. Low: 30 %, jitter 35 % R.
//  - SegLab. Oracle: the mask itself. High: eroded or dilated by 5 % R. Medium: by 15 % R, then blurred
//    (radius 10 % R) and re-thresholded. Low: by 30 % R, blurred, and shifted by up to 15 % R.
// Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import { boxBlur } from './box-blur.js';
import { dataError, type DataError } from './errors.js';
import { maskArea, type Mask } from './image.js';
import { dilate, erode, insideDistance, outsideDistance } from './distance.js';
import type { BoxPrompt, ClickPrompt, DoodlePrompt, DoodleStroke, Prompt, PromptType, SegLabPrompt } from './prompt.js';

export const QUALITIES = ['low', 'medium', 'high', 'oracle'] as const;
export type Quality = (typeof QUALITIES)[number];

/**
 * The qualities a run draws its simulated prompts from: at least one, each a known level, each once. The one rule the
 * CLI, the training task and the batch provider apply; Left: what is wrong, in words.
 */
export function validateQualities(levels: readonly string[]): E.Either<string, readonly Quality[]> {
  const choose = `choose from ${QUALITIES.join(', ')}`;
  if (levels.length === 0) return E.left(`no prompt quality given; ${choose}`);
  const unknown = levels.find((q) => !(QUALITIES as readonly string[]).includes(q));
  if (unknown !== undefined) return E.left(`unknown prompt quality '${unknown}'; ${choose}`);
  if (new Set(levels).size !== levels.length) return E.left(`each prompt quality once, got ${levels.join(',')}`);
  return E.right(levels as readonly Quality[]);
}

/** Uniform [0, 1) source, e.g. mulberry32(seed) from src/util/rng.ts. */
export type Rng = () => number;

const gaussian = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))];

interface MaskStats {
  readonly area: number;
  readonly radius: number;
  readonly cx: number;
  readonly cy: number;
  readonly box: readonly [number, number, number, number];
  readonly depth: Float32Array;
  readonly maxDepth: number;
}

function stats(mask: Mask): MaskStats {
  const { width: w } = mask;
  let area = 0;
  let sx = 0;
  let sy = 0;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const x = i % w;
    const y = (i - x) / w;
    area++;
    sx += x;
    sy += y;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const depth = insideDistance(mask);
  let maxDepth = 0;
  for (let i = 0; i < depth.length; i++) if (depth[i] > maxDepth) maxDepth = depth[i];
  return { area, radius: Math.sqrt(area / Math.PI), cx: sx / area, cy: sy / area, box: [x0, y0, x1, y1], depth, maxDepth };
}

const pixelsWhere = (n: number, keep: (i: number) => boolean): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep(i)) out.push(i);
  return out;
};

// ---------- click ----------

function simulateClick(mask: Mask, s: MaskStats, q: Quality, rng: Rng): ClickPrompt {
  const w = mask.width;
  const at = (i: number) => ({ x: i % w, y: Math.floor(i / w), label: 1 as const });
  if (q === 'oracle') {
    // Deepest pixel; among equals, the one nearest the centroid (deterministic).
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < s.depth.length; i++) {
      if (s.depth[i] < s.maxDepth) continue;
      const d = ((i % w) - s.cx) ** 2 + (Math.floor(i / w) - s.cy) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    return { type: 'click', points: [at(best)] };
  }
  if (q === 'high')
    return {
      type: 'click',
      points: [
        at(
          pick(
            rng,
            pixelsWhere(s.depth.length, (i) => s.depth[i] >= 0.5 * s.maxDepth),
          ),
        ),
      ],
    };
  if (q === 'medium')
    return {
      type: 'click',
      points: [
        at(
          pick(
            rng,
            pixelsWhere(s.depth.length, (i) => mask.data[i] === 1),
          ),
        ),
      ],
    };
  const band = Math.max(1.5, s.radius / 4);
  const out = outsideDistance(mask);
  const edge = pixelsWhere(mask.data.length, (i) => (mask.data[i] ? s.depth[i] <= band : out[i] <= band));
  return { type: 'click', points: [at(pick(rng, edge))] };
}

// ---------- box ----------

function simulateBox(mask: Mask, s: MaskStats, q: Quality, rng: Rng): BoxPrompt {
  const [x0, y0, x1, y1] = s.box;
  if (q === 'oracle') return { type: 'bbox', box: [x0, y0, x1, y1] };
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const [lo, hi, shift] = q === 'high' ? [0, 0.05, 0] : q === 'medium' ? [-0.05, 0.15, 0] : [-0.15, 0.3, 0.1];
  const dx = uniform(rng, -shift, shift) * bw;
  const dy = uniform(rng, -shift, shift) * bh;
  const clampX = (v: number) => Math.min(mask.width - 1, Math.max(0, Math.round(v)));
  const clampY = (v: number) => Math.min(mask.height - 1, Math.max(0, Math.round(v)));
  // Outward loosening rounds outwards so that "high" boxes always contain the mask.
  let a = clampX(Math.floor(x0 - uniform(rng, lo, hi) * bw + dx));
  let b = clampY(Math.floor(y0 - uniform(rng, lo, hi) * bh + dy));
  let c = clampX(Math.ceil(x1 + uniform(rng, lo, hi) * bw + dx));
  let d = clampY(Math.ceil(y1 + uniform(rng, lo, hi) * bh + dy));
  if (c < a) a = c = Math.round((a + c) / 2);
  if (d < b) b = d = Math.round((b + d) / 2);
  return { type: 'bbox', box: [a, b, c, d] };
}

// ---------- doodle ----------

/** True if the straight segment stays on foreground pixels. */
function segmentInside(mask: Mask, ax: number, ay: number, bx: number, by: number): boolean {
  const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) * 2));
  for (let k = 0; k <= steps; k++) {
    const x = Math.round(ax + ((bx - ax) * k) / steps);
    const y = Math.round(ay + ((by - ay) * k) / steps);
    if (!mask.data[y * mask.width + x]) return false;
  }
  return true;
}

/** Split an ordered point list wherever consecutive points cannot be joined (the test says so). */
function splitPath(points: [number, number][], join: (a: [number, number], b: [number, number]) => boolean): [number, number][][] {
  const out: [number, number][][] = [];
  let cur: [number, number][] = [];
  for (const p of points) {
    if (cur.length && !join(cur[cur.length - 1], p)) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

function spine(mask: Mask, s: MaskStats): [number, number][] {
  const w = mask.width;
  // Principal axis of the foreground.
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const dx = (i % w) - s.cx;
    const dy = Math.floor(i / w) - s.cy;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  const core = pixelsWhere(mask.data.length, (i) => s.depth[i] >= 0.5 * s.maxDepth);
  const t = core.map((i) => ((i % w) - s.cx) * ux + (Math.floor(i / w) - s.cy) * uy);
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const v of t) {
    if (v < tMin) tMin = v;
    if (v > tMax) tMax = v;
  }
  const bins = 12;
  const best: number[] = new Array(bins).fill(-1);
  core.forEach((i, k) => {
    const b = tMax > tMin ? Math.min(bins - 1, Math.floor(((t[k] - tMin) / (tMax - tMin)) * bins)) : 0;
    if (best[b] < 0 || s.depth[i] > s.depth[best[b]]) best[b] = i;
  });
  return best.filter((i) => i >= 0).map((i) => [i % w, Math.floor(i / w)]);
}

function surrounding(mask: Mask, s: MaskStats): [number, number][] {
  const w = mask.width;
  const gap = Math.max(2, s.radius / 4);
  const out = outsideDistance(mask);
  const ring = pixelsWhere(mask.data.length, (i) => !mask.data[i] && Math.abs(out[i] - gap) <= 0.75);
  if (ring.length === 0) return [];
  const angleOf = (i: number) => Math.atan2(Math.floor(i / w) - s.cy, (i % w) - s.cx);
  ring.sort((a, b) => angleOf(a) - angleOf(b));
  const step = Math.max(1, Math.floor(ring.length / 32));
  return ring.filter((_, k) => k % step === 0).map((i) => [i % w, Math.floor(i / w)]);
}

/** A contiguous fraction of a path, starting at a random place. */
function portion(rng: Rng, path: [number, number][], fraction: number): [number, number][] {
  if (fraction >= 1 || path.length <= 1) return path;
  const n = Math.max(1, Math.round(path.length * fraction));
  const start = Math.floor(rng() * (path.length - n + 1));
  return path.slice(start, start + n);
}

const MAX_STROKES = 8;

function simulateDoodle(mask: Mask, s: MaskStats, q: Quality, rng: Rng): DoodlePrompt {
  const cfg = { oracle: [1, 0, 1], high: [0.7, 0.05, 0.5], medium: [0.5, 0.15, 0], low: [0.3, 0.35, 0] }[q];
  const [keep, jitter, background] = cfg;
  const clamp = ([x, y]: [number, number]): [number, number] => [
    Math.min(mask.width - 1, Math.max(0, Math.round(x))),
    Math.min(mask.height - 1, Math.max(0, Math.round(y))),
  ];
  const noisy = (p: [number, number]): [number, number] =>
    jitter > 0 ? clamp([p[0] + gaussian(rng) * jitter * s.radius, p[1] + gaussian(rng) * jitter * s.radius]) : p;
  const fgPath = portion(rng, spine(mask, s), keep).map(noisy);
  // At oracle and high quality every segment stays inside; with heavy jitter the user's line simply crosses over.
  const fg = jitter <= 0.05 ? splitPath(fgPath, (a, b) => segmentInside(mask, a[0], a[1], b[0], b[1])) : [fgPath];
  const strokes: DoodleStroke[] = fg.map((points) => ({ label: 1, points }));
  if (background > 0) {
    const ring = surrounding(mask, s);
    const maxJump = Math.max(3, s.radius);
    const pieces = splitPath(portion(rng, ring, background), (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]) <= maxJump);
    strokes.push(...pieces.map((points) => ({ label: 0 as const, points })));
  }
  // Keep the prompt small: the longest strokes first, foreground always present.
  if (strokes.length > MAX_STROKES) {
    const fgKeep = strokes
      .filter((st) => st.label === 1)
      .sort((a, b) => b.points.length - a.points.length)
      .slice(0, MAX_STROKES / 2);
    const bgKeep = strokes
      .filter((st) => st.label === 0)
      .sort((a, b) => b.points.length - a.points.length)
      .slice(0, MAX_STROKES - fgKeep.length);
    return { type: 'doodle', strokes: [...fgKeep, ...bgKeep] };
  }
  return { type: 'doodle', strokes };
}

// ---------- seglab ----------

function simulateSegLab(mask: Mask, s: MaskStats, q: Quality, rng: Rng): SegLabPrompt {
  if (q === 'oracle') return { type: 'seglab', mask };
  const [amount, blur, shift] = { high: [0.05, 0, 0], medium: [0.15, 0.1, 0], low: [0.3, 0.1, 0.15] }[q];
  const r = amount * s.radius;
  let m = rng() < 0.5 ? erode(mask, r) : dilate(mask, r);
  if (maskArea(m) === 0) m = dilate(mask, r);
  if (blur > 0) {
    const b = boxBlur(Float32Array.from(m.data), m.width, m.height, blur * s.radius);
    m = { width: m.width, height: m.height, data: Uint8Array.from(b, (v) => (v >= 0.5 ? 1 : 0)) };
  }
  if (shift > 0) {
    const dx = Math.round(uniform(rng, -shift, shift) * s.radius);
    const dy = Math.round(uniform(rng, -shift, shift) * s.radius);
    const out = new Uint8Array(m.data.length);
    for (let y = 0; y < m.height; y++)
      for (let x = 0; x < m.width; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sy >= 0 && sx < m.width && sy < m.height) out[y * m.width + x] = m.data[sy * m.width + sx];
      }
    m = { width: m.width, height: m.height, data: out };
  }
  // A degraded mask must still be a prompt: never hand back an empty one.
  return { type: 'seglab', mask: maskArea(m) > 0 ? m : mask };
}

/** A prompt of the given type and quality for the structure in `mask` (in the mask's pixel coordinates). */
export function simulatePrompt(mask: Mask, type: PromptType, quality: Quality, rng: Rng, source = 'mask'): E.Either<DataError, Prompt> {
  if (maskArea(mask) === 0) return E.left(dataError(source, `cannot simulate a ${type} prompt: the mask has no foreground pixels`));
  const s = stats(mask);
  switch (type) {
    case 'click':
      return E.right(simulateClick(mask, s, quality, rng));
    case 'bbox':
      return E.right(simulateBox(mask, s, quality, rng));
    case 'doodle':
      return E.right(simulateDoodle(mask, s, quality, rng));
    case 'seglab':
      return E.right(simulateSegLab(mask, s, quality, rng));
  }
}
