// issue 16 items 5 and 11: a command's outputs are one run. Only files its previous run listed are replaced or
// removed (a dataset folder as --out loses nothing), and a kill at any moment leaves either the old run, the new
// one, or files marked by a manifest that says "complete": false; never stray temp files outside the staging
// folder, which the next run removes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputRun } from '../../src/util/output-run.js';
import { makeNifti } from '../data/fixtures.js';
import { MRI, TINY_MODEL, listFiles, runCli, tempDir } from './run-cli.js';

const read = (p: string): string => readFileSync(p, 'utf8');
const manifest = (dir: string, name: string) =>
  JSON.parse(read(join(dir, name))) as { oneprompt: string; complete: boolean; files: string[]; previous?: string[] };

describe('command outputs as one run (issue 16)', () => {
  it("everything into a dataset task folder keeps the task's masks, and a second run removes only its own", async () => {
    const ds = tempDir('outputs-ds');
    expect((await runCli('synth', '--out', ds, '--tasks', '1', '--images', '8', '--size', '32')).code).toBe(0);
    const task = join(ds, readdirSync(ds).find((n) => n.startsWith('task-'))!);
    const before = Object.fromEntries(listFiles(task).map((f) => [f, read(join(task, f))]));
    expect(Object.keys(before).filter((f) => f.startsWith('masks/'))).toHaveLength(8);
    const image = join(task, 'images', '0003.png');
    const r = await runCli('everything', '--model', TINY_MODEL, '--image', image, '--out', task, '--grid', '3', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    for (const [f, text] of Object.entries(before)) expect(read(join(task, f)), f).toBe(text);
    const first = manifest(task, 'masks.json');
    expect(first.oneprompt).toBe('everything');
    expect(first.complete).toBe(true);
    expect(listFiles(task).sort()).toEqual([...Object.keys(before), ...first.files, 'masks.json'].sort());
    // Again with a smaller grid: its own old masks go, the task's stay.
    expect((await runCli('everything', '--model', TINY_MODEL, '--image', image, '--out', task, '--grid', '1', '--threads', '1')).code).toBe(0);
    const second = manifest(task, 'masks.json');
    expect(listFiles(task).sort()).toEqual([...Object.keys(before), ...second.files, 'masks.json'].sort());
    for (const [f, text] of Object.entries(before)) expect(read(join(task, f)), f).toBe(text);
  });

  it('refuses to replace a file it did not write, before writing anything', async () => {
    const out = tempDir('outputs-clash');
    mkdirSync(join(out, 'masks'));
    writeFileSync(join(out, 'masks', 'axial-046.png'), 'ground truth');
    const r = await runCli('segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[1], '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/masks\/axial-046\.png exists and was not written by oneprompt segment .*nothing was written/);
    expect(listFiles(out)).toEqual(['masks/axial-046.png']);
    expect(read(join(out, 'masks', 'axial-046.png'))).toBe('ground truth');
    // A masks.json someone else wrote is not taken for everything's listing.
    writeFileSync(join(out, 'masks.json'), '{"labels": [1, 2]}');
    const e = await runCli('everything', '--model', TINY_MODEL, '--image', MRI.template, '--out', out, '--grid', '1');
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('masks.json exists and was not written by oneprompt everything');
  });

  it("segment replaces its previous run's files and removes the ones it does not write again", async () => {
    const out = tempDir('outputs-rerun');
    const seg = (...queries: string[]) =>
      runCli('segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', MRI.prompt, '--query', ...queries, '--out', out, '--threads', '1');
    expect((await seg(MRI.queries[0], MRI.queries[1])).code).toBe(0);
    expect(manifest(out, 'segment.json').files).toHaveLength(4);
    expect((await seg(MRI.queries[2])).code).toBe(0);
    expect(listFiles(out)).toEqual(['masks/axial-056.png', 'overlays/axial-056.png', 'segment.json']);
    const m = manifest(out, 'segment.json') as unknown as { queries: { query: string; confidence: number }[] };
    expect(m.queries.map((q) => q.query)).toEqual(['axial-056']);
  });

  it("segment's label volumes and legend are part of the run: listed, replaced and removed with its masks, never a file of yours", async () => {
    const dir = tempDir('outputs-volumes');
    const vol = join(dir, 'vol.nii');
    writeFileSync(vol, makeNifti({ dims: [20, 16, 3], datatype: 16, bitpix: 32, values: Array.from({ length: 20 * 16 * 3 }, (_, i) => (i * 37) % 251) }));
    const seg = (out: string, ...queries: string[]) =>
      runCli('segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', MRI.prompt, '--query', ...queries, '--out', out, '--threads', '1');
    const out = join(dir, 'out');
    const first = await seg(out, MRI.queries[0], vol);
    expect(first.code, first.stderr).toBe(0);
    const outputs = ['labels.json', 'masks/axial-036.png', 'overlays/axial-036.png', 'volumes/vol.nii.gz'];
    expect(listFiles(out)).toEqual([...outputs.slice(0, 3), 'segment.json', outputs[3]]);
    const m = manifest(out, 'segment.json') as ReturnType<typeof manifest> & {
      queries: { query: string; confidence: unknown }[];
      volumes: unknown[];
      labels: string;
    };
    expect(m.complete).toBe(true);
    expect([...m.files].sort()).toEqual(outputs);
    expect(m.queries.map((q) => [q.query, typeof q.confidence])).toEqual([['axial-036', 'number']]);
    expect(m.volumes).toEqual([{ query: vol, slices: 3, volume: 'volumes/vol.nii.gz' }]);
    expect(m.labels).toBe('labels.json');
    // Again with the 2-D query only: the volume and the legend of the previous run go.
    expect((await seg(out, MRI.queries[0])).code).toBe(0);
    expect(listFiles(out)).toEqual(['masks/axial-036.png', 'overlays/axial-036.png', 'segment.json']);

    // A label volume or legend of someone else's is refused before anything is written.
    const mine = join(dir, 'mine');
    mkdirSync(join(mine, 'volumes'), { recursive: true });
    writeFileSync(join(mine, 'volumes', 'vol.nii.gz'), 'my labels');
    const clash = await seg(mine, vol);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/volumes\/vol\.nii\.gz exists and was not written by oneprompt segment .*nothing was written/);
    rmSync(join(mine, 'volumes'), { recursive: true });
    writeFileSync(join(mine, 'labels.json'), '{"mine": true}');
    expect((await seg(mine, vol)).stderr).toMatch(/labels\.json exists and was not written by oneprompt segment/);
    expect(listFiles(mine)).toEqual(['labels.json']);

    // A folder as the version before segment.json wrote it: its legend and the volumes it lists are segment's own.
    const legacy = join(dir, 'legacy');
    mkdirSync(join(legacy, 'volumes'), { recursive: true });
    writeFileSync(join(legacy, 'volumes', 'vol.nii.gz'), 'old');
    writeFileSync(
      join(legacy, 'labels.json'),
      JSON.stringify({ labels: [{ value: 1 }], outputs: [{ query: vol, kind: 'volume', file: 'volumes/vol.nii.gz', counts: {} }] }),
    );
    const again = await seg(legacy, vol);
    expect(again.code, again.stderr).toBe(0);
    expect(read(join(legacy, 'volumes', 'vol.nii.gz'))).not.toBe('old');
    expect(listFiles(legacy)).toEqual(['labels.json', 'segment.json', 'volumes/vol.nii.gz']);
  });

  it("a folder from a version without manifests: a mask beside its overlay counts as segment's own", async () => {
    const out = tempDir('outputs-legacy');
    mkdirSync(join(out, 'masks'));
    mkdirSync(join(out, 'overlays'));
    writeFileSync(join(out, 'masks', 'axial-046.png'), 'old');
    writeFileSync(join(out, 'overlays', 'axial-046.png'), 'old');
    const r = await runCli(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      MRI.prompt,
      '--query',
      MRI.queries[1],
      '--out',
      out,
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(read(join(out, 'masks', 'axial-046.png'))).not.toBe('old');
  });

  it('a failed run changes nothing and leaves no staging folder', () => {
    const out = tempDir('outputs-fail');
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const run = new OutputRun({ dir: out, manifest: 'run.json', command: 'test-run' });
    run.write('a/b.txt', 'x');
    expect(existsSync(run.stagingDir)).toBe(true);
    run.abort();
    expect(listFiles(out)).toEqual(['keep.txt']);
    expect(() => new OutputRun({ dir: out, manifest: 'run.json', command: 'test-run' }).write('../escape.txt', 'x')).toThrow(/leaves the output folder/);
  });

  it('killed (SIGKILL) at every step of moving files into place: old, new, or marked mixed; the next run cleans up', () => {
    const script = join(import.meta.dirname, 'output-run-kill.ts');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const files = ['masks/a.png', 'masks/b.png', 'overlays/a.png', 'overlays/b.png'];
    for (const fresh of [true, false]) {
      // Renames (each atomic write is one): 4 files staged, then for a new folder the manifest and the folder itself;
      // for an existing one the manifest (complete: false), 4 moves and the manifest again.
      for (const k of fresh ? [0, 4, 5] : Array.from({ length: 12 }, (_, i) => i)) {
        const base = tempDir(`outputs-kill-${k}`);
        const dir = join(base, 'out');
        if (!fresh) {
          execFileSync(tsx, [script, dir, '99', 'old', 'masks/a.png', 'masks/old.png']);
          writeFileSync(join(dir, 'mine.txt'), 'user');
        }
        const killed = spawnSync(tsx, [script, dir, String(k), 'new', ...files]);
        expect(killed.signal ?? killed.status, `k=${k}`).not.toBe(0);
        const left = existsSync(dir) ? listFiles(dir) : [];
        const outside = left.filter((f) => !f.startsWith('.oneprompt-'));
        expect(
          outside.filter((f) => f.endsWith('.tmp')),
          `k=${k}: temp files outside staging`,
        ).toEqual([]);
        if (fresh) expect(outside, `k=${k}: a new folder appears whole or not at all`).toEqual([]);
        else {
          expect(read(join(dir, 'mine.txt'))).toBe('user');
          const m = manifest(dir, 'run.json');
          const tags = outside.filter((f) => f !== 'run.json' && f !== 'mine.txt').map((f) => read(join(dir, f)).split(' ')[0]);
          if (m.complete) expect(new Set(tags), `k=${k}`).toEqual(new Set([(m as unknown as { tag: string }).tag]));
          else expect([...m.files, ...(m.previous ?? [])].sort()).toEqual(expect.arrayContaining(outside.filter((f) => f !== 'run.json' && f !== 'mine.txt')));
        }
        // The next run (any other process) removes the dead run's staging folder and finishes cleanly.
        execFileSync(tsx, [script, dir, '99', 'again', ...files]);
        const after = listFiles(dir);
        expect(
          after.filter((f) => f.startsWith('.oneprompt-') || f.endsWith('.tmp')),
          `k=${k}`,
        ).toEqual([]);
        expect(after).toEqual([...files, ...(fresh ? [] : ['mine.txt']), 'run.json'].sort());
        expect(readdirSync(base)).toEqual(['out']);
        expect(manifest(dir, 'run.json').complete).toBe(true);
      }
    }
  }, 600_000);
});
