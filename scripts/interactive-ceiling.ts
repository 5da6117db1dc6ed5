// How well a model segments a structure prompted on the very image it segments (template = query, the paper's
// interactive case), beside eval's cross-slice pairs: what transfer from a template costs, and the most a prompt type
// can give at this model's quality however well the template is matched. Same prompts as eval (oracle quality,
// templatePrompt's seeds), every image of each task with its structure in view, mean Dice per task, then over tasks;
// beside it, over all images, the share of the output inside the structure (precision), the share of the structure
// covered (recall) and the output's area over the structure's (geometric mean): too large, too small, or misplaced.
// docs/brain-data.md ("What limits clicks") has what it gave for the shipped model.
//
//   npx tsx scripts/interactive-ceiling.ts [--model compiled/oneprompt-default.onnx] [--data runs/data/inia19-128]
//       [--tasks validation] [--prompts click,bbox,doodle,seglab] [--threads 2] [--report runs/ev/NAME-self]
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { readDataset, tasksOf } from '../src/app/data/dataset.js';
import { orThrow } from '../src/app/data/errors.js';
import { maskArea } from '../src/app/data/image.js';
import { PROMPT_TYPES, type PromptType } from '../src/app/data/prompt.js';
import { encodePrompt } from '../src/app/data/prompt-tensors.js';
import { dice, meanStd, overlapCounts } from '../src/app/eval/dice.js';
import { readEvalSample, templatePrompt } from '../src/app/eval/protocol.js';
import { loadSegmenter } from '../src/app/inference/load-segmenter.js';
import { logitsToMask } from '../src/app/inference/model-inputs.js';

const o = new Command()
  .option('--model <file>', 'compiled One-Prompt model', 'compiled/oneprompt-default.onnx')
  .option('--data <dir>', 'dataset', 'runs/data/inia19-128')
  .addOption(new Option('--tasks <part>', 'which tasks of split.json').choices(['validation', 'heldout', 'train', 'all']).default('validation'))
  .option('--prompts <types>', 'prompt types, comma-separated', PROMPT_TYPES.join(','))
  .option('--threads <n>', 'ONNX Runtime threads', '2')
  .option('--report <prefix>', 'write PREFIX-TYPE.json per prompt type: Dice per task, as `eval --json` lists it (for `oneprompt compare`)')
  .parse()
  .opts<{ model: string; data: string; tasks: 'validation' | 'heldout' | 'train' | 'all'; prompts: string; threads: string; report?: string }>();

const types = o.prompts.split(',');
const unknown = types.find((t) => !(PROMPT_TYPES as readonly string[]).includes(t));
if (unknown !== undefined) throw new Error(`--prompts: unknown prompt type '${unknown}'; choose from ${PROMPT_TYPES.join(', ')}`);

const dataset = orThrow(readDataset(o.data));
const tasks = tasksOf(dataset, o.tasks);
const model = await loadSegmenter(o.model, { threads: Number(o.threads) });
const S = model.geometry.size;
const mean = (xs: readonly number[]) => meanStd(xs).mean;

/** What one prompt type gave: Dice per task (as `eval --json` lists it), and the overlap shares over all images. */
interface Tally {
  readonly perTask: { task: string; pairs: number; model: { dice: number; std: number }; selectivity: null }[];
  readonly precision: number[];
  readonly recall: number[];
  readonly logRatio: number[];
}
const tallies = new Map<PromptType, Tally>(types.map((t) => [t as PromptType, { perTask: [], precision: [], recall: [], logRatio: [] }]));

for (const task of tasks) {
  const scores = new Map<PromptType, number[]>([...tallies.keys()].map((t) => [t, []]));
  for (let i = 0; i < task.pairs.length; i++) {
    const s = orThrow(readEvalSample(task, i, S));
    if (maskArea(s.mask) === 0) continue;
    // Read and encoded once; every prompt type decodes the same encoding.
    const [both] = await model.prompts.encode([s.plane], 'both');
    for (const [type, tally] of tallies) {
      const prompt = orThrow(encodePrompt(orThrow(templatePrompt(task, i, s.mask, type, 'oracle', 0)), s.image, model.geometry));
      const logits = await model.prompts.decode([{ query: both, template: both, prompt }]);
      const out = logitsToMask(logits, S, s.image.width, s.image.height);
      scores.get(type)!.push(dice(out, s.mask));
      const { inter, a, b } = overlapCounts(out, s.mask, task.pairs[i].name);
      // An empty output has no precision or area ratio; it counts as recall 0.
      if (a > 0) {
        tally.precision.push(inter / a);
        tally.logRatio.push(Math.log(a / b));
      }
      tally.recall.push(inter / b);
    }
  }
  for (const [type, tally] of tallies) {
    const xs = scores.get(type)!;
    const m = meanStd(xs);
    if (xs.length > 0) tally.perTask.push({ task: task.name, pairs: xs.length, model: { dice: m.mean, std: m.std }, selectivity: null });
  }
}

console.log(`${o.model}, ${o.tasks} tasks of ${o.data} (${tasks.length}), oracle prompts on the query itself:`);
console.log('| prompt | Dice, template = query | precision | recall | area ratio |\n| --- | --- | --- | --- | --- |');
const f = (x: number) => x.toFixed(2);
for (const [type, t] of tallies) {
  const dices = t.perTask.map((r) => r.model.dice);
  if (o.report) writeFileSync(`${o.report}-${type}.json`, `${JSON.stringify({ tasks: t.perTask, mean: { model: mean(dices) } }, null, 2)}\n`);
  console.log(
    `| ${type} | ${mean(dices).toFixed(1)} | ${f(mean(t.precision))} | ${f(mean(t.recall))} | ${f(Math.exp(mean(t.logRatio)))} (${t.recall.length - t.logRatio.length} empty) |`,
  );
}
await model.release();
