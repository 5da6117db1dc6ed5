// Writing a synthetic multi-task dataset to disk in the dataset layout (src/app/data/dataset.ts):
//   OUT/<task>/images/NNNN.png, OUT/<task>/masks/NNNN.png, OUT/<task>/task.json (the recipe),
//   OUT/split.json {"train": [...], "heldout": [...], "seed", "size", "images"}. Node-only.
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { encodeGreyPng, encodeMaskPng } from './png.js';
import { headTaskSpecs, renderSample, taskSpecs, type TaskSpec } from './synth-render.js';

export * from './synth-render.js';

export interface SynthesizeOptions {
  readonly out: string;
  readonly tasks: number;
  readonly images: number;
  readonly size: number;
  readonly seed: number;
  readonly heldOutFraction?: number;
  /** Head-scene tasks (synth-head.ts) added after the shape tasks, with their own held-out share (default 0). */
  readonly headTasks?: number;
  /** Structures asked for per head scene (1–4): tasks sharing a scene have the same images (synth-head.ts). */
  readonly headTargets?: number;
  /** Called after each task (for progress output). */
  readonly onTask?: (task: TaskSpec, done: number, total: number) => void;
}

export interface SynthesizeResult {
  readonly train: string[];
  readonly heldout: string[];
}

export const SPLIT_FILE = 'split.json';

export function synthesize(opts: SynthesizeOptions): SynthesizeResult {
  for (const [k, v] of [
    ['tasks', opts.tasks],
    ['images', opts.images],
    ['size', opts.size],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`synthesize: ${k} must be a positive integer, got ${v}`);
  }
  if (opts.size < 8) throw new RangeError(`synthesize: size ${opts.size} is too small (at least 8)`);
  const heads = opts.headTasks ?? 0;
  if (!Number.isInteger(heads) || heads < 0) throw new RangeError(`synthesize: headTasks must be a non-negative integer, got ${heads}`);
  const specs: TaskSpec[] = [
    ...taskSpecs({ tasks: opts.tasks, seed: opts.seed, heldOutFraction: opts.heldOutFraction }),
    ...headTaskSpecs({ tasks: heads, seed: opts.seed, firstIndex: opts.tasks, heldOutFraction: opts.heldOutFraction, targetsPerScene: opts.headTargets }),
  ];
  specs.forEach((task, t) => {
    const dir = join(opts.out, task.name);
    for (let i = 0; i < opts.images; i++) {
      const { image, mask } = renderSample(task, i, opts.size, opts.seed);
      const file = `${String(i).padStart(4, '0')}.png`;
      writeFileAtomic(join(dir, 'images', file), encodeGreyPng(image));
      writeFileAtomic(join(dir, 'masks', file), encodeMaskPng(mask));
    }
    writeFileAtomic(join(dir, 'task.json'), JSON.stringify(task, null, 1) + '\n');
    opts.onTask?.(task, t + 1, specs.length);
  });
  const result = { train: specs.filter((s) => !s.heldOut).map((s) => s.name), heldout: specs.filter((s) => s.heldOut).map((s) => s.name) };
  writeFileAtomic(
    join(opts.out, SPLIT_FILE),
    JSON.stringify(
      { ...result, seed: opts.seed, size: opts.size, images: opts.images, ...(heads ? { headTasks: heads, headTargets: opts.headTargets ?? 1 } : {}) },
      null,
      1,
    ) + '\n',
  );
  return result;
}
