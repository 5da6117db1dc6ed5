// Comparing two eval reports of the same tasks (src/app/eval/compare.ts, `oneprompt compare`): the difference of the
// means with a paired-bootstrap interval over tasks. A constant gain on every task has an interval of exactly that
// gain; differences that cancel out have one around 0; the reports must hold the same tasks, and a malformed report
// is refused naming the file, the task and the field.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compareEvals, readComparableEval, type ComparableEval } from '../../src/app/eval/compare.js';
import { runCli, tempDir } from '../cli/run-cli.js';

/** A report: task i has Dice dice[i] and selectivity sel[i] (null: not measured). */
const report = (dice: readonly number[], sel: readonly (number | null)[] = dice.map(() => null)): ComparableEval => ({
  tasks: dice.map((d, i) => ({ task: `t${i}`, model: { dice: d }, selectivity: sel[i] === null ? null : { model: sel[i] } })),
});
const right = <T>(e: E.Either<string, T>): T => {
  if (E.isLeft(e)) throw new Error(e.left);
  return e.right;
};
const NAMES = ['a.json', 'b.json'] as const;
const base = Array.from({ length: 20 }, (_, i) => 20 + ((i * 7) % 13));

describe('compareEvals', () => {
  it('a gain of 2 on every task: difference 2, interval [2, 2], every task better', () => {
    const [dice] = right(compareEvals(report(base), report(base.map((d) => d + 2)), NAMES));
    expect(dice.metric).toBe('dice');
    expect(dice.difference).toBeCloseTo(2, 10);
    expect([dice.low, dice.high].map((v) => v.toFixed(6))).toEqual(['2.000000', '2.000000']);
    expect([dice.better, dice.worse, dice.tasks]).toEqual([20, 0, 20]);
    expect(dice.other - dice.base).toBeCloseTo(2, 10);
  });

  it('gains and losses that cancel: an interval around 0 as wide as the spread says', () => {
    const [dice] = right(compareEvals(report(base), report(base.map((d, i) => d + (i % 2 ? 3 : -3))), NAMES));
    expect(dice.difference).toBeCloseTo(0, 10);
    expect(dice.low).toBeLessThan(0);
    expect(dice.high).toBeGreaterThan(0);
    // ±3 on 20 tasks: the mean's standard error is 3/√20 ≈ 0.67, so the 95 % interval reaches about ±1.3.
    expect(dice.high).toBeGreaterThan(0.9);
    expect(dice.high).toBeLessThan(1.8);
    expect([dice.better, dice.worse]).toEqual([10, 10]);
  });

  it('selectivity over the tasks both reports measured it on; the same seed gives the same interval', () => {
    const sel = base.map((d, i) => (i < 5 ? null : d - 4));
    const a = report(base, sel);
    const b = report(
      base,
      sel.map((s, i) => (s === null ? null : s + (i % 3))),
    );
    const [, s1] = right(compareEvals(a, b, NAMES, { seed: 3 }));
    const [, s2] = right(compareEvals(a, b, NAMES, { seed: 3 }));
    expect(s1.metric).toBe('selectivity');
    expect(s1.tasks).toBe(15);
    expect(s1.difference).toBeCloseTo(15 / 15, 10); // i % 3 over i = 5..19: five each of 0, 1, 2
    expect(s1).toEqual(s2);
  });

  it('refuses reports of different tasks, naming the task and the report without it', () => {
    const b = report(base.slice(0, 19));
    expect(compareEvals(report(base), b, NAMES)).toEqual(E.left('b.json has no task t19 (of a.json): compare reports of the same tasks'));
    expect(compareEvals(b, report(base), NAMES)).toEqual(E.left('a.json has no task t19 (of b.json): compare reports of the same tasks'));
    expect(E.isLeft(compareEvals(report(base), report(base), NAMES, { resamples: 10 }))).toBe(true);
  });

  it('reads what eval --json writes and names what is missing', () => {
    expect(readComparableEval({ tasks: [] }, 'x.json')).toEqual(E.left('x.json: not an eval report (`oneprompt eval --json`): no "tasks" list'));
    expect(readComparableEval({ tasks: [{ task: 'k', model: {} }] }, 'x.json')).toEqual(E.left('x.json: task k has no finite "model.dice"'));
    expect(readComparableEval({ tasks: [{ task: 'k', model: { dice: 1 }, selectivity: {} }] }, 'x.json')).toEqual(
      E.left('x.json: task k: "selectivity" must be null or have a finite "model"'),
    );
    expect(
      E.isLeft(
        readComparableEval(
          {
            tasks: [
              { task: 'k', model: { dice: 1 }, selectivity: null },
              { task: 'k', model: { dice: 2 }, selectivity: null },
            ],
          },
          'x.json',
        ),
      ),
    ).toBe(true);
  });
});

describe('oneprompt compare', () => {
  it('prints the table with its reading, or the JSON; a missing or broken file is named', async () => {
    const dir = tempDir('compare');
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(report(base, base)));
    writeFileSync(
      b,
      JSON.stringify(
        report(
          base.map((d) => d + 2),
          base,
        ),
      ),
    );
    const r = await runCli('compare', a, b);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dice\s+20\s+\S+\s+\S+\s+\+2\.0\s+\[\+2\.0, \+2\.0\]\s+20 \/ 0\s+B higher/);
    expect(r.stdout).toMatch(/selectivity\s+20 .* \+0\.0\s+\[\+0\.0, \+0\.0\]\s+0 \/ 0\s+within noise/);
    const j = await runCli('compare', a, b, '--json');
    expect(JSON.parse(j.stdout).map((m: { metric: string }) => m.metric)).toEqual(['dice', 'selectivity']);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"tasks": [');
    const bad = await runCli('compare', a, broken);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${broken} (line 1, column 12, offset 11): malformed JSON: expected a value, found end of input`);
    const gone = await runCli('compare', join(dir, 'none.json'), b);
    expect(gone.stderr).toContain(`${join(dir, 'none.json')}: file not found`);
    // A named pipe is refused, not read (reading it would block for ever).
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const piped = await runCli('compare', fifo, b);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain(`${fifo}: is a named pipe (FIFO)`);
  });
});
