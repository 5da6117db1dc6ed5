// The raster route (config.ts, brain128r): the mask head reads prompt_mask (the prompt drawn at pixel resolution) once
// per prompt type. Its parameters start at zero, so weights trained without it give the same output with it (which is
// how brain128r was fine-tuned from brain128); once they are not zero, the drawn prompt moves the output, and only
// for the prompt type it was drawn for. Models without the route ignore prompt_mask for Click, BBox and Doodle.
import { describe, expect, it } from 'vitest';
import { brain128, brain128r } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { hostTensor, type HostTensor } from '../../src/runtime/session.js';
import { zeroStartedParams } from './added-params.js';
import { graphLogits, maxDiff } from './run-model.js';

const S = brain128.size;

/** Inputs of batch 2 with item 0 a click and item 1 a box, each with the given drawing in prompt_mask. */
function clickAndBox(drawing: (b: number, x: number, y: number) => number): Record<string, HostTensor> {
  const inputs = randomModelInputs(brain128, 2, 11);
  const mask = new Float32Array(2 * S * S);
  for (let b = 0; b < 2; b++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) mask[b * S * S + y * S + x] = drawing(b, x, y);
  return { ...inputs, prompt_type: hostTensor(Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]), [2, 4]), prompt_mask: hostTensor(mask, [2, 1, S, S]) };
}
const dot = (b: number, x: number, y: number) => (b === 0 && Math.abs(x - 40) <= 1 && Math.abs(y - 70) <= 1 ? 1 : 0);
const box = (b: number, x: number, y: number) => (b === 1 && x >= 20 && x < 60 && y >= 30 && y < 50 ? 1 : 0);

describe('the raster route (brain128r)', () => {
  it('adds only zero-initialised parameters under head.*.raster to brain128', () => {
    const added = zeroStartedParams(buildOnePrompt(brain128, 4).graph, buildOnePrompt(brain128r, 4).graph);
    expect(added.map((p) => p.name).sort()).toEqual(
      ['head.raster', 'head.up.0.raster', 'head.up.1.raster', 'head.up.2.raster', 'head.up.3.raster'].flatMap((s) => [`${s}.bias`, `${s}.weight`]).sort(),
    );
    // Each rung reads the 4 type channels (3×3 conv to the rung's width), the logits 4 → 1.
    expect(added.find((p) => p.name === 'head.up.0.raster.weight')?.shape).toEqual([brain128.widths[0], 4, 3, 3]);
    expect(added.find((p) => p.name === 'head.raster.weight')?.shape).toEqual([1, 4, 3, 3]);
  });

  it("gives brain128's output while its parameters are zero, and follows the drawing once they are not", async () => {
    const plain = buildOnePrompt(brain128, 4).graph;
    const routed = buildOnePrompt(brain128r, 4).graph;
    const drawn = clickAndBox((b, x, y) => dot(b, x, y) || box(b, x, y));
    const blank = clickAndBox(() => 0);
    const reference = await graphLogits(plain, drawn);
    // brain128 reads prompt_mask only for SegLab: a drawing on a click or a box changes nothing.
    expect(maxDiff(reference, await graphLogits(plain, blank))).toBe(0);
    // The same parameters (same seed, same names) with the route at zero: the same output.
    expect(maxDiff(reference, await graphLogits(routed, drawn))).toBeLessThan(1e-5);

    // Route weights set: the logits term reads the click channel (0) only, +1 per drawn pixel under the 3×3 kernel.
    const weight = routed.params.find((p) => p.name === 'head.raster.weight')!;
    const w = new Float32Array(weight.values().length);
    for (let k = 0; k < 9; k++) w[k] = 1; // out 0, in 0 (click), all 9 taps
    weight.set(w);
    const withDot = await graphLogits(routed, drawn);
    const withoutDot = await graphLogits(routed, blank);
    // Item 0 (click): the logit at the dot's centre rises by 9 (all nine taps on drawn pixels), 3 px away by 0.
    const at = (out: Float32Array, b: number, x: number, y: number) => out[b * S * S + y * S + x];
    expect(at(withDot, 0, 40, 70) - at(withoutDot, 0, 40, 70)).toBeCloseTo(9, 4);
    expect(at(withDot, 0, 44, 70) - at(withoutDot, 0, 44, 70)).toBeCloseTo(0, 5);
    // Item 1 (box): the click channel is gated off by the type, so its box drawing changes nothing.
    expect(maxDiff(withDot, withoutDot, S * S, 2 * S * S)).toBe(0);
  });
});
