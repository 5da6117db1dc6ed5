import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MRI, TINY_MODEL, listFiles, runCli, tempDir } from './run-cli.js';

describe('--help', () => {
  const expectations: Record<string, string[]> = {
    segment: [
      '--model <file>',
      '--template <image>',
      '--prompt <json[:label]>',
      '--query <images...>',
      '--out <dir>',
      '--ensemble <k>',
      '--templates <file>',
      '--device <device>',
      '--batch <n>',
      '--threads <n>',
      '--plane <plane>',
      '--slice <n>',
      'masks/<query>.png',
      'volumes/<stem>.nii.gz',
      'Examples:',
    ],
    everything: ['--model <file>', '--image <file>', '--out <dir>', '--grid <n>', '--iou <x>', '--min-area <fraction>', 'about 50 masks', 'Example:'],
    eval: [
      '--model <file>',
      '--data <dir>',
      '--prompt <type>',
      'choices: "click", "bbox", "doodle", "seglab"',
      '"low", "medium", "high", "oracle"',
      '--templates <k>',
      '--tasks <part>',
      '--json',
      '--seed <n>',
      '--batch <n>',
      '--device <device>',
      'Examples:',
    ],
    compare: ['<a.json>', '<b.json>', '--json', '--resamples <n>', '(default: 10000)', '--seed <n>', 'paired bootstrap', 'Example:'],
    synth: [
      '--out <dir>',
      '--tasks <n>',
      '--images <m>',
      '--size <s>',
      '--seed <x>',
      '--heldout <fraction>',
      '--head-tasks <n>',
      '--force',
      'split.json',
      'Examples:',
      '--head-tasks 16',
    ],
  };
  for (const [command, wanted] of Object.entries(expectations)) {
    it(`${command} --help names every option, its defaults and an example`, async () => {
      const r = await runCli(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: oneprompt ${command} \\[options\\]`));
      // Help text wraps at the terminal width: compare with runs of white space collapsed.
      const flat = r.stdout.replace(/\s+/g, ' ');
      for (const w of wanted) expect(flat, w).toContain(w);
    });
  }

  it('the top-level help lists the new commands', async () => {
    const r = await runCli('--help');
    expect(r.code).toBe(0);
    for (const c of ['segment', 'everything', 'eval', 'synth']) expect(r.stdout).toMatch(new RegExp(`\\n\\s+${c} \\[options\\]`));
  });
});

describe('the real binary', () => {
  const bin = 'bin/oneprompt.mjs';
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 600_000 });

  it('segments the bundled slices, and exits non-zero with the message and no files on a bad prompt', () => {
    const dir = tempDir('bin');
    const out = join(dir, 'out');
    const ok = run(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      MRI.prompt,
      '--query',
      ...MRI.queries.slice(0, 2),
      '--out',
      out,
      '--threads',
      '1',
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(listFiles(out)).toEqual(['masks/axial-036.png', 'masks/axial-046.png', 'overlays/axial-036.png', 'overlays/axial-046.png', 'segment.json']);
    expect(ok.stdout).toContain('wrote 2 masks');
    writeFileSync(join(dir, 'bad.json'), '{"type": "bbox", "box": [10, 10, 5, 20]}');
    const bad = run(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      join(dir, 'bad.json'),
      '--query',
      MRI.queries[0],
      '--out',
      join(dir, 'bad'),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(`oneprompt: ${join(dir, 'bad.json')} (box): x2 (5) is left of x1 (10); write the top-left corner first`);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    const usage = run('everything', '--model', TINY_MODEL);
    expect(usage.status).toBe(1);
    expect(usage.stderr).toContain("error: required option '--image <file>' not specified");
  });
});
