// The mutation suite: each mistake of model-mutations.ts, made alone in a copy of the real file, is rejected by the
// compiler with the DSL's sentence on the line of the mistake or of the call that uses it, and nothing is reported
// before it (what the mistake breaks further down may be reported after it). The real files compile (npm run
// typecheck). All the mistakes are compiled together, each in a file of its own.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkExpectedMessagesBatch, type MessageReport } from './expect-messages.js';
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

describe(`mutation suite: ${MUTATIONS.length} realistic mistakes in the model and in a user's variant`, () => {
  it('has at least 40 mistakes, each stated as a rule sentence, each in a line of a real file', () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(40);
    for (const m of MUTATIONS) {
      expect(m.says, m.what).toMatch(SENTENCE);
      expect(() => mutate(m), m.what).not.toThrow();
    }
  });

  // One compile for all of them (each mistake in a file of its own): the real model files are checked once.
  const batch = checkExpectedMessagesBatch(
    MUTATIONS.map((m) => ({ text: mutate(m), asFile: join(ROOT, m.file) })),
    ROOT,
    true,
  );
  batch.catch(() => undefined); // reported by the tests that await it
  MUTATIONS.forEach((m, i) =>
    it(`${m.kind}: ${m.what} (${m.file})`, async () => {
      const report: MessageReport = (await batch)[i];
      expect(report.problems).toEqual([]);
      expect(report.checked).toBe(1);
    }, 300_000),
  );
});
