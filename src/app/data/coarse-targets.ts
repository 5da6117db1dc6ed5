// Large targets made from an atlas label map, for training beside its (mostly small) structures: the whole brain,
// each hemisphere, and K regions — compact unions of neighbouring structures.
//
// Why: trained on small structures alone (a median 60 of 16 384 pixels), the pilot of issue 14 collapsed to
// "background everywhere" (logits ≈ −8 on every pixel, docs/brain-data.md). Large targets give the loss a gradient
// from the first step, and left vs right hemisphere on the same image is the simplest task in which only the prompt
// says which one is wanted. These masks overlap the structures (a structure lies inside one hemisphere and one
// region), so each kind is a label volume of its own:
//  - hemispheres: every labelled voxel by its side of the mid-sagittal plane (label-groups.ts midSagittal), the
//    side named from the affine (RAS: world x < 0 is left); "brain" is both;
//  - regions: the structures (groups) given, clustered by k-means (k-means++ start, seeded; 30 Lloyd iterations) on
//    their centroids in mm, weighted by voxels, with the left–right coordinate folded (|x − mid|) so that a region is
//    bilateral like the mirror-paired structures. Only the structures given take part: leaving the held-out ones out
//    keeps every region free of held-out voxels.
// Browser-safe.
import { hashSeed, mulberry32 } from '../../util/rng.js';
import type { LabelGroup } from './label-groups.js';
import { midSagittal } from './label-groups.js';
import type { Volume } from './nifti.js';

/** A target defined as label values of its own volume. */
export interface CoarseTarget {
  readonly group: LabelGroup;
  readonly source: Volume;
}

const withData = (vol: Volume, data: Float32Array, tag: string): Volume => ({ ...vol, source: `${vol.source} (${tag})`, data });

/** Whole brain and both hemispheres of a label volume. */
export function hemisphereTargets(labels: Volume): CoarseTarget[] {
  const mid = midSagittal(labels);
  if (!mid) return [];
  const [nx, ny] = labels.dims;
  // Voxel index increasing along world +x (RAS: towards the right) when the affine's entry is positive.
  const increasingIsRight = labels.affine[mid.axis] > 0;
  const data = new Float32Array(labels.data.length);
  let [left, right] = [0, 0];
  for (let n = 0; n < data.length; n++) {
    if (labels.data[n] === 0) continue;
    const c = [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))][mid.axis];
    const isRight = 2 * c >= mid.twice === increasingIsRight;
    data[n] = isRight ? 2 : 1;
    if (isRight) right++;
    else left++;
  }
  const source = withData(labels, data, 'hemispheres');
  return [
    { group: { name: 'brain', labels: [1, 2], voxels: left + right }, source },
    { group: { name: 'hemisphere-left', labels: [1], voxels: left }, source },
    { group: { name: 'hemisphere-right', labels: [2], voxels: right }, source },
  ];
}

/** K regions of neighbouring structures (see the file comment). */
export function regionTargets(labels: Volume, groups: readonly LabelGroup[], k: number, seed: number): CoarseTarget[] {
  const mid = midSagittal(labels);
  if (!mid || groups.length === 0 || k < 1) return [];
  const [nx, ny] = labels.dims;
  const sums = new Map<number, [number, number, number, number]>();
  for (let n = 0; n < labels.data.length; n++) {
    const l = labels.data[n];
    if (l === 0) continue;
    const ijk = [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))];
    ijk[mid.axis] = Math.abs(ijk[mid.axis] - mid.twice / 2);
    const s = sums.get(l) ?? [0, 0, 0, 0];
    sums.set(l, [s[0] + ijk[0] * labels.spacing[0], s[1] + ijk[1] * labels.spacing[1], s[2] + ijk[2] * labels.spacing[2], s[3] + 1]);
  }
  const points = groups.map((g) => {
    const t = g.labels.reduce(
      (a, l) => {
        const s = sums.get(l) ?? [0, 0, 0, 0];
        return [a[0] + s[0], a[1] + s[1], a[2] + s[2], a[3] + s[3]];
      },
      [0, 0, 0, 0],
    );
    return { x: [t[0] / t[3], t[1] / t[3], t[2] / t[3]], w: t[3] };
  });
  const live = points.map((p, i) => ({ ...p, i })).filter((p) => p.w > 0);
  const kk = Math.min(k, live.length);
  const d2 = (a: number[], b: number[]) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;
  // k-means++: the first centre is the largest structure, then draws in proportion to weight × squared distance.
  const rng = mulberry32(hashSeed(seed, 'regions'));
  const centres: number[][] = [live.reduce((a, b) => (b.w > a.w ? b : a)).x];
  while (centres.length < kk) {
    const score = live.map((p) => p.w * Math.min(...centres.map((c) => d2(p.x, c))));
    const total = score.reduce((a, b) => a + b, 0);
    let r = rng() * total;
    let pick = live.length - 1;
    for (let i = 0; i < live.length; i++) {
      r -= score[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centres.push([...live[pick].x]);
  }
  let assign = live.map(() => 0);
  for (let iter = 0; iter < 30; iter++) {
    assign = live.map((p) => centres.reduce((best, c, j) => (d2(p.x, c) < d2(p.x, centres[best]) ? j : best), 0));
    for (let j = 0; j < kk; j++) {
      const members = live.filter((_, i) => assign[i] === j);
      const w = members.reduce((a, p) => a + p.w, 0);
      if (w > 0) centres[j] = [0, 1, 2].map((d) => members.reduce((a, p) => a + p.x[d] * p.w, 0) / w);
    }
  }
  // Regions by size, largest first, numbered from 1; each a label value of the region volume.
  const clusters = Array.from({ length: kk }, (_, j) => live.filter((_, i) => assign[i] === j).map((p) => groups[p.i]))
    .filter((c) => c.length > 0)
    .sort((a, b) => b.reduce((s, g) => s + g.voxels, 0) - a.reduce((s, g) => s + g.voxels, 0));
  const regionOf = new Map<number, number>();
  clusters.forEach((c, r) => c.forEach((g) => g.labels.forEach((l) => regionOf.set(l, r + 1))));
  const data = Float32Array.from(labels.data, (l) => regionOf.get(l) ?? 0);
  const source = withData(labels, data, 'regions');
  const width = String(clusters.length).length;
  return clusters.map((c, r) => ({
    group: { name: `region-${String(r + 1).padStart(Math.max(2, width), '0')}`, labels: [r + 1], voxels: c.reduce((s, g) => s + g.voxels, 0) },
    source,
  }));
}
