// The One-Prompt configurations (graphs/oneprompt) as training tasks: the model from its config, the data
// from a dataset folder through the batch provider of src/app/data (each query paired with a template and its
// prompt drawn from the same task's template split), with every random draw taken from the loop's DataRng.
import { configs, withVariant, type ConfigName, type EncoderKind, type MaskingStep, type PromptingStep } from '../../../graphs/oneprompt/config.js';
import { DEFAULT_AUGMENT } from '../data/augment.js';
import { buildOnePrompt } from '../../../graphs/oneprompt/model.js';
import { createBatchProvider, type TrainingBatch } from '../data/batches.js';
import { readDataset, templateSplit } from '../data/dataset.js';
import { orThrow } from '../data/errors.js';
import type { Batch } from '../../train/loop.js';
import type { TrainTask } from '../../train/task.js';
import { inputDims, INPUT_NAMES } from '../../../graphs/oneprompt/contract.js';
import { OUTPUT_NAME } from '../../../graphs/oneprompt/contract.js';

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
}

/** The registered name of a variant: "tiny128+parser=add+masking=binary+augment" (the plain config name without options). */
export const onePromptTaskName = (name: ConfigName, o: OnePromptTaskOptions = {}): string =>
  [name, ...(['parser', 'masking', 'encoder'] as const).filter((k) => o[k]).map((k) => `${k}=${o[k]}`), ...(o.augment ? ['augment'] : [])].join('+');

export function onePromptTask(name: ConfigName, o: OnePromptTaskOptions = {}): TrainTask {
  const config = withVariant(configs[name], o);
  return {
    name: onePromptTaskName(name, o),
    description: `One-Prompt ${name}: ${config.size}² input, ${config.encoder} encoder, ${config.parser} prompting, ${config.masking} masking${o.augment ? ', two-patient augmentation' : ''}`,
    model: (store) => ({ graph: buildOnePrompt(config, store.seed).graph, logits: OUTPUT_NAME }),
    data: (dir, batchSize) => {
      const dataset = orThrow(readDataset(dir));
      const provider = orThrow(createBatchProvider({ dataset, geometry: { size: config.size, points: config.points }, batchSize, seed: SPLIT_SEED, selfTemplateFraction: SELF_TEMPLATE_FRACTION, augment: o.augment ? DEFAULT_AUGMENT : undefined }));
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
