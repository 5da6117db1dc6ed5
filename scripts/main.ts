// `npm run main`, the README's main job: segment the bundled MRI slices (samples/mri, real data from ITK's
// examples) with the shipped model, one slice prompted with samples/mri/prompt.json as the template and the other
// slices as queries; masks and overlays go to out/mri/. Then Dice (%) of those masks against the bundled brain
// masks, next to the two baselines (copy the template's mask; region-grow from the prompt) on the same slices.
// Second, a structure other than the whole brain: held-out macaque structures (samples-heldout: NeuroMaps atlas
// structures no training slice of the shipped model labels, their atlas masks as the reference), a click on one
// structure of the template slice; masks and overlays go to out/heldout/. And the same template clicked on each of
// the other structures: does the mask follow the click?
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '../src/app/cli/main.js';
import { table } from '../src/app/cli/format.js';
import { orThrow } from '../src/app/data/errors.js';
import { readImage, readMask } from '../src/app/data/load.js';
import type { Mask } from '../src/app/data/image.js';
import { readPromptFile } from '../src/app/data/prompt-file.js';
import { copyTemplateMask } from '../src/app/eval/copy-template.js';
import { dice, formatMeanStd, meanStd } from '../src/app/eval/dice.js';
import { regionGrow } from '../src/app/eval/region-grow.js';

const DEFAULT_MODEL = 'compiled/oneprompt-default.onnx';
const FALLBACK_MODEL = 'compiled/oneprompt-tiny.onnx';
const SAMPLES = 'samples/mri';
// The slice samples/mri/prompt.json is drawn on (samples/mri/README.md).
const TEMPLATE = 'axial-066.png';
// `--out DIR` writes elsewhere (the test does), `--heldout-out DIR` the held-out structures' masks (default: heldout
// beside --out); `--model FILE` runs another model (a checkpoint being trained, say).
const flag = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const OUT = flag('--out') ?? 'out/mri';

let model = flag('--model') ?? DEFAULT_MODEL;
if (!existsSync(model) && flag('--model')) {
  console.error(`error: --model ${model} does not exist`);
  process.exit(2);
}
if (!existsSync(model)) {
  model = FALLBACK_MODEL;
  console.error(`warning: ${DEFAULT_MODEL} is missing; using the untrained ${FALLBACK_MODEL} instead (the masks show the workflow, not the model's quality)`);
}

const images = join(SAMPLES, 'images');
const queries = readdirSync(images)
  .filter((f) => f.endsWith('.png') && f !== TEMPLATE)
  .sort();
const args = [
  'segment',
  '--model',
  model,
  '--template',
  join(images, TEMPLATE),
  '--prompt',
  join(SAMPLES, 'prompt.json'),
  '--query',
  ...queries.map((q) => join(images, q)),
  '--out',
  OUT,
];
console.log(`$ oneprompt ${args.join(' ')}`);
const code = await main(args);
if (code !== 0) process.exit(code);

const template = orThrow(readImage(join(images, TEMPLATE)));
const templateMask = orThrow(readMask(join(SAMPLES, 'masks', TEMPLATE)));
const prompt = orThrow(readPromptFile(join(SAMPLES, 'prompt.json'), template));
const rows = queries.map((q) => {
  const truth = orThrow(readMask(join(SAMPLES, 'masks', q)));
  const query = orThrow(readImage(join(images, q)));
  return {
    slice: q.replace(/\.png$/, ''),
    model: dice(orThrow(readMask(join(OUT, 'masks', q))), truth),
    copy: dice(copyTemplateMask(templateMask, query), truth),
    grow: dice(regionGrow({ query, prompt, template }), truth),
  };
});
const mean = (f: (r: (typeof rows)[number]) => number) => formatMeanStd(meanStd(rows.map(f)));
console.log(`\nDice (%) against the bundled brain masks (${SAMPLES}/masks), template ${TEMPLATE} with ${SAMPLES}/prompt.json, model ${model}:`);
console.log(
  table(
    ['slice', 'model', 'copy template', 'region grow'],
    [
      ...rows.map((r) => [r.slice, r.model.toFixed(1), r.copy.toFixed(1), r.grow.toFixed(1)]),
      ['mean ± std', mean((r) => r.model), mean((r) => r.copy), mean((r) => r.grow)],
    ],
  ),
);
console.log(`\nmasks: ${OUT}/masks/, overlays (mask outline on the slice): ${OUT}/overlays/`);

// ---- a structure other than the whole brain: held-out macaque structures ----
const HELDOUT = 'samples-heldout';
const HELD_TEMPLATE = 'sagittal-082.png';
const structures = (JSON.parse(readFileSync(join(HELDOUT, 'split.json'), 'utf8')) as { heldout: string[] }).heldout;
const heldOut = flag('--heldout-out') ?? join(dirname(OUT), 'heldout');
const sliceFiles = readdirSync(join(HELDOUT, structures[0], 'images'))
  .filter((f) => f.endsWith('.png') && f !== HELD_TEMPLATE)
  .sort();
// The output for a click on each structure, per query slice.
const outputs = new Map<string, Mask[]>();
for (const s of structures) {
  const dir = join(HELDOUT, s);
  const a = [
    'segment',
    '--model',
    model,
    '--template',
    join(dir, 'images', HELD_TEMPLATE),
    '--prompt',
    join(dir, 'prompt.json'),
    '--query',
    ...sliceFiles.map((q) => join(dir, 'images', q)),
    '--out',
    join(heldOut, s),
  ];
  if (s === structures[0]) console.log(`\n$ oneprompt ${a.join(' ')}`);
  const c = await main(a);
  if (c !== 0) process.exit(c);
  outputs.set(
    s,
    sliceFiles.map((q) => orThrow(readMask(join(heldOut, s, 'masks', q)))),
  );
}
// Each structure's atlas masks on the query slices, read once.
const truths = new Map(structures.map((s) => [s, sliceFiles.map((q) => orThrow(readMask(join(HELDOUT, s, 'masks', q))))]));
const target = structures[0];
const tDir = join(HELDOUT, target);
const hTemplate = orThrow(readImage(join(tDir, 'images', HELD_TEMPLATE)));
const hTemplateMask = orThrow(readMask(join(tDir, 'masks', HELD_TEMPLATE)));
const hPrompt = orThrow(readPromptFile(join(tDir, 'prompt.json'), hTemplate));
const hRows = sliceFiles.map((q, i) => {
  const truth = truths.get(target)![i];
  const query = orThrow(readImage(join(tDir, 'images', q)));
  return {
    slice: q.replace(/\.png$/, ''),
    model: dice(outputs.get(target)![i], truth),
    copy: dice(copyTemplateMask(hTemplateMask, query), truth),
    grow: dice(regionGrow({ query, prompt: hPrompt, template: hTemplate }), truth),
  };
});
const hMean = (f: (r: (typeof hRows)[number]) => number) => formatMeanStd(meanStd(hRows.map(f)));
console.log(
  `\nDice (%) against the NeuroMaps atlas mask of ${target} (a macaque structure held out of training), template ${HELD_TEMPLATE} with ${tDir}/prompt.json (a click):`,
);
console.log(
  table(
    ['slice', 'model', 'copy template', 'region grow'],
    [
      ...hRows.map((r) => [r.slice, r.model.toFixed(1), r.copy.toFixed(1), r.grow.toFixed(1)]),
      ['mean ± std', hMean((r) => r.model), hMean((r) => r.copy), hMean((r) => r.grow)],
    ],
  ),
);
// Rows: the structure clicked on the template; columns: the structure the output is scored against (mean over the
// query slices). A model that follows the click has its best score on the diagonal.
const short = (s: string) => s.replace(/-sagittal$/, '');
const matrix = structures.map((clicked) => [
  short(clicked),
  ...structures.map((scored) => {
    const scores = sliceFiles.map((_, i) => dice(outputs.get(clicked)![i], truths.get(scored)![i]));
    return meanStd(scores).mean.toFixed(1);
  }),
]);
console.log(
  `\nThe same template clicked on each held-out structure (rows) — Dice (%) of the output against each structure (columns), mean over the ${sliceFiles.length} query slices:`,
);
console.log(table(['clicked \\ scored', ...structures.map(short)], matrix));
console.log(`\nmasks and overlays: ${heldOut}/<structure>/`);
