// Baseline (b): a classical prompted region-grow on the query. The prompt (drawn on the template) is mapped to the
// query by relative position; seeds come from it (click foreground points, the box centre, doodle foreground
// points, the SegLab mask's interior), and the region grows over 4-connected pixels whose (lightly smoothed,
// min–max normalised) intensity is within k standard deviations of the seed region's mean, closer to it than to the
// background's mean when the prompt gives background (background clicks/strokes, the band around a box or mask),
// and inside the box when given. The seed statistics are measured on the template image at the prompt when it is
// given (that is where the user marked the structure), else on the query at the mapped prompt location.
import { boxBlur } from '../data/box-blur.js';
import type { GreyImage, Mask } from '../data/image.js';
import { normaliseMinMax } from '../data/intensity.js';
import { resizeMask } from '../data/resize.js';
import { dilate, erode } from '../data/distance.js';
import { resampleStrokes } from '../data/prompt-tensors.js';
import type { ImageSize, Prompt } from '../data/prompt.js';

export interface RegionGrowOptions {
  /** Accept pixels within k standard deviations of the seed mean (default 2.5). */
  readonly k?: number;
  /** Lower bound on the seed standard deviation, in normalised intensity (default 0.05). */
  readonly minStd?: number;
  /** Smoothing (box radius in pixels) before growing (default 1). */
  readonly smooth?: number;
}

interface Seeds {
  readonly fg: number[];
  readonly bg: number[];
  readonly box?: readonly [number, number, number, number];
}

/** Pixel indices of the prompt's foreground/background evidence, in query coordinates. */
function seedsFrom(prompt: Prompt, template: ImageSize, query: ImageSize): Seeds {
  const { width: W, height: H } = query;
  const mapX = (x: number) => Math.min(W - 1, Math.max(0, Math.round(((x + 0.5) / template.width) * W - 0.5)));
  const mapY = (y: number) => Math.min(H - 1, Math.max(0, Math.round(((y + 0.5) / template.height) * H - 0.5)));
  const around = (x: number, y: number, r: number): number[] => {
    const out: number[] = [];
    for (let v = Math.max(0, y - r); v <= Math.min(H - 1, y + r); v++) for (let u = Math.max(0, x - r); u <= Math.min(W - 1, x + r); u++) out.push(v * W + u);
    return out;
  };
  const r = Math.max(1, Math.round(Math.min(W, H) / 100));
  switch (prompt.type) {
    case 'click':
      return {
        fg: prompt.points.filter((p) => p.label === 1).flatMap((p) => around(mapX(p.x), mapY(p.y), r)),
        bg: prompt.points.filter((p) => p.label === 0).flatMap((p) => around(mapX(p.x), mapY(p.y), r)),
      };
    case 'doodle': {
      const pts = resampleStrokes(prompt.strokes, 256);
      return {
        fg: pts.filter((p) => p.role === 1).flatMap((p) => around(mapX(p.x), mapY(p.y), 0)),
        bg: pts.filter((p) => p.role === 2).flatMap((p) => around(mapX(p.x), mapY(p.y), 0)),
      };
    }
    case 'bbox': {
      const box = [mapX(prompt.box[0]), mapY(prompt.box[1]), mapX(prompt.box[2]), mapY(prompt.box[3])] as const;
      const cx = Math.round((box[0] + box[2]) / 2);
      const cy = Math.round((box[1] + box[3]) / 2);
      const inner = Math.max(0, Math.round(Math.min(box[2] - box[0], box[3] - box[1]) / 10));
      // Background evidence: the one-pixel frame just outside the box.
      const bg: number[] = [];
      for (let x = box[0] - 1; x <= box[2] + 1; x++) for (const y of [box[1] - 1, box[3] + 1]) if (x >= 0 && x < W && y >= 0 && y < H) bg.push(y * W + x);
      for (let y = box[1]; y <= box[3]; y++) for (const x of [box[0] - 1, box[2] + 1]) if (x >= 0 && x < W) bg.push(y * W + x);
      return { fg: around(cx, cy, inner), bg, box };
    }
    case 'seglab': {
      const m = resizeMask(prompt.mask, W, H);
      const interior = erode(m, 1);
      const core = interior.data.some((v) => v) ? interior : m;
      const ring = dilate(m, Math.max(2, r * 2));
      const fg: number[] = [];
      const bg: number[] = [];
      for (let i = 0; i < m.data.length; i++) {
        if (core.data[i]) fg.push(i);
        else if (ring.data[i] && !m.data[i]) bg.push(i);
      }
      return { fg, bg };
    }
  }
}

const meanStd = (values: Float32Array, idx: readonly number[]): [number, number] => {
  let s = 0;
  for (const i of idx) s += values[i];
  const mean = s / idx.length;
  let v = 0;
  for (const i of idx) v += (values[i] - mean) ** 2;
  return [mean, Math.sqrt(v / idx.length)];
};

export interface RegionGrowInput {
  readonly query: GreyImage;
  readonly prompt: Prompt;
  /** The template image (seed statistics are measured on it), or just its size. */
  readonly template: GreyImage | ImageSize;
}

const isImage = (t: GreyImage | ImageSize): t is GreyImage => (t as GreyImage).data !== undefined;

/** Region-grow segmentation of the query from a prompt drawn on the template. */
export function regionGrow(input: RegionGrowInput, opts: RegionGrowOptions = {}): Mask {
  const { query, prompt, template } = input;
  const { width: W, height: H } = query;
  const smooth = opts.smooth ?? 1;
  const normalised = normaliseMinMax(query);
  const raw = normalised.data;
  const smoothed = (im: GreyImage) => boxBlur(im.data, im.width, im.height, smooth);
  const img = smoothed(normalised);
  const seeds = seedsFrom(prompt, template, query);
  const out = new Uint8Array(W * H);
  if (seeds.fg.length === 0) return { width: W, height: H, data: out };
  const statsImage = isImage(template) ? smoothed(normaliseMinMax(template)) : img;
  const statsSeeds = isImage(template) ? seedsFrom(prompt, template, template) : seeds;
  const [mu, sd] = meanStd(statsImage, statsSeeds.fg);
  const tol = (opts.k ?? 2.5) * Math.max(sd, opts.minStd ?? 0.05);
  const bgMean = statsSeeds.bg.length ? meanStd(statsImage, statsSeeds.bg)[0] : undefined;
  const box = seeds.box;
  const accept = (i: number): boolean => {
    const v = img[i];
    if (Math.abs(v - mu) > tol) return false;
    if (bgMean !== undefined && Math.abs(v - bgMean) < Math.abs(v - mu)) return false;
    if (box) {
      const x = i % W;
      const y = (i - x) / W;
      if (x < box[0] || x > box[2] || y < box[1] || y > box[3]) return false;
    }
    return true;
  };
  const queue = new Int32Array(W * H);
  let head = 0;
  let tail = 0;
  // Start from the seeds that look like the structure; if none does (the prompt's place holds something else in
  // this query), from all of them.
  const passing = seeds.fg.filter(accept);
  for (const s of passing.length ? passing : seeds.fg) {
    if (out[s]) continue;
    out[s] = 1;
    queue[tail++] = s;
  }
  const neighbours = (i: number): number[] => {
    const x = i % W;
    return [x > 0 ? i - 1 : -1, x < W - 1 ? i + 1 : -1, i >= W ? i - W : -1, i < W * (H - 1) ? i + W : -1];
  };
  while (head < tail) {
    const i = queue[head++];
    for (const n of neighbours(i)) {
      if (n < 0 || out[n] || !accept(n)) continue;
      out[n] = 1;
      queue[tail++] = n;
    }
  }
  // Smoothing blurs the structure's outermost pixels into the background; take back the border pixels whose
  // unsmoothed intensity passes the same test.
  const rawAccept = (i: number): boolean => {
    const v = raw[i];
    if (Math.abs(v - mu) > tol) return false;
    if (bgMean !== undefined && Math.abs(v - bgMean) < Math.abs(v - mu)) return false;
    return box === undefined || (i % W >= box[0] && i % W <= box[2] && Math.floor(i / W) >= box[1] && Math.floor(i / W) <= box[3]);
  };
  const border: number[] = [];
  for (let q = 0; q < tail; q++) for (const n of neighbours(queue[q])) if (n >= 0 && !out[n] && rawAccept(n)) border.push(n);
  for (const n of border) out[n] = 1;
  return { width: W, height: H, data: out };
}
