// De-duplication of "segment everything" masks: clicks on the same structure give nearly the same mask. Greedy, as
// non-maximum suppression: candidates in order of confidence (then area), each kept unless it overlaps an already
// kept mask by IoU above the threshold, in which case it counts as that mask's duplicate.
import { maskArea, type Mask } from '../data/image.js';
import { overlapCounts } from '../eval/dice.js';

export interface Candidate {
  readonly mask: Mask;
  readonly confidence: number;
}

export interface Kept<T extends Candidate> {
  readonly candidate: T;
  readonly area: number;
  /** Candidates suppressed as duplicates of this one. */
  readonly duplicates: number;
}

/** Intersection over union of two masks of one size; two empty masks count as identical (1). */
export function maskIoU(a: Mask, b: Mask): number {
  const o = overlapCounts(a, b, 'maskIoU');
  const union = o.a + o.b - o.inter;
  return union === 0 ? 1 : o.inter / union;
}

export function dedupeMasks<T extends Candidate>(candidates: readonly T[], iouThreshold: number): Kept<T>[] {
  const ranked = candidates.map((c) => ({ c, area: maskArea(c.mask) })).sort((p, q) => q.c.confidence - p.c.confidence || q.area - p.area);
  const kept: { candidate: T; area: number; duplicates: number }[] = [];
  for (const { c, area } of ranked) {
    const twin = kept.find((k) => maskIoU(k.candidate.mask, c.mask) > iouThreshold);
    if (twin) twin.duplicates++;
    else kept.push({ candidate: c, area, duplicates: 0 });
  }
  return kept;
}
