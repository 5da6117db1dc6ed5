// The shipped model must still segment a large target when a box asks for it: the whole brain on the bundled human
// slices (samples/mri, each slice the template for the other five), as `npm run main` and the browser tool show it.
// The atlas structures the last training stages focus on are small; a candidate trained on them alone with a lighter
// foreground weight (w3 of docs/brain-data.md) kept its held-out structures but gave the whole brain 39.6 Dice here
// (and 62 to the macaque brain's held-out slabs). This floor guards against that; it chose nothing.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runEval } from '../../src/app/cli/eval.js';
import { recordingIO } from '../../src/app/cli/io.js';

const MODEL = 'compiled/oneprompt-default.onnx';

/**
 * Dice (%), box prompts on the whole brain: the shipped model (w3L) measured 76.5 here, r11 75.6, w3 39.6; copying the
 * template's mask gives 73.1 and region growing 72.9. The floor sits 5.6–6.5 points below the two shipped models.
 */
export const WHOLE_BRAIN_BOX_FLOOR = 70;

describe('a box on the whole brain (samples/mri)', () => {
  it.skipIf(!existsSync(MODEL))(
    `${MODEL}: Dice ≥ ${WHOLE_BRAIN_BOX_FLOOR} with box prompts`,
    async () => {
      const r = await runEval(
        { model: MODEL, data: 'samples', prompt: 'bbox', quality: 'oracle', templates: 6, tasks: 'all', seed: 0, batch: 8, threads: 1 },
        recordingIO(),
      );
      expect(r.tasks.map((t) => t.task)).toEqual(['mri']);
      expect(r.tasks[0].pairs).toBe(30);
      expect(r.mean.model).toBeGreaterThanOrEqual(WHOLE_BRAIN_BOX_FLOOR);
    },
    120_000,
  );
});
