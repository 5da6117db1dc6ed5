// `oneprompt train --config NAME --data DIR --out RUN_DIR [...]`: train a registered configuration on
// ONNX Runtime (the emitted training-step model) or tfjs, with a progress bar on stderr and a loss log,
// loss curve, checkpoint and ONNX model in RUN_DIR.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { configs, type ConfigName, type EncoderKind, type MaskingStep, type PromptingStep } from '../../../graphs/oneprompt/config.js';
import { BACKEND_NAMES, isBackendName } from '../../train/tfjs/backend.js';
import { runTrainingJob, type TrainBackend } from '../../train/run.js';
import type { Device } from '../../runtime/session.js';
import { onePromptTask, type OnePromptTaskOptions, type TargetSet } from '../train/one-prompt-task.js';
import { getTask, taskNames } from '../train/tasks.js';
import { registerTask } from '../../train/task.js';
import { fraction, fractionOrMore, maxPixelsOption, maxVoxelsOption, withLimits, type LimitCliOptions } from './options.js';
import { parseLossWeights, type LossWeights } from '../../train/loss.js';
import { parsePromptMix, type PromptMix } from '../data/prompt-mix.js';
import { QUALITIES, validateQualities, type Quality } from '../data/simulate.js';
import * as E from 'fp-ts/lib/Either.js';

const lossArg = (v: string): LossWeights => {
  try {
    return parseLossWeights(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^loss: /, ''));
  }
};

/** `--qualities oracle,high`: known levels, each once (validateQualities). */
const qualitiesArg = (v: string): readonly Quality[] =>
  E.getOrElseW((m: string): never => {
    throw new InvalidArgumentError(m);
  })(
    validateQualities(
      v
        .split(',')
        .map((q) => q.trim())
        .filter((q) => q !== ''),
    ),
  );
/** Share of the pairs zoomed in when --zoom is given without --zoom-share. */
const DEFAULT_ZOOM_SHARE = 0.5;
const zoomFactorArg = (v: string): number => {
  const n = Number(v);
  if (!(n > 1) || !Number.isFinite(n)) throw new InvalidArgumentError('a zoom factor > 1, e.g. 2');
  return n;
};
const promptMixArg = (v: string): PromptMix =>
  E.getOrElseW((m: string): never => {
    throw new InvalidArgumentError(m);
  })(parsePromptMix(v));

const positiveInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};
const nonNegativeInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
  return n;
};
const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const backendArg = (v: string): TrainBackend => {
  if (v !== 'auto' && v !== 'ort' && v !== 'tfjs' && !isBackendName(v))
    throw new InvalidArgumentError(`choose one of auto, ort, tfjs, ${BACKEND_NAMES.join(', ')}`);
  return v;
};
const deviceArg = (v: string): Device => {
  if (v !== 'cpu' && v !== 'cuda') throw new InvalidArgumentError('choose cpu or cuda');
  return v;
};

interface TrainCliOptions extends LimitCliOptions {
  config: string;
  data: string;
  out: string;
  epochs: number;
  steps?: number;
  batch: number;
  lr: number;
  backend: TrainBackend;
  device: Device;
  threads?: number;
  resume?: boolean;
  seed: number;
  checkpointEvery?: number;
  freeze?: string;
  warmup?: number;
  init?: string;
  parser?: PromptingStep;
  masking?: MaskingStep;
  encoder?: EncoderKind;
  augment?: boolean;
  warp?: number;
  warpMix?: boolean;
  interactive?: number;
  targets?: TargetSet;
  promptMix?: PromptMix;
  largeTargetPrompts?: PromptMix;
  qualities?: readonly Quality[];
  zoom?: number;
  zoomShare?: number;
  loss?: LossWeights;
  initPartial?: boolean;
  initExclude?: string;
}

/**
 * The registered task a run trains: the config itself, or, with --parser/--masking/--encoder/--augment, that
 * One-Prompt variant, registered on first use under a name that says what it is ("tiny128+masking=binary+augment").
 */
export function trainTaskName(
  o: Pick<
    TrainCliOptions,
    | 'config'
    | 'parser'
    | 'masking'
    | 'encoder'
    | 'augment'
    | 'warp'
    | 'warpMix'
    | 'interactive'
    | 'targets'
    | 'promptMix'
    | 'largeTargetPrompts'
    | 'qualities'
    | 'zoom'
    | 'zoomShare'
  >,
): string {
  // The variant options, named once: any of them set makes the run a One-Prompt variant.
  const variant: OnePromptTaskOptions = {
    parser: o.parser,
    masking: o.masking,
    encoder: o.encoder,
    augment: o.augment,
    warp: o.warp,
    warpMix: o.warpMix,
    interactive: o.interactive,
    targets: o.targets,
    promptMix: o.promptMix,
    largeTargetPrompts: o.largeTargetPrompts,
    qualities: o.qualities,
    zoom: o.zoom === undefined ? undefined : { factor: o.zoom, share: o.zoomShare ?? DEFAULT_ZOOM_SHARE },
  };
  if (o.zoomShare !== undefined && o.zoom === undefined) throw new Error('--zoom-share is the share of pairs zoomed in: add --zoom');
  if (Object.values(variant).every((v) => v === undefined || v === false)) return o.config;
  // Plain Errors: thrown from the action, not from commander's parsing, so main() prints them (commander prints only
  // the errors of its own parsing).
  if (!(o.config in configs))
    throw new Error(
      `--parser, --masking, --encoder, --augment, --warp, --warp-mix, --interactive, --targets, --prompt-mix, --large-target-prompts, --qualities and --zoom apply to the One-Prompt configurations (${Object.keys(configs).join(', ')}), not to '${o.config}'`,
    );
  if (o.warp !== undefined && !o.augment) throw new Error("--warp scales the augmentation's spatial warp: add --augment");
  if (o.warpMix && !o.augment) throw new Error("--warp-mix varies the augmentation's spatial warp: add --augment");
  const task = onePromptTask(o.config as ConfigName, variant);
  if (!taskNames().includes(task.name)) registerTask(task);
  return getTask(task.name).name;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model configuration on ONNX Runtime or tfjs; writes checkpoints, a loss log and curve, and the trained ONNX model to --out')
    .requiredOption('--config <name>', `model configuration (registered: ${taskNames().join(', ')})`)
    .requiredOption('--data <dir>', 'training data folder (the blobs config takes "synthetic" or "synthetic:N")')
    .requiredOption('--out <run_dir>', 'run folder: last.safetensors, loss.jsonl, loss.png, model.onnx, run.json')
    .option('--epochs <n>', 'passes over the data', positiveInt('--epochs'), 1)
    .option('--steps <n>', 'train exactly N steps (instead of --epochs)', positiveInt('--steps'))
    .option('--batch <b>', 'samples per step', positiveInt('--batch'), 4)
    .option('--lr <x>', 'peak learning rate (linear warm-up, then cosine decay)', positiveNumber, 1e-3)
    .option(
      '--backend <name>',
      `ort (ONNX Runtime runs one emitted training-step model per step), tfjs (the first of ${BACKEND_NAMES.join(', ')} that starts) or one of those by name; auto: ort, else tfjs`,
      backendArg,
      'auto',
    )
    .option('--device <device>', 'ONNX Runtime device: cpu or cuda (falls back to cpu with a warning; see docs/cuda.md)', deviceArg, 'cpu')
    .option('--threads <n>', 'ONNX Runtime threads (default: the number of cores)', positiveInt('--threads'))
    .option('--resume', 'continue RUN_DIR from its last checkpoint (same weights, optimiser state and data order)')
    .option('--seed <n>', 'seed of the initial weights and of the data order', nonNegativeInt('--seed'), 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints (default: an epoch, at most 100)', positiveInt('--checkpoint-every'))
    .option('--freeze <prefixes>', 'comma-separated parameter-path prefixes to keep fixed, e.g. encoder.')
    .option('--warmup <n>', 'warm-up steps (default 5% of the run)', nonNegativeInt('--warmup'))
    .addOption(new Option('--parser <step>', 'One-Prompt configs: Prompt-Parser prompting step (as compile)').choices(['add', 'concat-mlp', 'stack-mlp']))
    .addOption(new Option('--masking <step>', 'One-Prompt configs: Prompt-Parser masking step (as compile)').choices(['add', 'binary', 'norm', 'gaussian']))
    .addOption(new Option('--encoder <kind>', 'One-Prompt configs: image encoder (as compile)').choices(['cnn', 'vit']))
    .option('--augment', 'One-Prompt configs: template and query as two patients, each with its own warp and intensity change (src/app/data/augment.ts)')
    .option(
      '--warp <f>',
      "One-Prompt configs, with --augment: the spatial warp's ranges (rotation, scale, shear, translation, elastic) times f (default 1; 0: intensity changes only)",
      fractionOrMore,
    )
    .option(
      '--warp-mix',
      "One-Prompt configs, with --augment: each pair's warp scaled by its own factor drawn from [0, 1], so pairs range from aligned (two registered scans) to fully warped",
    )
    .option('--interactive <f>', 'One-Prompt configs: share of interactive samples, template = query prompted on its own mask (default 0.3)', fraction)
    .addOption(
      new Option(
        '--targets <set>',
        'One-Prompt configs, a dataset from `dataset from-labels --coarse`: train on all tasks, only the large targets (brain, hemispheres, regions) or only the atlas structures',
      ).choices(['all', 'large', 'structures']),
    )
    .option(
      '--prompt-mix <weights>',
      'One-Prompt configs: how often each prompt type is simulated, TYPE=WEIGHT comma-separated, e.g. "click=3,bbox=1,doodle=1,seglab=1" (clicks half the time; a type not named is not drawn; default: all four equally)',
      promptMixArg,
    )
    .option(
      '--large-target-prompts <weights>',
      'One-Prompt configs, a dataset from `dataset from-labels --coarse`: the prompt mix for its large targets (brain, hemispheres, regions), e.g. "bbox=1,seglab=1" (a click on a structure then asks for that structure, not the region or brain around it; default: --prompt-mix)',
      promptMixArg,
    )
    .option(
      '--qualities <levels>',
      `One-Prompt configs: the simulated prompt qualities, drawn uniformly per sample, comma-separated from ${QUALITIES.join(', ')} (src/app/data/simulate.ts; default: oracle,high,medium)`,
      qualitiesArg,
    )
    .option(
      '--zoom <factor>',
      "One-Prompt configs: zoom in on the prompt: for a share of the pairs (--zoom-share) template and query are cropped alike around the template's structure and enlarged by a factor drawn from [1, factor] (src/app/data/zoom.ts)",
      zoomFactorArg,
    )
    .option('--zoom-share <f>', `with --zoom: the share of pairs zoomed in (default ${DEFAULT_ZOOM_SHARE})`, fraction)
    .option(
      '--init-partial',
      'with --init: take the parameters the file has with the same name and shape, keep the seeded values of the others (another variant, a new module) and list them',
    )
    .option(
      '--init-exclude <prefixes>',
      'with --init: comma-separated parameter-path prefixes that keep their seeded values (implies --init-partial), e.g. decoder.0.parser.,decoder.1.parser.',
    )
    .option(
      '--loss <weights>',
      'loss: cross-entropy weight, soft-Dice weight, positive-pixel weight of the cross-entropy, focal exponent, e.g. "dice=2,pos=10,focal=2" (default ce=1,dice=1,pos=1,focal=0: the paper\'s sum)',
      lossArg,
    )
    .option(
      '--init <file>',
      'fine-tune: start from these weights (.safetensors, or a compiled float32 .onnx of the same config, such as the shipped oneprompt-default.onnx) with a fresh optimiser',
    )
    .addOption(maxPixelsOption())
    .addOption(maxVoxelsOption())
    .action(async (o: TrainCliOptions) => {
      await withLimits(o, () =>
        runTrainingJob({
          config: trainTaskName(o),
          data: o.data,
          out: o.out,
          epochs: o.epochs,
          steps: o.steps,
          batch: o.batch,
          lr: o.lr,
          backend: o.backend,
          device: o.device,
          threads: o.threads,
          resume: o.resume,
          seed: o.seed,
          checkpointEvery: o.checkpointEvery,
          freeze:
            o.freeze === undefined
              ? undefined
              : o.freeze
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
          warmupSteps: o.warmup,
          init: o.init,
          loss: o.loss,
          initPartial:
            o.initPartial || o.initExclude !== undefined
              ? {
                  exclude: o.initExclude
                    ?.split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
                }
              : undefined,
        }),
      );
    });
}
