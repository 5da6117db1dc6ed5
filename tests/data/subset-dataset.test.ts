// scripts/subset-dataset.ts (the fit test's dataset, docs/brain-data.md): the new folder lists only the chosen
// training tasks, reads as a dataset whose train and validation parts are those tasks, and a bad request leaves nothing.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset, tasksOf } from '../../src/app/data/dataset.js';
import { tempDir } from '../cli/run-cli.js';

/** samples-heldout/ with its four held-out tasks listed as training tasks: a small dataset to subset. */
function source(): { dir: string; tasks: string[] } {
  const from = resolve('samples-heldout');
  const split = JSON.parse(readFileSync(join(from, 'split.json'), 'utf8')) as { heldout: string[] };
  const dir = join(tempDir('subset'), 'source');
  mkdirSync(dir);
  for (const entry of readdirSync(from)) if (entry !== 'split.json') symlinkSync(join(from, entry), join(dir, entry));
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: split.heldout, heldout: [] }));
  return { dir, tasks: split.heldout };
}

const subset = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/subset-dataset.ts', ...args], { encoding: 'utf8', timeout: 120_000 });

describe('scripts/subset-dataset.ts', () => {
  it('draws --count training tasks, and the folder reads as a dataset of just those', () => {
    const src = source();
    const out = join(src.dir, '..', 'two');
    const r = subset('--from', src.dir, '--out', out, '--count', '2', '--seed', '1');
    expect(r.status, r.stderr).toBe(0);
    const ds = readDataset(out);
    if (ds._tag === 'Left') throw new Error(String(ds.left));
    const train = tasksOf(ds.right, 'train').map((t) => t.name);
    expect(train).toHaveLength(2);
    for (const t of train) expect(src.tasks).toContain(t);
    expect(tasksOf(ds.right, 'validation').map((t) => t.name)).toEqual(train);
    expect(tasksOf(ds.right, 'heldout')).toEqual([]);
    expect(existsSync(`${out}.partial`)).toBe(false);
    // The same seed draws the same tasks.
    const again = join(src.dir, '..', 'two-again');
    expect(subset('--from', src.dir, '--out', again, '--count', '2', '--seed', '1').status).toBe(0);
    expect(JSON.parse(readFileSync(join(again, 'split.json'), 'utf8')).train).toEqual(JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')).train);
  });

  it('keeps the named --tasks, and refuses unknown tasks, an existing folder and a count out of range', () => {
    const src = source();
    const out = join(src.dir, '..', 'named');
    expect(subset('--from', src.dir, '--out', out, '--tasks', src.tasks[3]).status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')).train).toEqual([src.tasks[3]]);

    const unknown = subset('--from', src.dir, '--out', join(src.dir, '..', 'u'), '--tasks', 'label-0000-nope');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('not training tasks');
    expect(existsSync(join(src.dir, '..', 'u'))).toBe(false);

    const exists = subset('--from', src.dir, '--out', out, '--count', '1');
    expect(exists.status).not.toBe(0);
    expect(exists.stderr).toContain('exists');

    const tooMany = subset('--from', src.dir, '--out', join(src.dir, '..', 'm'), '--count', '5');
    expect(tooMany.stderr).toContain('--count must be a whole number from 1 to 4');
    expect(existsSync(join(src.dir, '..', 'm'))).toBe(false);
  });
});
