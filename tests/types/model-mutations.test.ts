// The mutation suite: each mistake of model-mutations.ts, made alone in a copy of the real file, is rejected by the
// compiler with the DSL's sentence on the line of the mistake or of the call that uses it, and nothing is reported
// before it (what the mistake breaks further down may be reported after it). The real files compile (npm run
// typecheck). One compile per mistake; a few run at once.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkExpectedMessagesAsync, type MessageReport } from './expect-messages.js';
import { MUTATIONS, type Mutation } from './model-mutations.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SENTENCE = /^[A-Za-z][A-Za-z0-9]*(?:[ -][A-Za-z0-9]+){0,2}: /;

/** The file's text with the mistake made and an `@ts-expect-error <sentence>` above the line where it must show. */
export function mutate(m: Mutation): string {
  const lines = readFileSync(join(ROOT, m.file), 'utf8').split('\n');
  let found = lines.flatMap((l, i) => (l.includes(m.from) ? [i] : []));
  // A line shared by several blocks (two configurations with the same widths) is taken from the block `at` opens.
  const block = m.at === undefined ? -1 : lines.findIndex((l) => l.includes(m.at!));
  if (found.length > 1 && block >= 0) found = found.filter((k) => k > block).slice(0, 1);
  if (found.length !== 1) throw new Error(`mutation '${m.what}': '${m.from}' is on ${found.length} lines of ${m.file}, not one (did the model change?)`);
  const i = found[0];
  lines[i] = lines[i].replace(m.from, m.to);
  // The call that uses the mistake: the first line with `at` from the mutated one on, else the nearest above it
  // (a configuration's fields sit below the `defineConfig(` that checks them).
  let at = m.at === undefined ? i : lines.findIndex((l, k) => k >= i && l.includes(m.at!));
  for (let k = i - 1; at < 0 && k >= 0; k--) if (lines[k].includes(m.at!)) at = k;
  if (at < 0) throw new Error(`mutation '${m.what}': no line with '${m.at}' in ${m.file}`);
  lines.splice(at, 0, `${/^\s*/.exec(lines[at])![0]}// @ts-expect-error ${m.says}`);
  return lines.join('\n');
}

/** Run `jobs` with at most `n` at a time; the results in order. */
function pooled<T>(jobs: (() => Promise<T>)[], n: number): Promise<T>[] {
  const settle: { resolve: (t: T) => void; reject: (e: unknown) => void }[] = [];
  const results = jobs.map(() => new Promise<T>((resolve, reject) => settle.push({ resolve, reject })));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      try {
        settle[i].resolve(await jobs[i]());
      } catch (e) {
        settle[i].reject(e);
      }
    }
  };
  for (let k = 0; k < n; k++) void worker();
  return results;
}

describe(`mutation suite: ${MUTATIONS.length} realistic mistakes in the model and in a user's variant`, () => {
  it('has at least 40 mistakes, each stated as a rule sentence, each in a line of a real file', () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(40);
    for (const m of MUTATIONS) {
      expect(m.says, m.what).toMatch(SENTENCE);
      expect(() => mutate(m), m.what).not.toThrow();
    }
  });

  const reports = pooled(
    MUTATIONS.map((m) => () => checkExpectedMessagesAsync(mutate(m), join(ROOT, m.file), ROOT, true)),
    Math.max(1, Math.min(4, availableParallelism())),
  );
  reports.forEach((r) => r.catch(() => undefined)); // reported by the test that awaits it
  MUTATIONS.forEach((m, i) =>
    it(`${m.kind}: ${m.what} (${m.file})`, async () => {
      const report: MessageReport = await reports[i];
      expect(report.problems).toEqual([]);
      expect(report.checked).toBe(1);
    }, 300_000),
  );
});
