// The One-Prompt configurations (graphs/oneprompt) as training tasks: the model from its config, the data
// from a dataset folder through the batch provider of src/app/data (each query paired with a template and its
// prompt drawn from the same task's template split), with every random draw taken from the loop's DataRng.
import { configs, withVariant, type ConfigName, type EncoderKind, type MaskingStep, type PromptingStep } from '../../../graphs/oneprompt/config.js';
import { DEFAULT_AUGMENT, scaleWarp } from '../data/augment.js';
import { buildOnePrompt } from '../../../graphs/oneprompt/model.js';
import { createBatchProvider, type TrainingBatch } from '../data/batches.js';
import { validateZoom, type ZoomTraining } from '../data/zoom.js';
import { readDataset, templateSplit } from '../data/dataset.js';
import { orThrow } from '../data/errors.js';
import type { Batch } from '../../train/loop.js';
import type { TrainTask } from '../../train/task.js';
import { inputDims, INPUT_NAMES } from '../../../graphs/oneprompt/contract.js';
import { OUTPUT_NAME } from '../../../graphs/oneprompt/contract.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_FILE, largeTargetTaskNames, readDatasetProvenance } from '../data/dataset-provenance.js';
import { describePromptMix, promptMixName, validatePromptMix, type PromptMix } from '../data/prompt-mix.js';
import * as E from 'fp-ts/lib/Either.js';
import { validateQualities, type Quality } from '../data/simulate.js';

/** Fixed, so that which images are templates does not change with the run's seed. */
const SPLIT_SEED = 0;
/**
 * Share of interactive samples (template = query, prompted on its own mask). Without them the tiny model learned a
 * query-only "salient structure" solution that ignored template and prompt (docs/architecture.md).
 */
export const SELF_TEMPLATE_FRACTION = 0.3;

function toBatch(b: TrainingBatch): Batch {
  const dims = inputDims(b.batch, b.geometry);
  const inputs = Object.fromEntries(INPUT_NAMES.map((n) => [n, { dtype: 'float32' as const, dims: dims[n], data: b[n] }]));
  return { inputs, target: { dtype: 'float32', dims: dims.query, data: b.target } };
}

/** A Prompt-Parser / encoder variant of a configuration (as `compile --parser/--masking/--encoder`), and the data pipeline. */
export interface OnePromptTaskOptions {
  readonly parser?: PromptingStep;
  readonly masking?: MaskingStep;
  readonly encoder?: EncoderKind;
  /** Template and query as two patients (src/app/data/augment.ts, DEFAULT_AUGMENT). */
  readonly augment?: boolean;
  /** With augment: the spatial warp's ranges times this factor (default 1; scaleWarp). */
  readonly warp?: number;
  /** With augment: each pair's warp scaled by its own factor drawn from [0, 1], aligned to fully warped (warpMix). */
  readonly warpMix?: boolean;
  /** Share of interactive samples, template = query (default SELF_TEMPLATE_FRACTION). */
  readonly interactive?: number;
  /**
   * Which training tasks to draw from: 'all' (default), 'large' (only the large targets of `dataset from-labels
   * --coarse`: brain, hemispheres, regions) or 'structures' (only the atlas structures). A curriculum trains on
   * 'large' first (docs/brain-data.md).
   */
  readonly targets?: TargetSet;
  /** How often each prompt type is simulated (prompt-mix.ts; default: all four equally). */
  readonly promptMix?: PromptMix;
  /**
   * The mix for the large targets of `dataset from-labels --coarse` (brain, hemispheres, regions), e.g. boxes and
   * masks only: a click or doodle on an atlas structure also lies in the region, hemisphere and brain around it, so
   * with every type on every target a click would ask for any of them (docs/brain-data.md).
   */
  readonly largeTargetPrompts?: PromptMix;
  /** Simulated prompt qualities, drawn uniformly per sample (simulate.ts; default: oracle, high, medium). */
  readonly qualities?: readonly Quality[];
  /** Zooming in on the prompt for a share of the pairs (src/app/data/zoom.ts, ZoomTraining; default none). */
  readonly zoom?: ZoomTraining;
}

export type TargetSet = 'all' | 'large' | 'structures';

/** Task names of the large targets, from the dataset's provenance file (dataset from-labels marks them `coarse`). */
function largeTargetTasks(dir: string): Set<string> {
  const file = join(dir, DATASET_FILE);
  if (!existsSync(file))
    throw new Error(
      `${file} is missing: --targets and --large-target-prompts need a dataset built by \`oneprompt dataset from-labels --coarse\` (it marks the large targets)`,
    );
  return largeTargetTaskNames(orThrow(readDatasetProvenance(dir)));
}

/** The registered name of a variant: "tiny128+parser=add+masking=binary+augment" (the plain config name without options). */
export const onePromptTaskName = (name: ConfigName, o: OnePromptTaskOptions = {}): string =>
  [
    name,
    ...(['parser', 'masking', 'encoder'] as const).filter((k) => o[k]).map((k) => `${k}=${o[k]}`),
    ...(o.augment ? [o.warp !== undefined && o.warp !== 1 ? `augment+warp=${o.warp}` : 'augment'] : []),
    ...(o.warpMix ? ['warpmix'] : []),
    ...(o.interactive !== undefined && o.interactive !== SELF_TEMPLATE_FRACTION ? [`interactive=${o.interactive}`] : []),
    ...(o.targets && o.targets !== 'all' ? [`targets=${o.targets}`] : []),
    ...(o.promptMix ? [`prompts=${promptMixName(o.promptMix)}`] : []),
    ...(o.largeTargetPrompts ? [`large=${promptMixName(o.largeTargetPrompts)}`] : []),
    ...(o.qualities ? [`qualities=${o.qualities.join('.')}`] : []),
    ...(o.zoom ? [`zoom=${o.zoom.factor}x${o.zoom.share}`] : []),
  ].join('+');

export function onePromptTask(name: ConfigName, o: OnePromptTaskOptions = {}): TrainTask {
  const config = withVariant(configs[name], o);
  if (o.warp !== undefined && !o.augment) throw new Error('the warp factor applies to the augmentation: add --augment');
  if (o.warpMix && !o.augment) throw new Error('the warp mix applies to the augmentation: add --augment');
  const interactive = o.interactive ?? SELF_TEMPLATE_FRACTION;
  if (!(interactive >= 0 && interactive <= 1)) throw new Error(`the share of interactive samples must be in [0, 1], got ${interactive}`);
  for (const [what, m] of [
    ['the prompt mix', o.promptMix],
    ['the large targets’ prompt mix', o.largeTargetPrompts],
  ] as const) {
    const mix = m && validatePromptMix(m);
    if (mix && E.isLeft(mix)) throw new Error(`${what}: ${mix.left}`);
  }
  const qualities = o.qualities && validateQualities(o.qualities);
  if (qualities && E.isLeft(qualities)) throw new Error(qualities.left);
  const zoom = o.zoom && validateZoom(o.zoom);
  if (zoom && E.isLeft(zoom)) throw new Error(zoom.left);
  if (o.largeTargetPrompts && o.targets === 'structures') throw new Error('a prompt mix for the large targets, but --targets structures leaves them out');
  const augment = o.augment ? scaleWarp(DEFAULT_AUGMENT, o.warp ?? 1) : undefined;
  return {
    name: onePromptTaskName(name, o),
    description: `One-Prompt ${name}: ${config.size}² input, ${config.encoder} encoder, ${config.parser} prompting, ${config.masking} masking${o.augment ? `, two-patient augmentation${o.warp !== undefined && o.warp !== 1 ? ` (warp ×${o.warp})` : ''}${o.warpMix ? ', each pair warped by a random share of it' : ''}` : ''}${interactive !== SELF_TEMPLATE_FRACTION ? `, ${interactive} interactive samples` : ''}${o.targets && o.targets !== 'all' ? `, ${o.targets === 'large' ? 'large targets' : 'atlas structures'} only` : ''}${o.promptMix ? `, prompts ${describePromptMix(o.promptMix)}` : ''}${o.largeTargetPrompts ? `, on the large targets ${describePromptMix(o.largeTargetPrompts)}` : ''}${o.qualities ? `, prompt quality ${o.qualities.join(' or ')}` : ''}${o.zoom ? `, ${o.zoom.share} of the pairs zoomed in on the prompt by ×1–${o.zoom.factor}` : ''}`,
    model: (store) => ({ graph: buildOnePrompt(config, store.seed).graph, logits: OUTPUT_NAME }),
    data: (dir, batchSize) => {
      const dataset = orThrow(readDataset(dir));
      const train = dataset.split ? dataset.split.train : dataset.tasks.map((t) => t.name);
      let chosen: readonly string[] | undefined;
      const large = (o.targets && o.targets !== 'all') || o.largeTargetPrompts ? largeTargetTasks(dir) : new Set<string>();
      if (o.targets && o.targets !== 'all') {
        chosen = train.filter((t) => large.has(t) === (o.targets === 'large'));
        if (chosen.length === 0)
          throw new Error(`${dir}: no training task is ${o.targets === 'large' ? 'a large target' : 'an atlas structure'} (--targets ${o.targets})`);
      }
      // A mix for no task at all would be silently ignored.
      if (o.largeTargetPrompts && !train.some((t) => large.has(t))) throw new Error(`${dir}: no training task is a large target (--large-target-prompts)`);
      const provider = orThrow(
        createBatchProvider({
          dataset,
          tasks: chosen,
          geometry: { size: config.size, points: config.points },
          batchSize,
          seed: SPLIT_SEED,
          selfTemplateFraction: interactive,
          augment,
          warpMix: o.warpMix,
          promptMix: o.promptMix,
          promptMixByTask: o.largeTargetPrompts ? new Map(train.filter((t) => large.has(t)).map((t) => [t, o.largeTargetPrompts!])) : undefined,
          qualities: o.qualities,
          zoom: o.zoom,
        }),
      );
      orThrow(provider.preload());
      const tasks = dataset.tasks.filter((t) => provider.tasks.includes(t.name));
      const queries = tasks.reduce((n, t) => n + templateSplit(t, SPLIT_SEED).queries.length, 0);
      return {
        samplesPerEpoch: queries,
        nextBatch: (step, rng) => toBatch(provider.batch(step, () => rng.next())),
        summary: `${dir}: ${tasks.length} training task(s), ${queries} queries an epoch, each paired with a random template of its task${o.augment ? ', each side augmented on its own' : ''}`,
      };
    },
  };
}
