// What encoding each image once saves (issue 15, item 3): `everything` with 64 clicks and a 10-template ensemble
// (5 queries), timed through the code the commands run (clickMasks, segmentQueries), for tiny and small, before
// (the one-file model: every prompt runs the whole model, both image encoders included) and after (the encoder/
// decoder pair of `compile --split`: each image encoded once, each prompt runs only the decoder). Before and after
// alternate within each repetition on the same machine; the best of REPS is reported, and the speed-up of the
// medians beside the speed-up of the bests (on a shared machine the two say how much the load moved things). Also: what one encoding holds,
// and the FLOPs of a one-file forward, an encoder run per image and a decoder run per prompt (ONNX Runtime's
// profile, B = 1). Prints measurements only. CONFIGS=tiny to run one configuration; REPS=N repetitions.
import { execFileSync } from 'node:child_process';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigName } from '../graphs/oneprompt/config.js';
import { clickMasks, gridClicks, type ClickMask } from '../src/app/cli/everything.js';
import { segmentQueries, type PromptedTemplate, type QueryMask } from '../src/app/inference/segment-queries.js';
import { loadSegmenter, type Segmenter } from '../src/app/inference/load-segmenter.js';
import { orThrow } from '../src/app/data/errors.js';
import { readImage } from '../src/app/data/load.js';
import { readPromptFile } from '../src/app/data/prompt-file.js';
import { moduleOf, summariseModel } from '../src/onnx/inspect.js';
import { pairContract } from '../graphs/oneprompt/contract.js';
import { pairFiles } from '../graphs/oneprompt/contract.js';
import { profileFlops } from '../src/runtime/profile-flops.js';

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
  return {
    image: template,
    source: `box ${k}`,
    prompt: {
      type: 'bbox',
      box: [clamp(x1 + d, template.width), clamp(y1 + d, template.height), clamp(x2 - d, template.width), clamp(y2 + d, template.height)],
    },
  };
});
const clicks = gridClicks(template.width, template.height, GRID);

const everything = (m: Segmenter) => clickMasks(template, clicks, m.geometry, m.prompts, BATCH);
const ensemble = async (m: Segmenter) => orThrow(await segmentQueries({ templates, queries, geometry: m.geometry, segmenter: m.prompts, batchSize: BATCH }));

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

const flopsOf = async (file: string): Promise<number> =>
  Object.values(await profileFlops(new Uint8Array(readFileSync(file)), { B: 1 })).reduce((a, c) => a + c.flops, 0);
const perModule = async (file: string) => profileFlops(new Uint8Array(readFileSync(file)), { B: 1 }, (_op, node) => moduleOf(node, 1));
const mib = (bytes: number): string => (bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const ratio = (before: number, after: number): string => `${(before / after).toFixed(1)}×`;

const dir = mkdtempSync(join(tmpdir(), 'bench-prompt-reuse-'));
const load0 = loadavg()[0];
console.log(
  `onnxruntime-node, ${THREADS} threads, batch ${BATCH}, best of ${reps} (before and after alternate); image ${sample(66)} (${template.width}×${template.height}); load average ${load0.toFixed(1)}`,
);
try {
  const table: string[] = [];
  const facts: string[] = [];
  for (const name of names) {
    const file = join(dir, `${name}.onnx`);
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/lib/compile-child.ts', name, file, '--split']);
    const pair = pairFiles(file);

    // What one encoding holds, as query and as template (from the pair's declared shapes), and FLOPs per run.
    const contract = pairContract(summariseModel(readFileSync(pair.encoder)), summariseModel(readFileSync(pair.decoder)));
    if (E.isLeft(contract)) throw new Error(contract.left);
    const size = (parts: readonly string[]) => 4 * parts.reduce((a, p) => a + contract.right.partDims[p].reduce((x, y) => x * y, 1), 0);
    const [fOne, fEnc, fDec] = [await flopsOf(file), await flopsOf(pair.encoder), await flopsOf(pair.decoder)];
    const tokenizers = (await perModule(pair.encoder)).tokens?.flops ?? 0;
    facts.push(
      `| ${name} | ${(fOne / 1e9).toFixed(3)} G | ${(fEnc / 1e9).toFixed(3)} G | ${(fDec / 1e9).toFixed(3)} G | ${(tokenizers / 1e6).toFixed(1)} M | ` +
        `${mib(size(contract.right.queryParts))} | ${mib(size(contract.right.templateParts))} |`,
    );

    const before = await loadSegmenter(file, { threads: THREADS, use: 'one-file' });
    const after = await loadSegmenter(file, { threads: THREADS, use: 'pair' });
    try {
      // Warm-up, and the two give the same masks.
      const [e0, e1] = [await everything(before), await everything(after)];
      const [q0, q1] = [await ensemble(before), await ensemble(after)];
      const differ = (a: readonly (ClickMask | QueryMask)[], b: readonly (ClickMask | QueryMask)[]) =>
        a.filter((x, i) => x.mask.data.some((v, j) => v !== b[i].mask.data[j])).length;
      const differing = differ(e0, e1) + differ(q0, q1);
      const t = { eb: [] as number[], ea: [] as number[], qb: [] as number[], qa: [] as number[] };
      for (let r = 0; r < reps; r++) {
        t.eb.push((await timed(() => everything(before)))[0]);
        t.ea.push((await timed(() => everything(after)))[0]);
        t.qb.push((await timed(() => ensemble(before)))[0]);
        t.qa.push((await timed(() => ensemble(after)))[0]);
      }
      const best = (xs: number[]) => Math.min(...xs);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const pairs = queries.length * ENSEMBLE;
      table.push(
        `| ${name} | ${s(best(t.eb))} | ${s(best(t.ea))} | ${ratio(best(t.eb), best(t.ea))} (${ratio(median(t.eb), median(t.ea))}) | ${ms(best(t.eb) / clicks.length)} → ${ms(best(t.ea) / clicks.length)} | ` +
          `${s(best(t.qb))} | ${s(best(t.qa))} | ${ratio(best(t.qb), best(t.qa))} (${ratio(median(t.qb), median(t.qa))}) | ${ms(best(t.qb) / pairs)} → ${ms(best(t.qa) / pairs)} | ${differing} |`,
      );
    } finally {
      await before.release();
      await after.release();
    }
  }
  console.log(
    `\n| config | \`everything\` ${GRID * GRID} clicks: before | after | speed-up (medians) | per click | ensemble ${queries.length} queries × ${ENSEMBLE} templates: before | after | speed-up (medians) | per (query, template) | masks that differ |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of table) console.log(r);
  console.log(
    '\n| config | FLOPs: one-file forward | encoder, per image | decoder, per prompt | of which tokenizers (in the encoder) | encoding as query | as template |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const f of facts) console.log(f);
  console.log(
    `\nload average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after. Before: the one-file model (every prompt encodes query and template again). After: the encoder/decoder pair (each image encoded once).`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
