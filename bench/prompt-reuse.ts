// What re-running the whole model for every prompt costs (issue 15, item 3): `everything` with 64 clicks and a
// 10-template ensemble, timed through the code the commands run (clickMasks, segmentQueries), for tiny and small.
// Today every prompt runs the one-file model, both image encodings included; the profile below says how much of a
// forward the image encoder is, i.e. how much an encoder/decoder split that encodes each image once could save.
// Prints measurements only. CONFIGS=tiny to run one configuration; REPS=N repeats (the best is reported).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigName } from '../graphs/oneprompt/config.js';
import { clickMasks, gridClicks } from '../src/cli/everything.js';
import { segmentQueries, type PromptedTemplate } from '../src/cli/segment-queries.js';
import { loadSegmenter } from '../src/cli/segmenter.js';
import { orThrow } from '../src/data/errors.js';
import { readImage } from '../src/data/load.js';
import { readPromptFile } from '../src/data/prompt-file.js';
import { moduleOf, profileFlops, readModelFile } from '../src/onnx/inspect.js';

const names = (process.env.CONFIGS ?? 'tiny,small').split(',') as ConfigName[];
const reps = Number(process.env.REPS ?? 3);
const THREADS = 2;
const BATCH = 8;
const GRID = 8; // 64 clicks
const ENSEMBLE = 10;

const sample = (n: number): string => join('samples', 'mri', 'images', `axial-0${n}.png`);
const template = orThrow(readImage(sample(66)));
const queries = [36, 46, 56, 76, 86].map((n) => orThrow(readImage(sample(n))));
const box = orThrow(readPromptFile(join('samples', 'mri', 'prompt.json'), template));
if (box.type !== 'bbox') throw new Error('samples/mri/prompt.json: expected a box');
// Ten prompted templates: the sample's box, shifted by a few pixels each (what a user's ten drawings look like).
const templates: PromptedTemplate[] = Array.from({ length: ENSEMBLE }, (_, k) => {
  const d = (k % 5) - 2;
  const [x1, y1, x2, y2] = box.box;
  const clamp = (v: number, hi: number) => Math.min(hi - 1, Math.max(0, v));
  return { image: template, source: `box ${k}`, prompt: { type: 'bbox', box: [clamp(x1 + d, template.width), clamp(y1 + d, template.height), clamp(x2 - d, template.width), clamp(y2 + d, template.height)] } };
});

async function best(f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-prompt-reuse-'));
console.log(`onnxruntime-node, ${THREADS} threads, batch ${BATCH}, best of ${reps}; image ${sample(66)} (${template.width}×${template.height})`);
try {
  const rows: string[] = [];
  for (const name of names) {
    const file = join(dir, `${name}.onnx`);
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/lib/compile-child.ts', name, file]);
    // The image encoder's share of one forward (B = 1): FLOPs and measured kernel time per top-level module.
    const perModule = await profileFlops(readModelFile(file), { B: 1 }, (_op, node) => moduleOf(node, 1));
    const total = Object.values(perModule).reduce((a, c) => ({ flops: a.flops + c.flops, micros: a.micros + c.micros }), { flops: 0, micros: 0 });
    const enc = perModule.encoder ?? { flops: 0, micros: 0 };
    const model = await loadSegmenter(file, { threads: THREADS });
    try {
      const clicks = gridClicks(template.width, template.height, GRID);
      const everything = await best(() => clickMasks(template, clicks, model.geometry, model.predict, BATCH));
      const ensemble = await best(async () =>
        orThrow(await segmentQueries({ templates, queries, geometry: model.geometry, predict: model.predict, batchSize: BATCH })),
      );
      const forwards = queries.length * ENSEMBLE;
      rows.push(
        `${name.padEnd(6)} ${(everything / 1000).toFixed(2).padStart(8)} s ${(everything / clicks.length).toFixed(1).padStart(8)} ms ` +
          `${(ensemble / 1000).toFixed(2).padStart(8)} s ${(ensemble / forwards).toFixed(1).padStart(8)} ms ` +
          `${((100 * enc.flops) / total.flops).toFixed(1).padStart(9)}% ${((100 * enc.micros) / total.micros).toFixed(1).padStart(9)}%`,
      );
    } finally {
      await model.release();
    }
  }
  console.log(`config  everything (${GRID * GRID} clicks)   ensemble (${queries.length} queries × ${ENSEMBLE} templates)   image encoder share of a forward`);
  console.log('          total   per click       total   per pair      FLOPs  kernel time');
  for (const r of rows) console.log(r);
  console.log('Every click and every (query, template) pair runs the full model: the encoder encodes query and template each time.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
