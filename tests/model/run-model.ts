// Running a One-Prompt graph, or an encoder/decoder pair, once in ONNX Runtime: the tests that compare logits share these.
import { expect } from 'vitest';
import { IMAGE_NAME, OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';
import { emit } from '../../src/onnx/emit.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import type { Graph } from '../../src/dsl/index.js';

/** A one-file model graph run once on the inputs: its mask logits. */
export async function graphLogits(graph: Graph, inputs: Record<string, HostTensor>): Promise<Float32Array> {
  const model = await Model.load(emit(graph), { threads: 2 });
  try {
    return (await model.run(inputs))[OUTPUT_NAME].data as Float32Array;
  } finally {
    await model.release();
  }
}

/** decoder(encoder(query), encoder(template), prompt): the decoder's `query_X` / `template_X` inputs are the encoder's X. */
export async function runPair(
  encoder: Uint8Array,
  decoder: Uint8Array,
  feeds: Record<string, HostTensor>,
  decoderInputs: readonly string[],
): Promise<Float32Array> {
  const q = await Model.runOnce(encoder, { [IMAGE_NAME]: feeds.query });
  const t = await Model.runOnce(encoder, { [IMAGE_NAME]: feeds.template });
  const dfeeds: Record<string, HostTensor> = {};
  for (const name of decoderInputs) {
    const [, role, part] = /^(query|template)_(.+)$/.exec(name) ?? [];
    dfeeds[name] = role === 'query' ? q[part] : role === 'template' ? t[part] : feeds[name];
    expect(dfeeds[name], `decoder input ${name}`).toBeDefined();
  }
  return (await Model.runOnce(decoder, dfeeds))[OUTPUT_NAME].data as Float32Array;
}

/** The largest |a − b| over elements from..to (default all): how far two logit arrays are apart. */
export function maxDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
