// `train --prompt-mix` (issue 14): how often each prompt type is simulated. The parser names what is wrong, the draw
// gives each type its share, and a batch provider with a mix draws the types in those shares and nothing else.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePromptMix, drawFromMix, parsePromptMix, promptMixName } from '../../src/app/data/prompt-mix.js';
import { createBatchProvider } from '../../src/app/data/batches.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { synthesize } from '../../src/app/data/synth.js';
import { mulberry32 } from '../../src/util/rng.js';

const left = <L, R>(e: E.Either<L, R>): L => {
  if (E.isRight(e)) throw new Error(`expected a Left, got ${JSON.stringify(e.right)}`);
  return e.left;
};

describe('prompt mix', () => {
  it('parses TYPE=WEIGHT items and names what is wrong', () => {
    expect(parsePromptMix('click=3, bbox=1,doodle=1,seglab=1')).toEqual(E.right({ click: 3, bbox: 1, doodle: 1, seglab: 1 }));
    expect(parsePromptMix('seglab=0.5,click=2')).toEqual(E.right({ seglab: 0.5, click: 2 }));
    expect(left(parsePromptMix('clicks=3'))).toBe("unknown prompt type 'clicks' in 'clicks=3' (expected click, bbox, doodle, seglab)");
    expect(left(parsePromptMix('click=3,click=1'))).toBe('click is given twice');
    expect(left(parsePromptMix('click=-1'))).toBe('the weight of click must be a finite number ≥ 0, got -1');
    expect(left(parsePromptMix('click=1e999'))).toBe("the weight of click must be a finite number, got '1e999'");
    expect(parsePromptMix('click = 2,')).toEqual(E.right({ click: 2 })); // spaces around '=' and a trailing comma, as --type-bias
    expect(left(parsePromptMix('click'))).toBe("expected TYPE=WEIGHT items, comma-separated (e.g. click=3,bbox=1), got 'click'");
    expect(left(parsePromptMix('click=0,bbox=0'))).toBe('at least one prompt type needs a weight above 0');
    expect(left(parsePromptMix(''))).toBe('at least one prompt type needs a weight above 0');
  });

  it('names and describes a mix in the prompt types’ order, leaving out weight 0', () => {
    const mix = { seglab: 1, click: 3, bbox: 0, doodle: 1 };
    expect(promptMixName(mix)).toBe('click3-doodle1-seglab1');
    expect(describePromptMix(mix)).toBe('click 60%, doodle 20%, seglab 20%');
  });

  it('draws each type in its share, and a weight-0 type never', () => {
    const draw = drawFromMix({ click: 3, bbox: 1, doodle: 0, seglab: 1 });
    const rng = mulberry32(5);
    const counts: Record<string, number> = {};
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const t = draw(rng());
      counts[t] = (counts[t] ?? 0) + 1;
    }
    expect(counts.doodle).toBeUndefined();
    expect(counts.click / n).toBeCloseTo(0.6, 1);
    expect(counts.bbox / n).toBeCloseTo(0.2, 1);
    expect(counts.seglab / n).toBeCloseTo(0.2, 1);
    // The ends of [0, 1): the first type at 0, the last one just below 1 (and at 1 by rounding, not past the list).
    expect([draw(0), draw(0.9999999), draw(1)]).toEqual(['click', 'seglab', 'seglab']);
  });

  describe('in training batches', () => {
    const root = mkdtempSync(join(tmpdir(), 'mix-'));
    synthesize({ out: root, tasks: 2, images: 6, size: 32, seed: 4 });
    const dataset = E.getOrElseW((e) => {
      throw new Error(String(e));
    })(readDataset(root));
    const g = { size: 32, points: 8 };

    it('draws the mixed types in their shares', () => {
      const p = createBatchProvider({ dataset, geometry: g, batchSize: 16, seed: 2, promptMix: { click: 1, seglab: 3 } });
      if (E.isLeft(p)) throw new Error(p.left.message);
      const types = Array.from({ length: 20 }, (_, step) => p.right.batch(step).samples.map((s) => s.promptType)).flat();
      expect(new Set(types)).toEqual(new Set(['click', 'seglab']));
      const clicks = types.filter((t) => t === 'click').length / types.length;
      // 320 draws with p = 0.25: 0.25 ± 0.1 is over four standard deviations.
      expect(clicks).toBeGreaterThan(0.15);
      expect(clicks).toBeLessThan(0.35);
    });

    it('refuses a mix with the prompt types, or a mix with nothing to draw', () => {
      const both = createBatchProvider({ dataset, geometry: g, batchSize: 2, seed: 2, promptMix: { click: 1 }, promptTypes: ['click'] });
      expect(E.isLeft(both) && both.left.message).toMatch(/the prompt types or a prompt mix, not both/);
      const none = createBatchProvider({ dataset, geometry: g, batchSize: 2, seed: 2, promptMix: { click: 0 } });
      expect(E.isLeft(none) && none.left.message).toMatch(/prompt mix: at least one prompt type needs a weight above 0/);
    });

    it('gives some tasks a mix of their own, the others the common draw', () => {
      const [a, b] = dataset.tasks.map((t) => t.name);
      const p = createBatchProvider({ dataset, tasks: [a, b], geometry: g, batchSize: 16, seed: 2, promptMixByTask: new Map([[a, { seglab: 1 }]]) });
      if (E.isLeft(p)) throw new Error(p.left.message);
      const samples = Array.from({ length: 10 }, (_, step) => p.right.batch(step).samples).flat();
      expect(new Set(samples.filter((s) => s.task === a).map((s) => s.promptType))).toEqual(new Set(['seglab']));
      expect(new Set(samples.filter((s) => s.task === b).map((s) => s.promptType))).toEqual(new Set(['click', 'bbox', 'doodle', 'seglab']));
      const bad = createBatchProvider({ dataset, geometry: g, batchSize: 2, seed: 2, promptMixByTask: new Map([[a, { seglab: -1 }]]) });
      expect(E.isLeft(bad) && bad.left.message).toBe(`prompt mix of task ${a}: the weight of seglab must be a finite number ≥ 0, got -1`);
    });

    it('leaves the data order of a run without a mix as it was', () => {
      const plain = createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 2 });
      const even = createBatchProvider({ dataset, geometry: g, batchSize: 8, seed: 2, promptMix: { click: 1, bbox: 1, doodle: 1, seglab: 1 } });
      if (E.isLeft(plain) || E.isLeft(even)) throw new Error('provider');
      // An even mix takes the same one uniform per type draw: the same tasks, queries and templates.
      const pick = (b: ReturnType<typeof plain.right.batch>) => b.samples.map((s) => [s.task, s.query, s.template, s.promptType]);
      expect(pick(even.right.batch(3))).toEqual(pick(plain.right.batch(3)));
    });
  });
});
