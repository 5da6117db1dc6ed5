import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, tempDir } from './run-cli.js';

describe('npm run main (scripts/main.ts)', () => {
  it('segments the bundled MRI slices into masks and overlays and prints Dice against the bundled masks', () => {
    const tmp = tempDir('main');
    const out = join(tmp, 'mri');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/main.ts', '--out', out, '--heldout-out', join(tmp, 'heldout')], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const queries = ['036', '046', '056', '076', '086'].map((n) => `axial-${n}.png`);
    expect(listFiles(out)).toEqual([...queries.map((q) => `masks/${q}`), ...queries.map((q) => `overlays/${q}`), 'segment.json']);
    expect(r.stdout).toContain('$ oneprompt segment --model compiled/oneprompt-');
    // One row per query slice and the mean, each with three Dice values in 0..100.
    const tableAfter = (heading: string) => {
      const from = r.stdout.indexOf(heading);
      expect(from, heading).toBeGreaterThanOrEqual(0);
      const rest = r.stdout.slice(from);
      return rest.slice(0, rest.indexOf('\n\n') < 0 ? undefined : rest.indexOf('\n\n'));
    };
    const brain = tableAfter('Dice (%) against the bundled brain masks')
      .split('\n')
      .filter((l) => /^\s+(axial-\d{3}|mean ± std)\s/.test(l));
    expect(brain).toHaveLength(6);
    // The second part: a held-out macaque structure clicked on its template slice (three query slices and the mean),
    // and the click moved to each held-out structure (one row each).
    const heldout = tableAfter('Dice (%) against the NeuroMaps atlas mask of')
      .split('\n')
      .filter((l) => /^\s+(sagittal-\d{3}|mean ± std)\s/.test(l));
    expect(heldout).toHaveLength(4);
    const structures = (JSON.parse(readFileSync('samples-heldout/split.json', 'utf8')) as { heldout: string[] }).heldout;
    const matrix = tableAfter('The same template clicked on each held-out structure')
      .split('\n')
      .filter((l) => /^\s+label-/.test(l));
    expect(matrix).toHaveLength(structures.length);
    for (const s of structures) expect(listFiles(join(tmp, 'heldout', s)).filter((f) => f.startsWith('masks/'))).toHaveLength(3);
    for (const row of [...brain, ...heldout]) {
      const values = [...row.matchAll(/\d+\.\d/g)].map((m) => Number(m[0]));
      expect(values.length, row).toBeGreaterThanOrEqual(3);
      expect(
        values.every((v) => v >= 0 && v <= 100),
        row,
      ).toBe(true);
    }
    if (!existsSync('compiled/oneprompt-default.onnx'))
      expect(r.stderr).toContain('warning: compiled/oneprompt-default.onnx is missing; using the untrained compiled/oneprompt-tiny.onnx');
  });

  it('runs another model with --model, and refuses one that does not exist', () => {
    const out = join(tempDir('main-model'), 'mri');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/main.ts', '--out', out, ...args], { encoding: 'utf8', timeout: 600_000 });
    const missing = run('--model', 'compiled/no-such-model.onnx');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error: --model compiled/no-such-model.onnx does not exist');
    expect(existsSync(out)).toBe(false);
    const r = run('--model', 'compiled/oneprompt-tiny.onnx');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('$ oneprompt segment --model compiled/oneprompt-tiny.onnx');
    expect(r.stdout).toContain('model compiled/oneprompt-tiny.onnx:');
  });
});
