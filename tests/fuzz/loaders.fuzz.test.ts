// issue 16: the fuzz suite (tests/fuzz/fuzz-loaders.ts) in a child process under a memory cap: a 512 MiB JS heap
// (--max-old-space-size) and a peak resident memory under 1 GiB for the whole run. Every loader (PNG, JPEG, NIfTI
// whole and streamed, NIfTI-2 likewise, DICOM, image files by format detection, templates.json, dataset folders), the JSON and prompt
// parsers and the inflater get mutated inputs; none may throw, hang or return a malformed image.
// ONEPROMPT_FUZZ_RUNS=N sets the cases per target (default 4000; 300 with ONEPROMPT_QUICK=1), ONEPROMPT_FUZZ_SEED the seed.
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from './bombs.js';

const RUNS = Number(process.env.ONEPROMPT_FUZZ_RUNS ?? (process.env.ONEPROMPT_QUICK === '1' ? 300 : 4000));

describe('fuzzing the loaders and the prompt parser (issue 16)', () => {
  it(`${RUNS} mutated inputs per target, under a 512 MiB heap and 1 GiB of memory`, () => {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=512',
        '--import',
        'tsx',
        '--import',
        join(REPO, 'tests', 'fuzz', 'report-rss.mjs'),
        join(REPO, 'tests', 'fuzz', 'fuzz-loaders.ts'),
        String(RUNS),
      ],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 1_500_000,
        maxBuffer: 64 * 2 ** 20,
      },
    );
    const secs = (performance.now() - t0) / 1000;
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').pop()!;
    const { results } = JSON.parse(line) as { results: Record<string, { cases: number; ms: number }> };
    const targets = Object.keys(results);
    expect(targets).toEqual(
      expect.arrayContaining([
        'PNG',
        'JPEG',
        'NIfTI',
        'NIfTI streamed in chunks = whole',
        'NIfTI-2',
        'NIfTI-2 streamed in chunks = whole',
        'DICOM',
        'JSON parser',
        'prompt parser and validation',
        'image files (readImages: format detection, .nii.gz streaming)',
        'templates.json (readTemplatesFile)',
        'dataset folders (readDataset)',
      ]),
    );
    const cases = Object.values(results).reduce((a, t) => a + t.cases, 0);
    const peak = Number(/max-rss-kib (\d+)/.exec(r.stderr)?.[1]);
    expect(peak).toBeLessThan(2 ** 20);
    console.log(
      `fuzz: ${cases} cases over ${targets.length} targets in ${secs.toFixed(1)} s, peak RSS ${(peak / 1024).toFixed(0)} MiB\n${Object.entries(results)
        .map(([n, t]) => `  ${n}: ${t.cases} cases, ${(t.ms / 1000).toFixed(1)} s`)
        .join('\n')}`,
    );
  }, 1_800_000);
});
