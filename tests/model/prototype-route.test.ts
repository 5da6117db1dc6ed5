// The prototype route (graphs/oneprompt/prototype.ts, config.ts brain128p): the head's rungs 1 and 2 also read the
// cosine similarity of every query pixel's features to the template's features pooled under the prompt. Checked here:
// the map against a direct computation of the same formula; its parameters start at zero, so brain128r's weights give
// brain128r's output with the route (how brain128p is fine-tuned from the shipped brain128r); the pair carries the
// template's levels the route reads and gives the one-file logits once the route's weights are not zero.
import { describe, expect, it } from 'vitest';
import { brain128p, brain128r } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { prototypeMatch } from '../../graphs/oneprompt/prototype.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { buildOnePromptPair } from '../../graphs/oneprompt/split.js';
import { mulberry32 } from '../../src/util/rng.js';
import { build, input } from '../../src/dsl/index.js';
import { emit } from '../../src/onnx/emit.js';
import { hostTensor, Model, type HostTensor } from '../../src/runtime/session.js';
import { zeroStartedParams } from './added-params.js';
import { graphLogits, maxDiff, runPair } from './run-model.js';

/** The route's formula written out plainly, for one item: C channels on an H×H plane, weights on the plane. */
function referenceSimilarity(t: Float32Array, q: Float32Array, w: Float32Array, C: number, P: number): Float32Array {
  const centred = (f: Float32Array) => {
    const out = new Float32Array(f.length);
    for (let c = 0; c < C; c++) {
      let m = 0;
      for (let i = 0; i < P; i++) m += f[c * P + i] / P;
      for (let i = 0; i < P; i++) out[c * P + i] = f[c * P + i] - m;
    }
    return out;
  };
  const ct = centred(t);
  const cq = centred(q);
  const wsum = w.reduce((a, v) => a + v, 0);
  const proto = Array.from({ length: C }, (_, c) => {
    let s = 0;
    for (let i = 0; i < P; i++) s += ct[c * P + i] * w[i];
    return s / (wsum + 1e-6);
  });
  const pn = Math.sqrt(proto.reduce((a, v) => a + v * v, 0) + 1e-6);
  return Float32Array.from({ length: P }, (_, i) => {
    let dot = 0;
    let qn = 0;
    for (let c = 0; c < C; c++) {
      dot += cq[c * P + i] * proto[c];
      qn += cq[c * P + i] ** 2;
    }
    return dot / (Math.sqrt(qn + 1e-6) * pn);
  });
}

describe('the prototype route (brain128p)', () => {
  it('is the cosine similarity to the masked mean of the centred template features, in the prompt type’s channel', async () => {
    const B = 2;
    const C = 3;
    const H = 5;
    const P = H * H;
    const template = input('template', [B, C, H, H]);
    const query = input('query', [B, C, H, H]);
    const weights = input('weights', [B, 1, H, H]);
    const type = input('type', [B, 4]);
    const graph = build({ name: 'prototype', inputs: { template, query, weights, type }, outputs: { out: prototypeMatch(template, query, weights, type) } });
    const r = mulberry32(7);
    const t = Float32Array.from({ length: B * C * P }, () => r() * 2 - 1);
    const q = Float32Array.from({ length: B * C * P }, () => r() * 2 - 1);
    // Item 0: a 2×2 patch marked; item 1: nothing marked (p = 0, so the map is 0).
    const w = Float32Array.from({ length: B * P }, (_, i) => (i < P && Math.floor(i / H) < 2 && i % H < 2 ? 1 : 0));
    const types = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 0]); // doodle, click
    const out = (
      await Model.runOnce(emit(graph), {
        template: hostTensor(t, [B, C, H, H]),
        query: hostTensor(q, [B, C, H, H]),
        weights: hostTensor(w, [B, 1, H, H]),
        type: hostTensor(types, [B, 4]),
      })
    ).out.data as Float32Array;
    expect(out.length).toBe(B * 4 * P);
    const want = referenceSimilarity(t.subarray(0, C * P), q.subarray(0, C * P), w.subarray(0, P), C, P);
    const channel = (b: number, k: number) => out.subarray((b * 4 + k) * P, (b * 4 + k + 1) * P);
    expect(maxDiff(channel(0, 2), want)).toBeLessThan(1e-5);
    expect(want.some((v) => Math.abs(v) > 0.3)).toBe(true); // not a map of zeros that trivially agrees
    for (const k of [0, 1, 3]) expect(channel(0, k).every((v) => v === 0)).toBe(true);
    for (let k = 0; k < 4; k++) expect(channel(1, k).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('adds only zero-initialised parameters under head.up.{1,2}.prototype to brain128r, which then gives brain128r’s logits', async () => {
    const plain = buildOnePrompt(brain128r, 4).graph;
    const routed = buildOnePrompt(brain128p, 4).graph;
    const added = zeroStartedParams(plain, routed);
    expect(added.map((p) => p.name).sort()).toEqual(['head.up.1.prototype', 'head.up.2.prototype'].flatMap((s) => [`${s}.bias`, `${s}.weight`]).sort());
    expect(added.find((p) => p.name === 'head.up.2.prototype.weight')?.shape).toEqual([brain128p.widths[2], 4, 3, 3]);

    const feeds = randomModelInputs(brain128p, 2, 5);
    expect(maxDiff(await graphLogits(plain, feeds), await graphLogits(routed, feeds))).toBeLessThan(1e-5);
  });

  it('once trained, moves the logits with the prompt, and the pair (with the template’s levels 1 and 2) gives the one-file logits', async () => {
    const model = buildOnePrompt(brain128p, 3);
    const r = mulberry32(3);
    for (const p of model.graph.params.filter((x) => x.name.includes('.prototype.')))
      p.set(Float32Array.from({ length: p.values().length }, () => (r() - 0.5) * 0.4));
    const S = brain128p.size;
    const feeds: Record<string, HostTensor> = {
      ...randomModelInputs(brain128p, 2, 9),
      prompt_type: hostTensor(Float32Array.from([1, 0, 0, 0, 0, 0, 0, 1]), [2, 4]),
    };
    const mask = (x0: number) =>
      hostTensor(
        Float32Array.from({ length: 2 * S * S }, (_, i) =>
          i % S >= x0 && i % S < x0 + 12 && Math.floor((i % (S * S)) / S) >= 50 && Math.floor((i % (S * S)) / S) < 62 ? 1 : 0,
        ),
        [2, 1, S, S],
      );
    const one = await graphLogits(model.graph, { ...feeds, prompt_mask: mask(20) });
    const moved = await graphLogits(model.graph, { ...feeds, prompt_mask: mask(80) });
    expect(maxDiff(one, moved)).toBeGreaterThan(1e-3);

    const pair = buildOnePromptPair(brain128p, model.store);
    const decoderInputs = pair.decoder.graph.inputs.map((i) => i.name);
    expect(decoderInputs.filter((n) => n.startsWith('template_features_')).sort()).toEqual(['template_features_1', 'template_features_2']);
    const got = await runPair(emit(pair.encoder.graph), emit(pair.decoder.graph), { ...feeds, prompt_mask: mask(20) }, decoderInputs);
    expect(maxDiff(got, one) / Math.max(1, ...one.map(Math.abs))).toBeLessThan(1e-5);
  });
});
