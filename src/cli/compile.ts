// `oneprompt compile`: a configuration (and variant) → ONNX file + manifest JSON.
import type { Command } from 'commander';
import { Option } from 'commander';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { fmtCount, table } from './format.js';

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile the One-Prompt model to ONNX (writes NAME.onnx and NAME.json beside it)')
    .addOption(new Option('--config <name>', 'model configuration').choices(['tiny', 'small', 'base']).default('tiny'))
    .addOption(new Option('--parser <step>', 'Prompt-Parser prompting step').choices(['add', 'concat-mlp', 'stack-mlp']))
    .addOption(new Option('--masking <step>', 'Prompt-Parser masking step').choices(['add', 'binary', 'norm', 'gaussian']))
    .addOption(new Option('--encoder <kind>', 'image encoder').choices(['cnn', 'vit']))
    .option('--weights <file>', 'trained weights (.safetensors from `oneprompt train`)')
    .option('--seed <n>', 'initialisation seed when no weights are given', '0')
    .option('--out <file>', 'output ONNX file (default compiled/oneprompt-<config>.onnx)')
    .action(async (o: { config: 'tiny' | 'small' | 'base'; parser?: never; masking?: never; encoder?: never; weights?: string; seed: string; out?: string }) => {
      const weights = o.weights ? await loadWeightsFile(o.weights) : undefined;
      const out = o.out ?? `compiled/oneprompt-${o.config}.onnx`;
      const t0 = performance.now();
      const { manifest } = compileOnePrompt({ config: o.config, parser: o.parser, masking: o.masking, encoder: o.encoder, weights, seed: Number(o.seed), out });
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`wrote ${out} (${(manifest.bytes / 2 ** 20).toFixed(1)} MiB, ${fmtCount(manifest.parameters)}parameters, ${manifest.weights}) in ${secs} s`);
      console.log(table(['tensor', 'dtype', 'shape'], [...manifest.inputs, ...manifest.outputs].map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`])));
    });
}

async function loadWeightsFile(path: string): Promise<Map<string, Float32Array>> {
  const { readSafetensors } = await import('../train/safetensors.js');
  const out = new Map<string, Float32Array>();
  for (const [name, t] of readSafetensors(path).tensors) if (t.dtype === 'F32' && !name.startsWith('__')) out.set(name, t.data as Float32Array);
  return out;
}
