// The One-Prompt configurations (graphs/oneprompt) as training tasks: the model from its config, the data
// from a dataset folder through the batch provider of src/data (each query paired with a template and its
// prompt drawn from the same task's template split), with every random draw taken from the loop's DataRng.
import { configs, type ConfigName } from '../../../graphs/oneprompt/config.js';
import { buildOnePrompt, OUTPUT_NAME } from '../../../graphs/oneprompt/model.js';
import { createBatchProvider, type TrainingBatch } from '../../data/batches.js';
import { readDataset, templateSplit } from '../../data/dataset.js';
import { orThrow } from '../../data/errors.js';
import { inputDims, INPUT_NAMES } from '../../data/model-inputs.js';
import type { Batch } from '../loop.js';
import type { TrainTask } from '../task.js';

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

export function onePromptTask(name: ConfigName): TrainTask {
  const config = configs[name];
  return {
    name,
    description: `One-Prompt ${name}: ${config.size}² input, ${config.encoder} encoder, ${config.parser} prompting, ${config.masking} masking`,
    model: (store) => ({ graph: buildOnePrompt(config, store.seed).graph, logits: OUTPUT_NAME }),
    data: (dir, batchSize) => {
      const dataset = orThrow(readDataset(dir));
      const provider = orThrow(createBatchProvider({ dataset, geometry: { size: config.size, points: config.points }, batchSize, seed: SPLIT_SEED, selfTemplateFraction: SELF_TEMPLATE_FRACTION }));
      orThrow(provider.preload());
      const tasks = dataset.tasks.filter((t) => provider.tasks.includes(t.name));
      const queries = tasks.reduce((n, t) => n + templateSplit(t, SPLIT_SEED).queries.length, 0);
      return {
        samplesPerEpoch: queries,
        nextBatch: (step, rng) => toBatch(provider.batch(step, () => rng.next())),
        summary: `${dir}: ${tasks.length} training task(s), ${queries} queries an epoch, each paired with a random template of its task`,
      };
    },
  };
}
