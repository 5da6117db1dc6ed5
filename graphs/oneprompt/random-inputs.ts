// Random One-Prompt model inputs (docs/model-io.md) for tests and benchmarks.
import type { OnePromptConfig } from './config.js';
import { mulberry32 } from '../../src/util/rng.js';
import { hostTensor, type HostTensor } from '../../src/runtime/session.js';

/** Random inputs following docs/model-io.md, with a random prompt type per batch item. */
export function randomModelInputs(c: OnePromptConfig, B: number, seed: number): Record<string, HostTensor> {
  const r = mulberry32(seed);
  const S = c.size;
  const K = c.points;
  const img = () => Float32Array.from({ length: B * S * S }, () => r());
  const types = new Float32Array(B * 4);
  const labels = new Float32Array(B * K);
  for (let b = 0; b < B; b++) {
    types[b * 4 + Math.floor(r() * 4)] = 1;
    for (let k = 0; k < K; k++) labels[b * K + k] = Math.floor(r() * 3);
  }
  return {
    query: hostTensor(img(), [B, 1, S, S]),
    template: hostTensor(img(), [B, 1, S, S]),
    prompt_points: hostTensor(Float32Array.from({ length: B * K * 2 }, () => r()), [B, K, 2]),
    prompt_labels: hostTensor(labels, [B, K]),
    prompt_mask: hostTensor(Float32Array.from({ length: B * S * S }, () => (r() < 0.2 ? 1 : 0)), [B, 1, S, S]),
    prompt_type: hostTensor(types, [B, 4]),
  };
}

