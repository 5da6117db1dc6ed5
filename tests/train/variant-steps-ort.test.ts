// Every One-Prompt variant trains on ONNX Runtime: each Prompt-Parser × masking × encoder combination (the paper's
// ablations, tiny) has a gradient rule for every op on its loss's path, so its training step builds; and for the
// variants whose ops differ most from the default (the ViT encoder; binary and norm masking; the add parser), a few
// steps on ONNX Runtime give tfjs's losses.
import { beforeAll, describe, expect, it } from 'vitest';
import { configs, withVariant, type EncoderKind, type MaskingStep, type PromptingStep } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import type { TF } from '../../src/dsl/graph.js';
import { DataRng } from '../../src/train/rng.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { TfjsEngine, type TrainEngine } from '../../src/train/engine.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { OrtEngine } from '../../src/train/ort/engine.js';
import { buildTrainingStep } from '../../src/train/ort/step-graph.js';
import { warmupCosine } from '../../src/train/schedule.js';
import { OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

const parsers: PromptingStep[] = ['add', 'concat-mlp', 'stack-mlp'];
const maskings: MaskingStep[] = ['add', 'binary', 'norm', 'gaussian'];
const encoders: EncoderKind[] = ['cnn', 'vit'];

describe('every One-Prompt variant has a training step', () => {
  it('builds for each parser × masking × encoder (tiny)', () => {
    for (const parser of parsers)
      for (const masking of maskings)
        for (const encoder of encoders) {
          const { graph } = buildOnePrompt(withVariant(configs.tiny, { parser, masking, encoder }), 0);
          const step = buildTrainingStep({ graph, logits: OUTPUT_NAME, schedule: { lr: 1e-3, totalSteps: 10 } });
          // Every parameter gets a gradient: the loss reaches each through ops that all have gradient rules. Except
          // under binary masking, which thresholds the parser's mask (no gradient, as on tfjs): the parameters that
          // only make that mask get none.
          expect(step.trainable.length).toBe(graph.params.filter((p) => p.trainable).length);
          const untouched = step.untouched.map((p) => p.name);
          if (masking !== 'binary') expect(untouched, `${parser}/${masking}/${encoder}`).toEqual([]);
          else if (parser !== 'add') {
            expect(untouched.length, `${parser}/binary/${encoder}`).toBeGreaterThan(0);
            for (const name of untouched) expect(name).toMatch(/^decoder\.\d+\.parser\./);
          }
        }
  });

  for (const [parser, masking, encoder] of [
    ['stack-mlp', 'gaussian', 'vit'],
    ['add', 'binary', 'cnn'],
    ['concat-mlp', 'norm', 'cnn'],
  ] as [PromptingStep, MaskingStep, EncoderKind][])
    it(`${parser} parser, ${masking} masking, ${encoder} encoder: 4 steps on ONNX Runtime give tfjs's losses`, async () => {
      const config = withVariant(configs.tiny, { parser, masking, encoder });
      const batches = Array.from({ length: 4 }, (_, i) => {
        const inputs = randomModelInputs(config, 2, 10 + i);
        const rng = new DataRng(i);
        const target = {
          dtype: 'float32' as const,
          dims: [2, 1, config.size, config.size],
          data: Float32Array.from({ length: 2 * config.size ** 2 }, () => (rng.next() < 0.3 ? 1 : 0)),
        };
        return { inputs, target };
      });
      const schedule = { lr: 1e-3, totalSteps: 4, warmupSteps: 1 };
      const losses = async (which: 'ort' | 'tfjs') => {
        const { graph } = buildOnePrompt(config, 0);
        const engine: TrainEngine =
          which === 'ort'
            ? await OrtEngine.create({ graph, logits: OUTPUT_NAME, schedule, batch: 2, threads: 2 })
            : new TfjsEngine({ executor: new TfjsExecutor(tf, graph), logits: OUTPUT_NAME, lr: warmupCosine(schedule), ownsExecutor: true });
        const out: number[] = [];
        for (let s = 0; s < 4; s++) out.push((await engine.step(batches[s], s)).loss);
        await engine.dispose();
        return out;
      };
      const [ort, tfjs] = [await losses('ort'), await losses('tfjs')];
      for (let s = 0; s < 4; s++) expect(Math.abs(ort[s] - tfjs[s]) / tfjs[s], `step ${s + 1}: ${ort[s]} vs ${tfjs[s]}`).toBeLessThan(5e-4);
      expect(tfjs[3]).not.toBe(tfjs[0]);
    }, 120_000);
});
