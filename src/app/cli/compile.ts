// `oneprompt compile`: a configuration (and variant) → ONNX file + manifest JSON.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { compileOnePrompt, resolveConfig } from '../../../graphs/oneprompt/compile.js';
import { configs, type ConfigName, type OnePromptConfig, type TypeBias } from '../../../graphs/oneprompt/config.js';
import * as E from 'fp-ts/lib/Either.js';
import { parsePerTypeNumbers } from '../data/per-type-numbers.js';
import { PROMPT_TYPES } from '../data/prompt.js';
import { fmtCount, table } from './format.js';

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile the One-Prompt model to ONNX (writes NAME.onnx and NAME.json beside it; with --split also NAME.encoder.onnx and NAME.decoder.onnx)')
    .addOption(new Option('--config <name>', 'model configuration').choices(Object.keys(configs)).default('tiny'))
    .addOption(new Option('--parser <step>', 'Prompt-Parser prompting step').choices(['add', 'concat-mlp', 'stack-mlp']))
    .addOption(new Option('--masking <step>', 'Prompt-Parser masking step').choices(['add', 'binary', 'norm', 'gaussian']))
    .addOption(new Option('--encoder <kind>', 'image encoder').choices(['cnn', 'vit']))
    .option(
      '--weights <file>',
      'trained weights: .safetensors from `oneprompt train`, or a compiled float32 model of the same configuration (.onnx: re-emit it, e.g. with --split)',
    )
    .option(
      '--type-bias <offsets>',
      'a calibration: logit offsets per prompt type added to mask_logits, as type=offset pairs (click=0.5,seglab=-2; unnamed types 0; +1: more foreground); chosen on validation after training (docs/brain-data.md)',
    )
    .option('--seed <n>', 'initialisation seed when no weights are given', '0')
    .option('--out <file>', 'output ONNX file (default compiled/oneprompt-<config>.onnx)')
    .addOption(
      new Option('--dtype <type>', 'float16: half-precision weights and activations (float32 kept for softmax and normalisation statistics)')
        .choices(['float32', 'float16'])
        .default('float32'),
    )
    .option(
      '--split',
      'also write the model as an image encoder and a prompt decoder from the same weights (NAME.encoder.onnx, NAME.decoder.onnx + manifests): segment, everything and the browser tool then encode each image once and run only the decoder per prompt',
    )
    .option('--triton <dir>', 'also write a Triton Inference Server model repository (DIR/<name>/1/model.onnx + config.pbtxt)')
    .addOption(new Option('--triton-device <kind>', 'instance group kind in config.pbtxt').choices(['gpu', 'cpu']).default('gpu'))
    .option('--triton-max-batch <n>', 'max_batch_size for dynamic batching', '8')
    .option('--triton-instances <n>', 'model instances per device', '1')
    .action(
      async (o: {
        config: ConfigName;
        parser?: never;
        masking?: never;
        encoder?: never;
        weights?: string;
        typeBias?: string;
        seed: string;
        out?: string;
        dtype: 'float32' | 'float16';
        triton?: string;
        tritonDevice: 'gpu' | 'cpu';
        tritonMaxBatch: string;
        tritonInstances: string;
        split?: boolean;
      }) => {
        const typeBias = o.typeBias === undefined ? undefined : parseTypeBias(o.typeBias);
        const weights = o.weights ? await loadWeightsFile(o.weights, resolveConfig({ ...o, typeBias })) : undefined;
        const out = o.out ?? `compiled/oneprompt-${o.config}.onnx`;
        const t0 = performance.now();
        const triton = o.triton
          ? { dir: o.triton, device: o.tritonDevice, maxBatch: Number(o.tritonMaxBatch), instances: Number(o.tritonInstances) }
          : undefined;
        const { manifest, pair } = compileOnePrompt({
          config: o.config,
          parser: o.parser,
          masking: o.masking,
          encoder: o.encoder,
          typeBias,
          weights,
          seed: Number(o.seed),
          out,
          dtype: o.dtype,
          triton,
          split: o.split,
        });
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(
          `wrote ${out} (${(manifest.bytes / 2 ** 20).toFixed(1)} MiB, ${fmtCount(manifest.parameters)}parameters, ${manifest.dtype}, ${manifest.weights}) in ${secs} s`,
        );
        if (triton) console.log(`wrote a Triton model repository in ${triton.dir}/${manifest.name}/ (see docs/serving.md)`);
        console.log(
          table(
            ['tensor', 'dtype', 'shape'],
            [...manifest.inputs, ...manifest.outputs].map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`]),
          ),
        );
        if (pair)
          for (const part of [pair.encoder, pair.decoder]) {
            const m = part.manifest;
            console.log(
              `wrote ${part.path} (${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${fmtCount(m.parameters)}parameters): ${m.inputs.length} inputs → ${m.outputs.map((t) => t.name).join(', ')}`,
            );
          }
      },
    );
}

/** `click=0.5,seglab=-2` → [0.5, 0, 0, -2] (PROMPT_TYPES order, unnamed types 0); read as `--prompt-mix` is (per-type-numbers.ts). */
export function parseTypeBias(text: string): TypeBias {
  const parsed = parsePerTypeNumbers(text, 'OFFSET');
  if (E.isLeft(parsed)) throw new InvalidArgumentError(parsed.left);
  const [click, bbox, doodle, seglab] = PROMPT_TYPES.map((t) => parsed.right[t] ?? 0);
  return [click, bbox, doodle, seglab];
}

/**
 * The weights of a safetensors file, or of a compiled float32 .onnx (its initializers are named like the parameters),
 * by parameter name, checked against the parameters of the configuration being compiled: every one present, with its
 * shape and dtype (the check `train --init` makes; an element count alone let a transposed tensor through). Building
 * the graph allocates no weights (parameters are lazy).
 */
async function loadWeightsFile(path: string, config: OnePromptConfig): Promise<Map<string, Float32Array>> {
  const { buildOnePrompt } = await import('../../../graphs/oneprompt/model.js');
  const { loadInitialWeights } = await import('../../train/init-weights.js');
  const params = buildOnePrompt(config, 0).graph.params;
  loadInitialWeights(path, params);
  return new Map(params.map((p) => [p.name, p.values()]));
}
