import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { echoModel } from '../e2e/echo-model.js';
import { orThrow } from '../../src/app/data/errors.js';
import { readImage, readMask } from '../../src/app/data/load.js';
import { copyTemplateMask } from '../../src/app/eval/copy-template.js';
import { dice } from '../../src/app/eval/dice.js';
import { MRI, TINY_MODEL, listFiles, readPng, runCli, tempDir } from './run-cli.js';

interface EvalJson {
  tasks: {
    task: string;
    pairs: number;
    model: { dice: number; std: number };
    copy_template: { dice: number; std: number };
    region_grow: { dice: number; std: number };
  }[];
  mean: { model: number; copy_template: number; region_grow: number };
  selectivity: { model: number; copy_template: number; region_grow: number } | null;
  interval: { model: [number, number]; selectivity: [number, number] | null };
}

describe('oneprompt synth', () => {
  it('writes the dataset layout with the requested counts and sizes, a split, and progress', async () => {
    const out = join(tempDir('synth'), 'data');
    const r = await runCli('synth', '--out', out, '--tasks', '4', '--images', '3', '--size', '24', '--seed', '7');
    expect(r.code, r.stderr).toBe(0);
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { train: string[]; heldout: string[]; seed: number; size: number };
    expect(split.train.length + split.heldout.length).toBe(4);
    expect(split.heldout.length).toBe(1);
    expect([split.seed, split.size]).toEqual([7, 24]);
    const files = listFiles(out);
    for (const task of [...split.train, ...split.heldout]) {
      for (const i of ['0000', '0001', '0002']) {
        for (const kind of ['images', 'masks']) {
          expect(files).toContain(`${task}/${kind}/${i}.png`);
          const png = readPng(join(out, task, kind, `${i}.png`));
          expect([png.width, png.height]).toEqual([24, 24]);
        }
      }
    }
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(4 * 3 * 2);
    expect(r.stderr).toContain('synth: 4/4 tasks (100%)');
    expect(r.stdout).toContain(`held-out tasks (1): ${split.heldout[0]}`);
    // The same seed gives the same bytes.
    const again = join(tempDir('synth2'), 'data');
    await runCli('synth', '--out', again, '--tasks', '4', '--images', '3', '--size', '24', '--seed', '7');
    const f = `${split.heldout[0]}/images/0002.png`;
    expect(readFileSync(join(again, f))).toEqual(readFileSync(join(out, f)));
  });

  it('adds head-scene tasks after the shape tasks with --head-tasks', async () => {
    const out = join(tempDir('synth-heads'), 'data');
    const r = await runCli('synth', '--out', out, '--tasks', '2', '--head-tasks', '4', '--images', '2', '--size', '24', '--seed', '7');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('synth: 6/6 tasks (100%)');
    expect(r.stdout).toContain('wrote 6 tasks × 2 images of 24×24');
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { train: string[]; heldout: string[]; headTasks: number };
    expect(split.headTasks).toBe(4);
    expect([...split.train, ...split.heldout].filter((t) => t.includes('-head-')).sort()).toEqual([
      'task-002-head-brain',
      'task-003-head-ventricles',
      'task-004-head-brain',
      'task-005-head-head',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'task-002-head-brain', 'task.json'), 'utf8')).head.target).toBe('brain');
    const grouped = join(tempDir('synth-heads-grouped'), 'data');
    const g = await runCli(
      'synth',
      '--out',
      grouped,
      '--tasks',
      '2',
      '--head-tasks',
      '4',
      '--head-targets',
      '2',
      '--images',
      '2',
      '--size',
      '24',
      '--seed',
      '7',
    );
    expect(g.code, g.stderr).toBe(0);
    const image = (task: string) => readFileSync(join(grouped, task, 'images', '0001.png'));
    expect(image('task-002-head-brain').equals(image('task-003-head-ventricles'))).toBe(true);
    expect(image('task-002-head-brain').equals(image('task-004-head-brain'))).toBe(false);
    const bad = await runCli('synth', '--out', join(tempDir('synth-heads-bad'), 'data'), '--head-tasks', '4', '--head-targets', '5');
    expect(bad.stderr).toContain("option '--head-targets <n>' argument '5' is invalid. expected 1 to 4 (brain, ventricles, head, scalp), got '5'");
  });

  it('refuses a non-empty folder unless --force, and bad numbers', async () => {
    const out = tempDir('synth-full');
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const r = await runCli('synth', '--out', out, '--tasks', '2', '--images', '2', '--size', '16');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`synth: ${out} is not empty; choose a new folder or add --force`);
    expect(listFiles(out)).toEqual(['notes.txt']);
    expect((await runCli('synth', '--out', out, '--tasks', '2', '--images', '2', '--size', '16', '--force')).code).toBe(0);
    const bad = await runCli('synth', '--out', join(out, 'x'), '--tasks', '0');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("option '--tasks <n>' argument '0' is invalid. expected a positive integer");
    expect((await runCli('synth', '--out', join(out, 'y'), '--size', '4')).stderr).toContain('--size 4 is too small');
  });
});

describe('oneprompt eval', () => {
  const data = join(tempDir('eval'), 'data');
  const setup = runCli('synth', '--out', data, '--tasks', '4', '--images', '4', '--size', '32', '--seed', '3');

  it('prints exactly one JSON object with the documented keys, Dice in %', async () => {
    expect((await setup).code).toBe(0);
    const r = await runCli(
      'eval',
      '--model',
      TINY_MODEL,
      '--data',
      data,
      '--prompt',
      'bbox',
      '--quality',
      'high',
      '--templates',
      '2',
      '--json',
      '--batch',
      '4',
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]) as EvalJson;
    expect(Object.keys(j)).toEqual(['tasks', 'mean', 'selectivity', 'interval']);
    // Synthetic tasks have images of their own: no structure to compare a prompt with.
    expect(j.selectivity).toBeNull();
    // The model's mean Dice lies inside its bootstrap interval over tasks, which lies inside the tasks' range.
    const dice = j.tasks.map((t) => t.model.dice);
    const [lo, hi] = j.interval.model;
    expect(lo).toBeLessThanOrEqual(j.mean.model + 1e-9);
    expect(hi).toBeGreaterThanOrEqual(j.mean.model - 1e-9);
    expect(lo).toBeGreaterThanOrEqual(Math.min(...dice) - 1e-9);
    expect(hi).toBeLessThanOrEqual(Math.max(...dice) + 1e-9);
    expect(j.interval.selectivity).toBeNull();
    expect(Object.keys(j.mean)).toEqual(['model', 'copy_template', 'region_grow']);
    const split = JSON.parse(readFileSync(join(data, 'split.json'), 'utf8')) as { heldout: string[] };
    expect(j.tasks.map((t) => t.task)).toEqual(split.heldout);
    for (const t of j.tasks) {
      expect(Object.keys(t)).toEqual(['task', 'pairs', 'model', 'copy_template', 'region_grow', 'selectivity']);
      for (const k of ['model', 'copy_template', 'region_grow'] as const) {
        expect(Object.keys(t[k])).toEqual(['dice', 'std']);
        expect(t[k].dice).toBeGreaterThanOrEqual(0);
        expect(t[k].dice).toBeLessThanOrEqual(100);
      }
      // 2 templates × the 3 other images.
      expect(t.pairs).toBe(6);
    }
    expect(r.stderr).toMatch(/eval: 6\/6 pairs \(100%\)/);
  });

  it('prints a table per task with mean ± std and a mean row; --tasks all covers every task', async () => {
    expect((await setup).code).toBe(0);
    const r = await runCli('eval', '--model', TINY_MODEL, '--data', data, '--tasks', 'all', '--templates', '1', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Dice \(%\) of compiled\/oneprompt-tiny\.onnx on 4 tasks of .*: click prompts at oracle quality, 1 template per task/);
    expect(lines[1]).toMatch(/task\s+pairs\s+model\s+copy template\s+region grow/);
    expect(lines.filter((l) => /^\s+task-\d{3}-\S+\s+3\s+\d+\.\d ± \d+\.\d\s+\d+\.\d ± \d+\.\d\s+\d+\.\d ± \d+\.\d$/.test(l))).toHaveLength(4);
    expect(lines.at(-2)).toMatch(/^\s+mean\s+12\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d$/);
    expect(lines.at(-1)).toMatch(/^the model's 95% intervals over tasks \(bootstrap\): mean \[\d+\.\d, \d+\.\d\]$/);
  });

  it('scores a model that echoes the SegLab prompt within a few points of the copy-template baseline (the bundled MRI as a dataset)', async () => {
    const dir = tempDir('eval-echo');
    writeFileSync(join(dir, 'echo.onnx'), echoModel(64, 32));
    mkdirSync(join(dir, 'samples'));
    cpSync(MRI.dir, join(dir, 'samples', 'mri'), { recursive: true });
    const r = await runCli(
      'eval',
      '--model',
      join(dir, 'echo.onnx'),
      '--data',
      join(dir, 'samples'),
      '--prompt',
      'seglab',
      '--templates',
      '3',
      '--json',
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as EvalJson;
    expect(j.tasks.map((t) => [t.task, t.pairs])).toEqual([['mri', 15]]);
    // The echo passes the template mask through the model's 64×64 grid, so it is close to, not equal to, the copy.
    expect(Math.abs(j.tasks[0].model.dice - j.tasks[0].copy_template.dice)).toBeLessThan(3);
  });

  it('evaluates the prompts people drew with --prompt given (templates.json), and says when a task has none', async () => {
    const dir = tempDir('eval-given');
    mkdirSync(join(dir, 'samples'));
    cpSync(MRI.dir, join(dir, 'samples', 'mri'), { recursive: true });
    const r = await runCli('eval', '--model', TINY_MODEL, '--data', join(dir, 'samples'), '--prompt', 'given', '--json', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as EvalJson;
    // samples/mri/templates.json lists one template (axial-066 with the box of prompt.json), applied to the other five.
    expect(j.tasks.map((t) => [t.task, t.pairs])).toEqual([['mri', 5]]);
    const queries = ['036', '046', '056', '076', '086'].map((n) => `axial-${n}.png`);
    const templateMask = orThrow(readMask(join(MRI.dir, 'masks', 'axial-066.png')));
    const copy = queries.map((q) =>
      dice(copyTemplateMask(templateMask, orThrow(readImage(join(MRI.dir, 'images', q)))), orThrow(readMask(join(MRI.dir, 'masks', q)))),
    );
    expect(j.tasks[0].copy_template.dice).toBeCloseTo(copy.reduce((a, b) => a + b, 0) / copy.length, 6);
    const table = await runCli('eval', '--model', TINY_MODEL, '--data', join(dir, 'samples'), '--prompt', 'given', '--threads', '1');
    expect(table.stdout.split('\n')[0]).toContain('the prompts given in templates.json, up to 5 templates per task (mean ± std over templates)');

    expect((await setup).code).toBe(0);
    const none = await runCli('eval', '--model', TINY_MODEL, '--data', data, '--prompt', 'given');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/task task-\d{3}-\S+ has no templates\.json; --prompt given evaluates the prompts listed there/);
  });

  it('reports bad arguments and datasets clearly', async () => {
    expect((await setup).code).toBe(0);
    const choice = await runCli('eval', '--model', TINY_MODEL, '--data', data, '--prompt', 'lasso');
    expect(choice.code).not.toBe(0);
    expect(choice.stderr).toContain("option '--prompt <type>' argument 'lasso' is invalid. Allowed choices are click, bbox, doodle, seglab, given.");
    const missing = await runCli('eval', '--model', TINY_MODEL, '--data', join(data, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope: cannot list the dataset folder/);
    const noModel = await runCli('eval', '--data', data);
    expect(noModel.stderr).toContain("required option '--model <file>' not specified");
  });
});
