// An image volume and its label map → a multi-task dataset in the dataset layout (src/app/data/dataset.ts): one task
// per structure (label group, label-groups.ts) and plane, its slices as PNG images and masks, and a split held out
// BY STRUCTURE (every plane of a held-out structure) plus, for the training structures, a slab of slices held out
// by position.
//
//   OUT/<structure>-<plane>/images/<plane>-NNN.png   the slice (NNN = slice index in that plane), size × size
//   OUT/<structure>-<plane>/masks/<plane>-NNN.png    the structure in it (0/255)
//   OUT/<structure>-<plane>/task.json                structure, labels, plane, slices, areas
//   OUT/<structure>-<plane>-slab/...                 a training structure's held-out slab of slices
//   OUT/split.json   {"train", "heldout" (structures held out), "heldout_slices" (the slab tasks), "validation"
//                    (structures kept out of training for model selection, when asked for), ...}
//   OUT/dataset.json provenance: the inputs' sha256, every option, per-structure statistics
//
// Geometry. Each slice is cut with the display orientation of the loaders, resampled to square pixels, cropped to
// one square per plane (the union of the image's non-zero voxels and the labels over all slices, plus a margin, so
// that every slice of a plane has the same field of view and scale) and resized to size × size: the image with the
// antialiased bilinear filter, each mask as the share of the pixel the structure covers, kept where ≥ 1/2.
// Intensities are scaled once per volume (0 → its minimum, 1 → its 99.9th percentile) into 8-bit PNGs.
//
// Which slices. A slice counts for a structure when the structure covers ≥ minPixels pixels of it at the output
// size (so that a target is big enough to see: 25 pixels ≈ a 5.6-pixel-wide disc); a structure-plane with fewer
// than minSlices such slices is left out. At most maxSlices slices per task, evenly spaced through the ones that
// count (neighbouring 0.5 mm slices are near copies of each other).
//
// Held-out structures: a fraction f (default 0.2), stratified by size: the structures, largest first, are cut into
// runs of round(1/f) and one per run is drawn with the seed, so held-out structures span all sizes; or a given list.
// Validation structures (optional, a fraction v of the structures that are not held out, drawn the same stratified
// way after the held-out draw, which they leave unchanged): kept out of training like the held-out ones, so that
// models can be chosen on unseen structures without touching the held-out test.
// Held-out slab: for each training structure-plane with at least 2 × minSlices + 2 × SLAB_GAP slices, a contiguous
// run of sliceHoldout of them (at least minSlices... at most maxSlices kept), at a seeded place; the SLAB_GAP
// slices either side of it are used by neither part, so that training never sees the slab's direct neighbours.
//
// Deterministic: the same inputs, options and seed give byte-identical files (no times are written). Node-only.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { dataError, type DataError } from './errors.js';
import type { GreyImage, Mask } from './image.js';
import { hemisphereTargets, regionTargets, type CoarseTarget } from './coarse-targets.js';
import { groupLabels, type Grouping, type LabelGroup } from './label-groups.js';
import { readBytes, readVolume } from './load.js';
import { sliceCount, sliceVolume, type Plane, type Volume } from './nifti.js';
import { encodeGreyPng, encodeMaskPng } from './png.js';
import { resizePlaneBilinear, resizePlaneNearest, squarePixelSize } from './resize.js';
import { DATASET_FILE, DATASET_GENERATOR, type DatasetProvenance, type PlaneStats, type StructureStats } from './dataset-provenance.js';

export interface FromLabelsOptions {
  readonly image: string;
  readonly labels: string;
  readonly out: string;
  /** Planes to cut (default axial). */
  readonly planes?: readonly Plane[];
  /** Output side in pixels (default 128). */
  readonly size?: number;
  /** A slice counts for a structure when it covers at least this many output pixels (default 25). */
  readonly minPixels?: number;
  /** A structure-plane needs at least this many counting slices to be a task (default 4). */
  readonly minSlices?: number;
  /** At most this many slices per task, evenly spaced (default 24). */
  readonly maxSlices?: number;
  readonly grouping?: Grouping;
  /** Held-out structures: a fraction in (0, 1) (default 0.2) or a list of structure names or label values. */
  readonly holdout?: number | readonly string[];
  /**
   * Structures given no task at all, by name or label value: for cutting the same volumes again without what an
   * earlier cut already has (scripts/add-small-structures.ts). Not drawn as held out or validation, not in the large
   * regions. Each must name a structure of the label map.
   */
  readonly exclude?: readonly string[];
  /**
   * Validation structures: a fraction in (0, 1) of the structures that are not held out, drawn (stratified by size)
   * after the held-out draw; kept out of training and out of the large regions like the held-out ones. Default: none.
   */
  readonly validation?: number;
  /** Share of each training structure-plane's slices held out as a slab (default 0.2; 0 for none). */
  readonly sliceHoldout?: number;
  readonly seed?: number;
  /**
   * Large targets trained beside the structures (coarse-targets.ts): the whole brain and each hemisphere, and K
   * regions of neighbouring training structures. Never held out. Default: none.
   */
  readonly coarse?: { readonly hemispheres?: boolean; readonly regions?: number };
  /** Replace a non-empty OUT. */
  readonly force?: boolean;
  /** Progress: called per plane and pass (pass 1 measures, pass 2 writes). */
  readonly onProgress?: (p: { readonly stage: string; readonly done: number; readonly total: number }) => void;
}

export interface FromLabelsResult {
  readonly train: string[];
  readonly heldout: string[];
  readonly heldoutSlices: string[];
  /** Tasks of the validation structures (empty without `validation`). */
  readonly validation: string[];
  readonly structures: StructureStats[];
  /** Structures with no plane reaching minSlices slices of minPixels. */
  readonly tooSmall: number;
  readonly files: number;
}

export const SLAB_GAP = 2;

/** A structure or large target, as label values of its source volume. */
type Target = CoarseTarget;
interface Measured {
  readonly area: number;
  readonly width: number;
}

export const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

interface PlaneGeometry {
  readonly plane: Plane;
  readonly count: number;
  /** Square-pixel slice size. */
  readonly width: number;
  readonly height: number;
  /** Square crop in square-pixel coordinates (may reach outside the slice: padded with 0). */
  readonly x0: number;
  readonly y0: number;
  readonly side: number;
}

/** A slice of a volume at square pixels (bilinear for images, nearest for labels). */
function squareSlice(vol: Volume, plane: Plane, k: number, labels: boolean): GreyImage {
  const s = sliceVolume(vol, plane, k);
  if (E.isLeft(s)) throw new Error(s.left.message);
  const img = s.right;
  const sq = squarePixelSize(img.width, img.height, img.meta.pixelSpacing ?? [1, 1]);
  if (sq.width === img.width && sq.height === img.height) return img;
  const data = labels
    ? resizePlaneNearest(img.data, img.width, img.height, sq.width, sq.height)
    : resizePlaneBilinear(img.data, img.width, img.height, sq.width, sq.height);
  return { width: sq.width, height: sq.height, data };
}

function crop(img: GreyImage, g: PlaneGeometry): Float32Array {
  const out = new Float32Array(g.side * g.side);
  for (let y = 0; y < g.side; y++) {
    const sy = g.y0 + y;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < g.side; x++) {
      const sx = g.x0 + x;
      if (sx >= 0 && sx < img.width) out[y * g.side + x] = img.data[sy * img.width + sx];
    }
  }
  return out;
}

function planeGeometry(image: Volume, labels: Volume, plane: Plane): PlaneGeometry {
  const count = sliceCount(image, plane);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  let width = 0;
  let height = 0;
  for (let k = 0; k < count; k++) {
    const a = squareSlice(image, plane, k, false);
    const b = squareSlice(labels, plane, k, true);
    [width, height] = [a.width, a.height];
    for (let y = 0; y < a.height; y++)
      for (let x = 0; x < a.width; x++) {
        const i = y * a.width + x;
        if (a.data[i] === 0 && b.data[i] === 0) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  }
  if (x1 < 0) return { plane, count, width, height, x0: 0, y0: 0, side: Math.max(width, height) };
  const margin = Math.round(0.04 * Math.max(x1 - x0 + 1, y1 - y0 + 1)) + 1;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1) + 2 * margin;
  return { plane, count, width, height, x0: Math.floor((x0 + x1 + 1 - side) / 2), y0: Math.floor((y0 + y1 + 1 - side) / 2), side };
}

/** Intensity scale of the whole volume: minimum → 0, 99.9th percentile of the non-zero voxels → 1. */
function intensityRange(vol: Volume): [number, number] {
  let lo = Infinity;
  const nonZero: number[] = [];
  for (let i = 0; i < vol.data.length; i++) {
    const v = vol.data[i];
    if (v < lo) lo = v;
    if (v !== 0) nonZero.push(v);
  }
  if (nonZero.length === 0) return [0, 1];
  const sorted = Float32Array.from(nonZero).sort();
  const hi = sorted[Math.min(sorted.length - 1, Math.floor(0.999 * (sorted.length - 1)))];
  return [Math.min(lo, 0), hi > Math.min(lo, 0) ? hi : Math.min(lo, 0) + 1];
}

/** The structure's mask at size × size: where it covers at least half of the output pixel. */
function structureMask(cropped: Float32Array, side: number, labels: ReadonlySet<number>, size: number): Mask {
  const binary = new Float32Array(cropped.length);
  for (let i = 0; i < cropped.length; i++) binary[i] = labels.has(cropped[i]) ? 1 : 0;
  const cover = resizePlaneBilinear(binary, side, side, size, size);
  const data = new Uint8Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = cover[i] >= 0.5 ? 1 : 0;
  return { width: size, height: size, data };
}

/** Widest extent of a mask along x or y, in pixels (how many pixels a target spans). */
function maskWidth(m: Mask): number {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let i = 0; i < m.data.length; i++) {
    if (!m.data[i]) continue;
    const x = i % m.width;
    const y = (i - x) / m.width;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return x1 < 0 ? 0 : Math.min(x1 - x0 + 1, y1 - y0 + 1);
}

/** k indices evenly spaced through 0..n-1 (all of them when k ≥ n). */
export function evenlySpaced(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k <= 1) return [Math.floor((n - 1) / 2)];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** Held-out structures: one per run of round(1/f) structures (largest first), drawn with the seed. */
export function stratifiedHoldout(groups: readonly LabelGroup[], fraction: number, seed: number, label = 'holdout'): Set<string> {
  const run = Math.max(1, Math.round(1 / fraction));
  const rng = mulberry32(hashSeed(seed, label));
  const out = new Set<string>();
  for (let start = 0; start < groups.length; start += run) {
    const chunk = groups.slice(start, start + run);
    // A short last run gets its pick only in proportion to its length.
    if (chunk.length < run && rng() >= chunk.length / run) continue;
    out.add(chunk[Math.min(chunk.length - 1, Math.floor(rng() * chunk.length))].name);
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const sliceFile = (plane: Plane, k: number): string => `${plane}-${String(k).padStart(3, '0')}.png`;

function checkOut(out: string, force: boolean): E.Either<DataError, void> {
  if (!existsSync(out)) return E.right(undefined);
  if (!statSync(out).isDirectory()) return E.left(dataError(out, '--out is a file, expected a folder'));
  if (readdirSync(out).length > 0 && !force) return E.left(dataError(out, 'the folder is not empty; choose a new one or add --force to replace it'));
  return E.right(undefined);
}

function checkOptions(o: FromLabelsOptions): E.Either<DataError, void> {
  const bad = (m: string) => E.left(dataError(o.out, m));
  const int = (v: number | undefined, min: number) => v === undefined || (Number.isInteger(v) && v >= min);
  if (!int(o.size, 8)) return bad(`size must be a whole number ≥ 8, got ${o.size}`);
  if (!int(o.minPixels, 1)) return bad(`min-pixels must be a positive whole number, got ${o.minPixels}`);
  if (!int(o.minSlices, 2)) return bad(`min-slices must be a whole number ≥ 2 (a template and a query), got ${o.minSlices}`);
  if (!int(o.maxSlices, 2)) return bad(`max-slices must be a whole number ≥ 2, got ${o.maxSlices}`);
  if (typeof o.holdout === 'number' && !(o.holdout > 0 && o.holdout < 1))
    return bad(`holdout must be a fraction in (0, 1) or a list of structures, got ${o.holdout}`);
  if (o.validation !== undefined && !(o.validation > 0 && o.validation < 1)) return bad(`validation must be a fraction in (0, 1), got ${o.validation}`);
  if (o.sliceHoldout !== undefined && !(o.sliceHoldout >= 0 && o.sliceHoldout < 1)) return bad(`slice-holdout must be in [0, 1), got ${o.sliceHoldout}`);
  return E.right(undefined);
}

export function datasetFromLabels(o: FromLabelsOptions): E.Either<DataError, FromLabelsResult> {
  const checked = checkOptions(o);
  if (E.isLeft(checked)) return checked;
  const outOk = checkOut(o.out, o.force ?? false);
  if (E.isLeft(outOk)) return outOk;
  const image = readVolume(o.image);
  if (E.isLeft(image)) return image;
  const labels = readVolume(o.labels);
  if (E.isLeft(labels)) return labels;
  const [iv, lv] = [image.right, labels.right];
  if (iv.dims.some((d, i) => d !== lv.dims[i]))
    return E.left(dataError(o.labels, `the label volume is ${lv.dims.join('×')}, the image ${iv.dims.join('×')}: they must share one voxel grid`));
  const worst = Math.max(...iv.affine.map((a, i) => Math.abs(a - lv.affine[i])));
  if (worst > 1e-3 * Math.max(1, ...iv.spacing))
    return E.left(
      dataError(
        o.labels,
        `the label volume's voxel-to-world transform differs from the image's (by up to ${worst.toFixed(3)} mm): they must share one voxel grid`,
      ),
    );
  const grouped = groupLabels(lv, o.grouping ?? { kind: 'mirror' });
  if (E.isLeft(grouped)) return grouped;
  const groups = grouped.right;

  const size = o.size ?? 128;
  const minPixels = o.minPixels ?? 25;
  const minSlices = o.minSlices ?? 4;
  const maxSlices = o.maxSlices ?? 24;
  const seed = o.seed ?? 0;
  const sliceHoldout = o.sliceHoldout ?? 0.2;
  const planes = o.planes ?? ['axial'];
  const range = intensityRange(iv);
  const progress = o.onProgress ?? (() => {});
  const geometries = planes.map((p) => planeGeometry(iv, lv, p));

  /**
   * Pass 1: per plane and slice, the area of each target at the output size (targets of one source volume share
   * its slice).
   */
  const measure = (targets: readonly Target[], stage: string): Map<number, Measured>[][] => {
    const areas = geometries.map(() => targets.map(() => new Map<number, Measured>()));
    const sources = [...new Set(targets.map((t) => t.source))];
    geometries.forEach((g, pi) => {
      for (let k = 0; k < g.count; k++) {
        for (const source of sources) {
          const valueTargets = new Map<number, number[]>();
          targets.forEach((t, ti) => t.source === source && t.group.labels.forEach((l) => valueTargets.set(l, [...(valueTargets.get(l) ?? []), ti])));
          const cropped = crop(squareSlice(source, g.plane, k, true), g);
          const present = new Set<number>();
          for (const v of cropped) if (v !== 0) for (const ti of valueTargets.get(v) ?? []) present.add(ti);
          for (const ti of present) {
            const m = structureMask(cropped, g.side, new Set(targets[ti].group.labels), size);
            let area = 0;
            for (const v of m.data) area += v;
            if (area >= minPixels) areas[pi][ti].set(k, { area, width: maskWidth(m) });
          }
        }
        progress({ stage: `${stage} ${g.plane}`, done: k + 1, total: g.count });
      }
    });
    return areas;
  };
  const atlas: Target[] = groups.map((group) => ({ group, source: lv }));
  const atlasAreas = measure(atlas, 'measure');

  // Tasks: structure-planes with enough slices, less the excluded; then the held-out structures among them.
  /** The structure `want` names, by name or label value (as --holdout and --exclude take them). */
  const named = (want: string) => (g: LabelGroup) => g.name === want || g.labels.some((l) => String(l) === want);
  const excluded = new Set<string>();
  for (const want of o.exclude ?? []) {
    const g = groups.find(named(want));
    if (!g) return E.left(dataError(o.labels, `exclude: no structure is named or labelled ${JSON.stringify(want)}`));
    excluded.add(g.name);
  }
  const usable = groups.filter((g, gi) => !excluded.has(g.name) && geometries.some((_, pi) => atlasAreas[pi][gi].size >= minSlices));
  if (usable.length === 0)
    return E.left(
      dataError(
        o.labels,
        `no structure${excluded.size ? ' outside exclude' : ''} has ${minSlices} slices covering ≥ ${minPixels} pixels at ${size}×${size}: lower --min-pixels or --min-slices, or raise --size`,
      ),
    );
  let heldOut: Set<string>;
  if (Array.isArray(o.holdout)) {
    heldOut = new Set();
    for (const want of o.holdout as readonly string[]) {
      const g = usable.find(named(want));
      if (!g)
        return E.left(
          dataError(
            o.labels,
            `--holdout: no usable structure is named or labelled ${JSON.stringify(want)} (usable: structures with ≥ ${minSlices} slices of ≥ ${minPixels} pixels)`,
          ),
        );
      heldOut.add(g.name);
    }
  } else heldOut = stratifiedHoldout(usable, (o.holdout as number | undefined) ?? 0.2, seed);
  // Drawn after (and from outside) the held-out structures, with its own stream: the held-out draw does not move.
  const validation = o.validation
    ? stratifiedHoldout(
        usable.filter((g) => !heldOut.has(g.name)),
        o.validation,
        seed,
        'validation',
      )
    : new Set<string>();
  const keptOut = (name: string) => heldOut.has(name) || validation.has(name);

  // Large targets: regions only from training structures (too small ones included: they are anatomy).
  const coarse: Target[] = [
    ...(o.coarse?.hemispheres ? hemisphereTargets(lv) : []),
    ...(o.coarse?.regions
      ? regionTargets(
          lv,
          groups.filter((g) => !keptOut(g.name) && !excluded.has(g.name)),
          o.coarse.regions,
          seed,
        )
      : []),
  ];
  const coarseAreas = coarse.length ? measure(coarse, 'measure large targets') : geometries.map(() => []);
  const targets: Target[] = [...atlas, ...coarse];
  const areas = geometries.map((_, pi) => [...atlasAreas[pi], ...coarseAreas[pi]]);
  const isCoarse = (ti: number) => ti >= atlas.length;

  interface TaskPlan {
    readonly name: string;
    readonly group: number;
    readonly plane: number;
    readonly slices: number[];
    readonly part: 'train' | 'heldout' | 'validation' | 'slab';
  }
  const plans: TaskPlan[] = [];
  const stats: StructureStats[] = [];
  const chosenTargets = [...usable.map((g) => groups.indexOf(g)), ...coarse.map((_, i) => atlas.length + i)];
  for (const gi of chosenTargets) {
    const g = targets[gi].group;
    const planesStats: Partial<Record<Plane, PlaneStats>> = {};
    geometries.forEach((geo, pi) => {
      const valid = [...areas[pi][gi].keys()].sort((a, b) => a - b);
      if (isCoarse(gi) && valid.length < minSlices) return;
      if (valid.length < minSlices) return;
      const name = `${g.name}-${geo.plane}`;
      let trainIdx = valid;
      let slab: number[] = [];
      const slabLength = Math.max(minSlices, Math.round(sliceHoldout * valid.length));
      if (!keptOut(g.name) && sliceHoldout > 0 && valid.length >= 2 * minSlices + 2 * SLAB_GAP && valid.length - slabLength - 2 * SLAB_GAP >= minSlices) {
        const rng = mulberry32(hashSeed(seed, `slab/${name}`));
        const start = Math.floor(rng() * (valid.length - slabLength + 1));
        slab = valid.slice(start, start + slabLength);
        trainIdx = valid.filter((_, i) => i < start - SLAB_GAP || i >= start + slabLength + SLAB_GAP);
      }
      const pickEven = (xs: number[]) => evenlySpaced(xs.length, maxSlices).map((i) => xs[i]);
      const chosen = pickEven(trainIdx);
      plans.push({ name, group: gi, plane: pi, slices: chosen, part: heldOut.has(g.name) ? 'heldout' : validation.has(g.name) ? 'validation' : 'train' });
      const slabChosen = slab.length ? pickEven(slab) : [];
      if (slabChosen.length) plans.push({ name: `${name}-slab`, group: gi, plane: pi, slices: slabChosen, part: 'slab' });
      const all = [...chosen, ...slabChosen].map((k) => areas[pi][gi].get(k)!);
      planesStats[geo.plane] = {
        task: name,
        slices: chosen.length,
        slabSlices: slabChosen.length,
        medianArea: median(all.map((a) => a.area)),
        medianWidth: median(all.map((a) => a.width)),
      };
    });
    if (Object.keys(planesStats).length)
      stats.push({
        name: g.name,
        labels: g.labels,
        voxels: g.voxels,
        heldOut: heldOut.has(g.name),
        ...(validation.has(g.name) ? { validation: true } : {}),
        ...(isCoarse(gi) ? { coarse: true } : {}),
        planes: planesStats,
      });
  }

  // Pass 2: write into a fresh folder beside OUT, then put it in place (nothing half-written on a crash).
  const tmp = join(dirname(o.out), `.${basename(o.out)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  let files = 0;
  const write = (path: string, bytes: Uint8Array | string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    files++;
  };
  try {
    geometries.forEach((g, pi) => {
      const bySlice = new Map<number, TaskPlan[]>();
      for (const p of plans) if (p.plane === pi) for (const k of p.slices) bySlice.set(k, [...(bySlice.get(k) ?? []), p]);
      const slices = [...bySlice.keys()].sort((a, b) => a - b);
      slices.forEach((k, done) => {
        const img = crop(squareSlice(iv, g.plane, k, false), g);
        const scaled = resizePlaneBilinear(img, g.side, g.side, size, size).map((v) => (v - range[0]) / (range[1] - range[0]));
        const png = encodeGreyPng({ width: size, height: size, data: scaled });
        const cropped = new Map<Volume, Float32Array>();
        for (const p of bySlice.get(k)!) {
          const t = targets[p.group];
          if (!cropped.has(t.source)) cropped.set(t.source, crop(squareSlice(t.source, g.plane, k, true), g));
          write(join(tmp, p.name, 'images', sliceFile(g.plane, k)), png);
          write(join(tmp, p.name, 'masks', sliceFile(g.plane, k)), encodeMaskPng(structureMask(cropped.get(t.source)!, g.side, new Set(t.group.labels), size)));
        }
        progress({ stage: `write ${g.plane}`, done: done + 1, total: slices.length });
      });
    });
    for (const p of plans) {
      const g = targets[p.group].group;
      const a = p.slices.map((k) => areas[p.plane][p.group].get(k)!);
      write(
        join(tmp, p.name, 'task.json'),
        JSON.stringify({
          task: p.name,
          structure: g.name,
          labels: g.labels,
          plane: planes[p.plane],
          part: p.part,
          slices: p.slices,
          areas: a.map((x) => x.area),
          widths: a.map((x) => x.width),
        }) + '\n',
      );
    }
    const result: FromLabelsResult = {
      train: plans
        .filter((p) => p.part === 'train')
        .map((p) => p.name)
        .sort(),
      heldout: plans
        .filter((p) => p.part === 'heldout')
        .map((p) => p.name)
        .sort(),
      heldoutSlices: plans
        .filter((p) => p.part === 'slab')
        .map((p) => p.name)
        .sort(),
      validation: plans
        .filter((p) => p.part === 'validation')
        .map((p) => p.name)
        .sort(),
      structures: stats,
      tooSmall: groups.length - excluded.size - usable.length,
      files: files + 2,
    };
    write(
      join(tmp, 'split.json'),
      JSON.stringify(
        {
          train: result.train,
          heldout: result.heldout,
          heldout_slices: result.heldoutSlices,
          ...(validation.size ? { validation: result.validation } : {}),
          seed,
          size,
        },
        null,
        1,
      ) + '\n',
    );
    const grouping = o.grouping ?? { kind: 'mirror' };
    const provenance: DatasetProvenance = {
      generator: DATASET_GENERATOR,
      inputs: {
        image: { path: o.image, sha256: sha256File(o.image), dims: iv.dims, spacing: iv.spacing },
        labels: { path: o.labels, sha256: sha256File(o.labels), dims: lv.dims },
        ...(grouping.kind === 'file' ? { groups: { path: grouping.path, sha256: createHash('sha256').update(grouping.text).digest('hex') } } : {}),
      },
      options: {
        planes,
        size,
        minPixels,
        minSlices,
        maxSlices,
        grouping: grouping.kind,
        holdout: o.holdout ?? 0.2,
        ...(excluded.size ? { exclude: [...excluded].sort() } : {}),
        ...(o.validation ? { validation: o.validation } : {}),
        sliceHoldout,
        seed,
        slabGap: SLAB_GAP,
        coarse: o.coarse ?? {},
      },
      intensity: { zero: range[0], one: range[1] },
      geometry: geometries.map((g) => ({ plane: g.plane, slices: g.count, crop: { x: g.x0, y: g.y0, side: g.side }, pixelsPerVoxel: size / g.side })),
      counts: {
        labels: new Set(lv.data).size - (lv.data.includes(0) ? 1 : 0),
        structures: groups.length,
        usable: usable.length,
        tooSmall: result.tooSmall,
        ...(excluded.size ? { excluded: excluded.size } : {}),
        heldOutStructures: heldOut.size,
        validationStructures: validation.size,
        largeTargets: coarse.length,
        tasks: {
          train: result.train.length,
          heldout: result.heldout.length,
          heldout_slices: result.heldoutSlices.length,
          validation: result.validation.length,
        },
      },
      structures: stats,
    };
    write(join(tmp, DATASET_FILE), JSON.stringify(provenance, null, 1) + '\n');
    if (existsSync(o.out)) rmSync(o.out, { recursive: true, force: true });
    mkdirSync(dirname(o.out), { recursive: true });
    renameSync(tmp, o.out);
    return E.right(result);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Read a label-name file for --group FILE. */
export function readGrouping(spec: string): E.Either<DataError, Grouping> {
  if (spec === 'labels' || spec === 'mirror') return E.right({ kind: spec });
  const bytes = readBytes(spec);
  if (E.isLeft(bytes)) return E.left({ ...bytes.left, message: `--group: expected labels, mirror or a label-name file; ${bytes.left.message}` });
  return E.right({ kind: 'file', path: spec, text: new TextDecoder().decode(bytes.right) });
}
