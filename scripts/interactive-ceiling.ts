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
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(`${o.model}, ${o.tasks} tasks of ${o.data} (${tasks.length}), oracle prompts on the query itself:`);
console.log('| prompt | Dice, template = query | precision | recall | area ratio |\n| --- | --- | --- | --- | --- |');
for (const type of types as PromptType[]) {
  const perTask: { task: string; pairs: number; model: { dice: number; std: number }; selectivity: null }[] = [];
  const shares = { precision: [] as number[], recall: [] as number[], logRatio: [] as number[] };
  for (const task of tasks) {
    const scores: number[] = [];
    for (let i = 0; i < task.pairs.length; i++) {
      const s = orThrow(readEvalSample(task, i, S));
      if (maskArea(s.mask) === 0) continue;
      const prompt = orThrow(encodePrompt(orThrow(templatePrompt(task, i, s.mask, type, 'oracle', 0)), s.image, model.geometry));
      const [both] = await model.prompts.encode([s.plane], 'both');
      const logits = await model.prompts.decode([{ query: both, template: both, prompt }]);
      const out = logitsToMask(logits, S, s.image.width, s.image.height);
      scores.push(dice(out, s.mask));
      const { inter, a, b } = overlapCounts(out, s.mask, task.pairs[i].name);
      // An empty output has no precision or area ratio; it counts as recall 0.
      if (a > 0) {
        shares.precision.push(inter / a);
        shares.logRatio.push(Math.log(a / b));
      }
      shares.recall.push(inter / b);
    }
    const m = meanStd(scores);
    if (scores.length > 0) perTask.push({ task: task.name, pairs: scores.length, model: { dice: m.mean, std: m.std }, selectivity: null });
  }
  const dices = perTask.map((t) => t.model.dice);
  if (o.report) writeFileSync(`${o.report}-${type}.json`, `${JSON.stringify({ tasks: perTask, mean: { model: mean(dices) } }, null, 2)}\n`);
  const f = (x: number) => x.toFixed(2);
  console.log(
    `| ${type} | ${mean(dices).toFixed(1)} | ${f(mean(shares.precision))} | ${f(mean(shares.recall))} | ${f(Math.exp(mean(shares.logRatio)))} (${shares.recall.length - shares.logRatio.length} empty) |`,
  );
}
await model.release();
