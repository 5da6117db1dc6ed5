import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoModel } from '../e2e/echo-model.js';
import { orThrow } from '../../src/app/data/errors.js';
import { readMask } from '../../src/app/data/load.js';
import { dedupeMasks, maskIoU } from '../../src/app/cli/dedupe-masks.js';
import { gridClicks } from '../../src/app/cli/everything.js';
import type { Mask } from '../../src/app/data/image.js';
import { MRI, TINY_MODEL, listFiles, readPng, runCli, tempDir } from './run-cli.js';

interface Listing {
  width: number;
  height: number;
  clicks: number;
  overlay: string;
  masks: { file: string; click: { x: number; y: number }; confidence: number; area: number; duplicates: number }[];
}

const box = (w: number, h: number, x0: number, y0: number, x1: number, y1: number): Mask => {
  const data = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * w + x] = 1;
  return { width: w, height: h, data };
};

describe('oneprompt everything', () => {
  it('writes de-duplicated masks, an overlay and a listing for the tiny model', async () => {
    const out = tempDir('every');
    const r = await runCli('everything', '--model', TINY_MODEL, '--image', MRI.template, '--out', out, '--grid', '4', '--batch', '5', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    const listing = JSON.parse(readFileSync(join(out, 'masks.json'), 'utf8')) as Listing;
    expect(listing.clicks).toBe(16);
    expect([listing.width, listing.height]).toEqual([MRI.width, MRI.height]);
    // Every click is either a kept mask or counted as a duplicate of one (or dropped as empty/too small).
    expect(listing.masks.reduce((a, m) => a + 1 + m.duplicates, 0)).toBeLessThanOrEqual(16);
    expect(listFiles(out)).toEqual(['masks.json', ...listing.masks.map((m) => m.file), 'overlay.png'].sort());
    for (const m of listing.masks) {
      const png = readPng(join(out, m.file));
      expect([png.width, png.height]).toEqual([MRI.width, MRI.height]);
    }
    const overlay = readPng(join(out, 'overlay.png'));
    expect([overlay.width, overlay.height, overlay.colorType]).toEqual([MRI.width, MRI.height, 2]);
    expect(r.stderr).toContain('everything: 16/16 clicks (100%)');
    expect(r.stdout).toMatch(/16 clicks → \d+ distinct masks/);
  });

  it('on a model that follows the clicks, gives one mask per grid click around that click, and merges overlapping ones', async () => {
    const dir = tempDir('every-echo');
    const model = join(dir, 'echo.onnx');
    writeFileSync(model, echoModel(64, 32));
    const out = join(dir, 'sparse');
    expect((await runCli('everything', '--model', model, '--image', MRI.template, '--out', out, '--grid', '3', '--threads', '1')).code).toBe(0);
    const sparse = JSON.parse(readFileSync(join(out, 'masks.json'), 'utf8')) as Listing;
    expect(sparse.masks).toHaveLength(9);
    const expected = gridClicks(MRI.width, MRI.height, 3);
    for (const m of sparse.masks) {
      expect(expected).toContainEqual(m.click);
      const mask = orThrow(readMask(join(out, m.file)));
      expect(mask.data[Math.round(m.click.y) * MRI.width + Math.round(m.click.x)], m.file).toBe(1);
      expect(m.duplicates).toBe(0);
    }
    // A dense grid puts neighbouring clicks on overlapping bumps; with --iou 0 any overlap is a duplicate.
    const dense = join(dir, 'dense');
    expect((await runCli('everything', '--model', model, '--image', MRI.template, '--out', dense, '--grid', '12', '--iou', '0', '--threads', '1')).code).toBe(
      0,
    );
    const merged = JSON.parse(readFileSync(join(dense, 'masks.json'), 'utf8')) as Listing;
    expect(merged.masks.length).toBeLessThan(144);
    expect(merged.masks.reduce((a, m) => a + 1 + m.duplicates, 0)).toBe(144);
    const masks = merged.masks.map((m) => orThrow(readMask(join(dense, m.file))));
    for (let i = 0; i < masks.length; i++) for (let j = i + 1; j < masks.length; j++) expect(maskIoU(masks[i], masks[j])).toBe(0);
    // A second run into the same folder with fewer masks leaves none of the first run's files behind.
    expect((await runCli('everything', '--model', model, '--image', MRI.template, '--out', dense, '--grid', '2', '--threads', '1')).code).toBe(0);
    expect(listFiles(join(dense, 'masks'))).toEqual(['00.png', '01.png', '02.png', '03.png']);
  });

  it('refuses a bad image without writing', async () => {
    const out = join(tempDir('every-bad'), 'o');
    const r = await runCli('everything', '--model', TINY_MODEL, '--image', MRI.prompt, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/prompt\.json \(offset 0\): unrecognised image format/);
    expect(() => listFiles(out)).toThrow();
  });
});

describe('segment-everything helpers', () => {
  it('places an N×N grid at cell centres, inside the image', () => {
    const g = gridClicks(100, 50, 4);
    expect(g).toHaveLength(16);
    expect(g[0]).toEqual({ x: 12, y: 5.75 });
    expect(g[15]).toEqual({ x: 87, y: 43.25 });
    expect(gridClicks(3, 3, 10).every((p) => p.x >= 0 && p.x <= 2 && p.y >= 0 && p.y <= 2)).toBe(true);
  });

  it('keeps the more confident (then larger) of overlapping masks and counts the rest as duplicates', () => {
    const a = box(10, 10, 0, 0, 4, 4);
    const aBig = box(10, 10, 0, 0, 4, 5);
    const b = box(10, 10, 6, 6, 9, 9);
    expect(maskIoU(a, aBig)).toBeCloseTo(25 / 30, 10);
    expect(maskIoU(a, b)).toBe(0);
    const kept = dedupeMasks(
      [
        { mask: a, confidence: 0.6, id: 'a' },
        { mask: b, confidence: 0.7, id: 'b' },
        { mask: aBig, confidence: 0.9, id: 'aBig' },
      ],
      0.5,
    );
    expect(kept.map((k) => [k.candidate.id, k.duplicates, k.area])).toEqual([
      ['aBig', 1, 30],
      ['b', 0, 16],
    ]);
    // Equal confidence: the larger wins.
    expect(
      dedupeMasks(
        [
          { mask: a, confidence: 0.5, id: 'a' },
          { mask: aBig, confidence: 0.5, id: 'aBig' },
        ],
        0.5,
      ).map((k) => k.candidate.id),
    ).toEqual(['aBig']);
    // Above the threshold only: at 0.9 both survive.
    expect(
      dedupeMasks(
        [
          { mask: a, confidence: 0.6 },
          { mask: aBig, confidence: 0.9 },
        ],
        0.9,
      ),
    ).toHaveLength(2);
  });
});
