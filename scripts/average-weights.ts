// Average the parameters of several runs fine-tuned from one starting point (src/train/average-weights.ts) into a
// weights file for `compile --weights` or `train --init`.
//
//   npx tsx scripts/average-weights.ts --out runs/soup/last.safetensors runs/r13/last.safetensors runs/r15/last.safetensors
//       [--weights 1,1]
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAveragedWeights } from '../src/train/average-weights.js';

const cmd = new Command()
  .description('average the parameters of several safetensors checkpoints or weights files')
  .argument('<files...>', 'checkpoints (or weights files) of one model config')
  .requiredOption('--out <file>', 'the averaged weights file')
  .option('--weights <list>', 'one weight per file, comma-separated (default: equal)')
  .parse();
const { out, weights } = cmd.opts<{ out: string; weights?: string }>();
const w = weights?.split(',').map(Number);
if (w?.some((x) => !Number.isFinite(x))) throw new Error(`--weights: numbers, comma-separated; got '${weights}'`);
mkdirSync(dirname(out), { recursive: true });
writeAveragedWeights(out, cmd.args, w);
console.log(`${out}: the mean of ${cmd.args.length} files${w ? ` (weights ${w.join(', ')})` : ''}`);
