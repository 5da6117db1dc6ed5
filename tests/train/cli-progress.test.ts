import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { PNG } from 'pngjs';
import { registerTrain } from '../../src/app/cli/train.js';
import { ProgressBar, formatDuration } from '../../src/train/progress.js';
import { lossCurvePng } from '../../src/train/plot.js';
import type { StepReport } from '../../src/train/loop.js';

const report = (step: number, loss = 0.5): StepReport => ({
  step,
  totalSteps: 100,
  loss,
  crossEntropy: 0.2,
  diceLoss: 0.3,
  dice: 0.75,
  lr: 1e-3,
  batchSize: 4,
});

describe('progress bar', () => {
  it('shows step, loss, Dice, samples/s and ETA from its clock', () => {
    let now = 0;
    const bar = new ProgressBar({ write: () => true, isTTY: true }, 100, 0, () => now);
    for (let k = 1; k <= 10; k++) {
      now = 200 * k;
      bar.update(report(k));
    }
    expect(bar.line(report(10))).toBe('[##------------------]  10/100  loss 0.5000  dice 0.750  20.0 samples/s  ETA 0:18');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it("counts only this run's steps after a resume", () => {
    let now = 0;
    const bar = new ProgressBar({ write: () => true }, 100, 50, () => now);
    for (let k = 51; k <= 60; k++) {
      now = 100 * (k - 50);
      bar.update(report(k));
    }
    expect(bar.line(report(60))).toContain('40.0 samples/s  ETA 0:04');
  });

  it('redraws one line on a terminal and prints every 5% otherwise', () => {
    const tty: string[] = [];
    const log: string[] = [];
    const a = new ProgressBar({ write: (s: string) => tty.push(s), isTTY: true, columns: 200 }, 100);
    const b = new ProgressBar({ write: (s: string) => log.push(s), isTTY: false }, 100);
    for (let s = 1; s <= 100; s++) {
      a.update(report(s));
      b.update(report(s));
    }
    expect(tty.filter((s) => s.startsWith('\r')).length).toBe(100);
    expect(tty.at(-1)).toBe('\n');
    expect(log.length).toBe(21);
    expect(log.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});

describe('loss curve', () => {
  it('draws the loss (blue) and Dice (orange) on a white canvas', () => {
    const pts = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 1 / (1 + i / 10), dice: i / 50 }));
    const png = PNG.sync.read(Buffer.from(lossCurvePng(pts, { width: 400, height: 240 })));
    expect([png.width, png.height]).toEqual([400, 240]);
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (r === 25 && g === 70 && b === 170) blue++;
      if (r === 230 && g === 120 && b === 20) orange++;
    }
    expect(blue).toBeGreaterThan(300);
    expect(orange).toBeGreaterThan(300);
    // The loss starts high (near the top-left) and ends low: dark-blue pixels exist near the plot's top at the left.
    const at = (x: number, y: number) => Array.from(png.data.subarray((y * 400 + x) * 4, (y * 400 + x) * 4 + 3)).join();
    const columnHasBlue = (x: number, y0: number, y1: number) => Array.from({ length: y1 - y0 }, (_, k) => at(x, y0 + k)).includes('25,70,170');
    expect(columnHasBlue(72, 30, 70)).toBe(true);
    expect(columnHasBlue(72, 150, 200)).toBe(false);
  });
});

describe('oneprompt train (argument parsing)', () => {
  const parse = async (args: string[]) => {
    const program = new Command()
      .name('oneprompt')
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerTrain(program);
    for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    return program.parseAsync(['node', 'oneprompt', ...args]);
  };
  it('requires --config, --data and --out and validates numbers and the backend', async () => {
    await expect(parse(['train', '--data', 'd', '--out', 'o'])).rejects.toThrow(/required option '--config <name>' not specified/);
    await expect(parse(['train', '--config', 'blobs', '--data', 'd', '--out', 'o', '--batch', '0'])).rejects.toThrow(/--batch must be a positive integer/);
    await expect(parse(['train', '--config', 'blobs', '--data', 'd', '--out', 'o', '--lr', '-1'])).rejects.toThrow(/must be a positive number/);
    await expect(parse(['train', '--config', 'blobs', '--data', 'd', '--out', 'o', '--backend', 'webgpu'])).rejects.toThrow(
      /choose one of auto, ort, tfjs, node-gpu, node, wasm, cpu/,
    );
    await expect(parse(['train', '--config', 'blobs', '--data', 'd', '--out', 'o', '--batch', '0'])).rejects.toBeInstanceOf(CommanderError);
  });

  it('keeps a long title (a run name) off the right axis label, wrapping it instead', () => {
    const pts = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, loss: 1 - i / 40, dice: i / 40 }));
    const title = 'loss brain128r+augment+warp=0.5+warpmix+interactive=0.5+large=bbox1-seglab1+pos=5+seed=43';
    const png = PNG.sync.read(Buffer.from(lossCurvePng(pts, { width: 720, height: 400, title })));
    const px = (x: number, y: number) => Array.from(png.data.subarray((y * 720 + x) * 4, (y * 720 + x) * 4 + 3)).join();
    // The band above the plot: title pixels (dark blue) stop left of "dice" (orange, right-aligned at x = 660).
    const dice = 4 * 8 - 2;
    let blueRight = 0;
    const blueRows = new Set<number>();
    for (let y = 0; y < 36; y++)
      for (let x = 0; x < 720; x++)
        if (px(x, y) === '25,70,170') {
          blueRight = Math.max(blueRight, x);
          blueRows.add(y);
        }
    expect(blueRight).toBeGreaterThan(300);
    expect(blueRight).toBeLessThan(660 - dice);
    // Wrapped onto two lines at the labels' size: dark-blue rows in two bands.
    expect(Math.max(...blueRows) - Math.min(...blueRows)).toBeGreaterThan(12);
  });
});
