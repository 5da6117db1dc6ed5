// `npm run main`, the README's main job: segment the bundled MRI slices (samples/mri, real data from ITK's
// examples) with the shipped model, one slice prompted with samples/mri/prompt.json as the template and the other
// slices as queries; masks and overlays go to out/mri/. Then Dice (%) of those masks against the bundled brain
// masks, next to the two baselines (copy the template's mask; region-grow from the prompt) on the same slices.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/app/cli/main.js';
import { table } from '../src/app/cli/format.js';
import { orThrow } from '../src/app/data/errors.js';
import { readImage, readMask } from '../src/app/data/load.js';
import { readPromptFile } from '../src/app/data/prompt-file.js';
import { copyTemplateMask } from '../src/app/eval/copy-template.js';
import { dice, formatMeanStd, meanStd } from '../src/app/eval/dice.js';
import { regionGrow } from '../src/app/eval/region-grow.js';

const DEFAULT_MODEL = 'compiled/oneprompt-default.onnx';
const FALLBACK_MODEL = 'compiled/oneprompt-tiny.onnx';
const SAMPLES = 'samples/mri';
// The slice samples/mri/prompt.json is drawn on (samples/mri/README.md).
const TEMPLATE = 'axial-066.png';
// `--out DIR` writes elsewhere (the test does); `--model FILE` runs another model (a checkpoint being trained, say).
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
const queries = readdirSync(images).filter((f) => f.endsWith('.png') && f !== TEMPLATE).sort();
const args = ['segment', '--model', model, '--template', join(images, TEMPLATE), '--prompt', join(SAMPLES, 'prompt.json'), '--query', ...queries.map((q) => join(images, q)), '--out', OUT];
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
    [...rows.map((r) => [r.slice, r.model.toFixed(1), r.copy.toFixed(1), r.grow.toFixed(1)]), ['mean ± std', mean((r) => r.model), mean((r) => r.copy), mean((r) => r.grow)]],
  ),
);
console.log(`\nmasks: ${OUT}/masks/, overlays (mask outline on the slice): ${OUT}/overlays/`);
