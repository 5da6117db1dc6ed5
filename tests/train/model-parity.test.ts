// The One-Prompt model: tfjs forward (what trains) == ONNX Runtime forward (what deploys) for every
// Prompt-Parser variant (prompting × masking) of tiny, the ViT encoder, and small, over seeds and batch
// sizes, on real encoded prompts (a synthetic dataset through the training batch provider).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configs, withVariant, type MaskingStep, type OnePromptConfig, type PromptingStep } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import type { TF } from '../../src/dsl/graph.js';
import { synthesize } from '../../src/app/data/synth.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { DataRng } from '../../src/train/rng.js';
import { onePromptTask } from '../../src/app/train/one-prompt-task.js';
import { checkParity, seedsAndBatches } from '../../src/testing/parity.js';
import type { HostTensor } from '../../src/runtime/session.js';

let tf: TF;
const data: Record<number, string> = {};
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
  for (const size of [64, 256]) {
    data[size] = mkdtempSync(join(tmpdir(), `op-data-${size}-`));
    synthesize({ out: data[size], tasks: 2, images: 5, size, seed: 4 });
  }
});

/** Real model inputs: a training batch of `batch` samples drawn with `seed`. */
function feedsFor(config: OnePromptConfig, batch: number, seed: number): Record<string, HostTensor> {
  const task = { ...onePromptTask(config.name as 'tiny'), name: config.name };
  const d = task.data(data[config.size], batch) as { nextBatch: (s: number, r: DataRng) => { inputs: Record<string, HostTensor> } };
  return d.nextBatch(0, new DataRng(seed)).inputs;
}

const parity = (config: OnePromptConfig, maxBatch: number, runSeed: number) =>
  checkParity({
    tf,
    params: seedsAndBatches(maxBatch),
    numRuns: 1,
    seed: runSeed,
    graph: ({ seed, batch }) => {
      const graph = buildOnePrompt(config, seed).graph;
      return { graph, bindings: { B: batch }, feeds: feedsFor(config, batch, seed) };
    },
  });

describe('One-Prompt: tfjs forward == ONNX Runtime forward (≤ 1e-4 of the output scale)', () => {
  const parsers: PromptingStep[] = ['add', 'concat-mlp', 'stack-mlp'];
  const maskings: MaskingStep[] = ['add', 'binary', 'norm', 'gaussian'];
  parsers.forEach((parser, i) =>
    it(`tiny, ${parser} prompting, every masking step`, async () => {
      for (const [j, masking] of maskings.entries()) {
        const worst = await parity(withVariant(configs.tiny, { parser, masking }), 3, 10 * i + j);
        expect(worst.relative).toBeLessThanOrEqual(1e-4);
        expect(worst.maxAbsDiff).toBeGreaterThan(0); // both sides really ran (their float paths differ slightly)
        console.log(
          `tiny ${parser}/${masking}: max |tfjs − ORT| = ${worst.maxAbsDiff.toExponential(2)}, ${worst.relative.toExponential(2)} of the output scale`,
        );
      }
    }),
  );

  it('tiny with the ViT encoder', async () => {
    await parity(withVariant(configs.tiny, { encoder: 'vit' }), 2, 99);
  });

  it('small', async () => {
    await parity(configs.small, 1, 7);
  });
});
