// The query as a second patient (`eval --second-patient F`): each query image and its mask get their own random warp
// and intensity change (the training augmentation of src/app/data/augment.ts, its spatial ranges scaled by F), seeded
// by the task and the image, at the model's S×S. Why: when every slice comes from one head (the INIA19 template), a
// template's mask lies almost where the query's structure lies, so copying it is an answer no second patient would
// allow; warping the query makes template and query differ in anatomy's position and shape as two heads do. The
// template stays as it is; the model, both baselines and the selectivity measurement all see the same warped query.
import { hashSeed, mulberry32 } from '../../util/rng.js';
import { augmentPair, DEFAULT_AUGMENT, scaleWarp } from '../data/augment.js';
import { resizePlaneNearest } from '../data/resize.js';
import type { EvalSample } from './protocol.js';

/** The query sample `i` of `task` as a second patient: its S×S plane and mask warped, its intensities changed. */
export function asSecondPatient(s: EvalSample, size: number, warp: number, seed: number, task: string, i: number): EvalSample {
  const rng = mulberry32(hashSeed(seed, `second-patient/${task}/${i}`));
  const mask = resizePlaneNearest(s.mask.data, s.mask.width, s.mask.height, size, size);
  const a = augmentPair(
    s.plane,
    Uint8Array.from(mask, (v) => (v ? 1 : 0)),
    size,
    rng,
    scaleWarp(DEFAULT_AUGMENT, warp),
  );
  return {
    image: { width: size, height: size, data: a.plane, meta: s.image.meta },
    mask: { width: size, height: size, data: a.mask },
    plane: a.plane,
  };
}

/** Query i of a task as it is scored: as read, or (with `warp`) as a second patient, made once per image. */
export function scoredQueries(read: (i: number) => EvalSample, o: { warp?: number; size: number; seed: number; task: string }): (i: number) => EvalSample {
  if (o.warp === undefined) return read;
  const warp = o.warp;
  const patients = new Map<number, EvalSample>();
  return (i) => {
    let s = patients.get(i);
    if (!s) patients.set(i, (s = asSecondPatient(read(i), o.size, warp, o.seed, o.task, i)));
    return s;
  };
}
