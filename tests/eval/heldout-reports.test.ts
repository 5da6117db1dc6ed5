// docs/eval holds the shipped model's `eval --json` reports on the held-out structures (issue 14's "must show").
// They must belong to the model that ships: docs/eval/README.md names its graph sha256, which new weights change, so
// shipping a new default without making the reports again fails here (re-emitting the same weights does not). They
// must be eval reports of the same 80 tasks, and agree with the README's held-out table, which the same eval fills.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readComparableEval } from '../../src/app/eval/compare.js';
import { PROMPT_TYPES } from '../../src/app/data/prompt.js';
import { graphSha256 } from '../model/model-numbers.js';
import * as E from 'fp-ts/lib/Either.js';

const MODEL = 'compiled/oneprompt-default.onnx';
const report = (p: string) => `docs/eval/heldout-${p}.json`;
const read = (p: string) =>
  JSON.parse(readFileSync(report(p), 'utf8')) as {
    tasks: { task: string }[];
    mean: { model: number };
    selectivity: { model: number };
  };

/** The README's held-out table (the first after its "| held-out structures |" header): prompt → [Dice, selectivity]. */
function readmeHeldOut(): Map<string, [number, number]> {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('| held-out structures |'));
  expect(start, 'README has no held-out table').toBeGreaterThan(0);
  const rows = new Map<string, [number, number]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    // | prompt | model [before] | copy | grow | selectivity: model [before] | ...
    rows.set(cells[1], [Number.parseFloat(cells[2]), Number.parseFloat(cells[5])]);
  }
  return rows;
}

describe('docs/eval: the held-out reports of the shipped model', () => {
  it('name the graph sha256 of the model that ships', () => {
    const sha = graphSha256(readFileSync(MODEL));
    const named = /graph sha256 `([0-9a-f]{16})…`/.exec(readFileSync('docs/eval/README.md', 'utf8'));
    expect(named, 'docs/eval/README.md names no graph sha256').not.toBeNull();
    expect(sha.startsWith(named![1]), `${MODEL} is not the model docs/eval was made with: make the reports again (docs/eval/README.md)`).toBe(true);
  });

  it('are eval reports of the same 80 held-out tasks, one per prompt type', () => {
    const names = PROMPT_TYPES.map((p) => {
      const r = readComparableEval(read(p), report(p));
      if (E.isLeft(r)) throw new Error(r.left);
      return r.right.tasks.map((t) => t.task);
    });
    expect(names[0]).toHaveLength(80);
    for (const n of names.slice(1)) expect(n).toEqual(names[0]);
  });

  it("agree with the README's held-out table to the digit shown", () => {
    const table = readmeHeldOut();
    for (const p of PROMPT_TYPES) {
      const r = read(p);
      expect(table.get(p), `README's held-out table has no ${p} row`).toEqual([Number(r.mean.model.toFixed(1)), Number(r.selectivity.model.toFixed(1))]);
    }
  });
});
