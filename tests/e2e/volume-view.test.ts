// End to end in headless Chromium, volumes: the page loads a NIfTI volume and a DICOM series (template and query),
// scrolls slices with the wheel and the keys, switches window/level presets, zooms and pans; a box drawn on a
// template slice gives masks on every query slice; choosing another tool hides neither prompt nor masks; Undo goes
// back across tools; the exported label volume (.nii.gz) equals what `oneprompt segment` writes for the saved prompt
// JSON and the template slice the page names. Screenshots of the volume view go to test-artifacts/browser-tool/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orThrow } from '../../src/app/data/errors.js';
import { parseNiftiFile } from '../../src/app/data/nifti2.js';
import { REPO_ROOT } from '../../src/app/serve/app-bundle.js';
import { startToolServer, type ToolServer } from '../../src/app/serve/tool-server.js';
import { runCli } from '../cli/run-cli.js';
import { makeDicom, makeNifti } from '../data/fixtures.js';
import { echoModel } from './echo-model.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser-tool');

// A head-like phantom: an ellipse of "tissue" (40) in "air" (−1000) with a bright off-centre blob (300) on some slices.
const [NX, NY, NZ] = [48, 40, 10];
const phantom = (i: number, j: number, k: number): number => {
  const head = ((i - 24) / 20) ** 2 + ((j - 20) / 16) ** 2 <= 1;
  const blob = ((i - 15) / 6) ** 2 + ((j - 26) / 5) ** 2 + ((k - 5) / 3) ** 2 <= 1;
  return blob ? 300 : head ? 40 + ((i * 7 + j * 3 + k) % 11) : -1000;
};

let tmp: string;
let echoFile: string;
let niftiFile: string;
let seriesDir: string;
let srv: ToolServer;
let context: BrowserContext;

interface Hook {
  runs: number;
  template: { name: string; ref: string; slice: number; count: number; zoom: number; panX: number; panY: number };
  queries: { name: string; slice: number; count: number; zoom: number; panX: number; panY: number; done: number; masked: number }[];
  prompt: { active: string; edits: Record<string, number>; canUndo: boolean };
  window: string;
}

describe.skipIf(!existsSync(CHROMIUM))('volumes in the browser tool (headless Chromium)', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oneprompt-e2e-vol-'));
    echoFile = join(tmp, 'echo.onnx');
    writeFileSync(echoFile, echoModel());
    const values = Array.from({ length: NX * NY * NZ }, (_, n) => phantom(n % NX, Math.floor(n / NX) % NY, Math.floor(n / (NX * NY))));
    niftiFile = join(tmp, 'head.nii.gz');
    // Stored LPS (x and y flipped against RAS), 0.9 mm pixels, 2.5 mm slices: display must flip it, export must not.
    writeFileSync(
      niftiFile,
      gzipSync(
        makeNifti({ dims: [NX, NY, NZ], datatype: 4, bitpix: 16, values, sform: [-0.9, 0, 0, 21, 0, -0.9, 0, 18, 0, 0, 2.5, -10], pixdim: [0.9, 0.9, 2.5] }),
      ),
    );
    seriesDir = join(tmp, 'ct-series');
    mkdirSync(seriesDir);
    for (const k of [4, 1, 7, 0, 3, 6, 2, 5]) {
      const pixels = Array.from({ length: NX * NY }, (_, p) => phantom(p % NX, Math.floor(p / NX), k + 1) + 1024);
      writeFileSync(
        join(seriesDir, `ct${k}.dcm`),
        makeDicom({
          rows: NY,
          cols: NX,
          pixels,
          intercept: -1024,
          slope: 1,
          position: [-20, -15, 40 + 2 * k],
          orientation: [1, 0, 0, 0, 1, 0],
          pixelSpacing: [0.8, 0.8],
          seriesUid: '1.2.3.4.5',
          instanceNumber: k + 1,
        }),
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    srv = await startToolServer({ model: echoFile, samples: join(REPO_ROOT, 'samples') });
    context = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      acceptDownloads: true,
      viewport: { width: 1400, height: 1000 },
    });
  });

  afterAll(async () => {
    await context?.close();
    await srv?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const hook = (page: Page): Promise<Hook> => page.evaluate(() => (window as unknown as { __oneprompt: Hook }).__oneprompt);
  const runs = async (page: Page): Promise<number> => Number(await page.evaluate(() => document.body.dataset.runs));
  const settled = async (page: Page, before: number): Promise<void> => {
    try {
      await page.waitForFunction((b) => document.body.dataset.state === 'ready' && Number(document.body.dataset.runs) > b, before, { timeout: 60_000 });
    } catch (e) {
      await page.screenshot({ path: join(ARTIFACTS, 'volume-timeout.png') });
      const why = await page.evaluate(() => `state ${document.body.dataset.state}, status "${document.getElementById('status')?.textContent}"`);
      throw new Error(`no new masks after ${before} runs (${why}): ${(e as Error).message.split('\n')[0]}`);
    }
  };

  /** Page coordinates of a template pixel centre (the template view fitted: zoom 1, no pan). */
  async function at(page: Page, x: number, y: number, size: { width: number; height: number }): Promise<[number, number]> {
    const box = (await page.locator('#template-canvas').boundingBox())!;
    return [box.x + ((x + 0.5) / size.width) * box.width, box.y + ((y + 0.5) / size.height) * box.height];
  }
  async function centre(page: Page, selector: string): Promise<[number, number]> {
    const box = (await page.locator(selector).boundingBox())!;
    return [box.x + box.width / 2, box.y + box.height / 2];
  }
  async function drag(page: Page, from: [number, number], to: [number, number], button: 'left' | 'middle' = 'left'): Promise<void> {
    await page.mouse.move(...from);
    await page.mouse.down({ button });
    await page.mouse.move(...to, { steps: 5 });
    await page.mouse.up({ button });
  }
  async function saveDownload(page: Page, button: string, file: string): Promise<string> {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(button)]);
    await dl.saveAs(file);
    return file;
  }
  const readLabels = (file: string) => orThrow(parseNiftiFile(new Uint8Array(gunzipSync(readFileSync(file))), file));
  function dice(a: Float32Array, b: Float32Array): number {
    let both = 0;
    let sa = 0;
    let sb = 0;
    a.forEach((v, i) => {
      both += v && b[i] ? 1 : 0;
      sa += v ? 1 : 0;
      sb += b[i] ? 1 : 0;
    });
    return sa + sb ? (200 * both) / (sa + sb) : 100;
  }

  it("a NIfTI volume: scroll, window, zoom, pan; a box on a template slice masks every query slice; the exported label volume is the CLI's", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/`);
    await page.setInputFiles('#template-file', niftiFile);
    await page.setInputFiles('#query-files', niftiFile);
    await page.waitForFunction(() => document.body.dataset.state === 'waiting');
    let h = await hook(page);
    expect(h.template).toMatchObject({ name: 'head.nii.gz', slice: 5, count: NZ });
    expect(h.queries[0]).toMatchObject({ name: 'head.nii.gz', slice: 5, count: NZ, masked: 0 });

    // Scroll the template: wheel up twice, ArrowDown once → slice 6; the page names it for the CLI.
    await page.mouse.move(...(await centre(page, '#template-canvas')));
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await page.keyboard.press('ArrowDown');
    h = await hook(page);
    expect(h.template.slice).toBe(6);
    expect(h.template.ref).toBe('head.nii.gz#axial=6');
    expect(await page.textContent('#template-ref')).toBe('--template head.nii.gz#axial=6');

    // Draw a box around the blob's side of the head on template slice 6 (axial 48 × 40, displayed with x flipped).
    await page.check('input[value=box]');
    let n = await runs(page);
    const size = { width: NX, height: NY };
    await drag(page, await at(page, 20, 4, size), await at(page, 40, 22, size));
    await settled(page, n);
    h = await hook(page);
    expect(h.queries[0].done).toBe(NZ);
    expect(h.prompt).toMatchObject({ active: 'bbox', edits: { bbox: 1 } });

    // Scroll the query: End, Home, PageUp, wheel; keys go to the view under the pointer.
    await page.mouse.move(...(await centre(page, '#query-canvas-0')));
    await page.keyboard.press('End');
    expect((await hook(page)).queries[0].slice).toBe(NZ - 1);
    await page.keyboard.press('Home');
    await page.keyboard.press('PageUp');
    await page.mouse.wheel(0, -100);
    expect((await hook(page)).queries[0].slice).toBe(2);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');

    // Window presets (display only), zoom about the cursor, pan by dragging.
    await page.selectOption('#window', 'soft-tissue');
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    const c = await centre(page, '#query-canvas-0');
    await drag(page, c, [c[0] + 40, c[1] + 25]);
    h = await hook(page);
    expect(h.window).toBe('soft-tissue');
    expect(h.queries[0].zoom).toBeCloseTo(1.5625, 6);
    expect(h.queries[0].panX).toBeGreaterThan(10);
    expect(h.queries[0].done).toBe(NZ); // viewing changes no mask
    await page.screenshot({ path: join(ARTIFACTS, 'volume-nifti-soft-tissue-zoomed.png') });
    await page.locator('#query-canvas-0').screenshot({ path: join(ARTIFACTS, 'volume-nifti-query-view.png') });

    // Choosing another tool hides nothing: the box and every slice's mask stay.
    await page.check('input[value=doodle-fg]');
    h = await hook(page);
    expect(h.prompt).toMatchObject({ active: 'bbox', edits: { bbox: 1, doodle: 0 } });
    expect(h.queries[0].masked).toBe(NZ);
    // A doodle makes the prompt a doodle; Undo goes back to the box (one history across tools).
    n = await runs(page);
    await drag(page, await at(page, 25, 10, size), await at(page, 33, 14, size));
    await settled(page, n);
    expect((await hook(page)).prompt.active).toBe('doodle');
    n = await runs(page);
    await page.click('#undo');
    await settled(page, n);
    h = await hook(page);
    expect(h.prompt).toMatchObject({ active: 'bbox', edits: { bbox: 1, doodle: 0 } });
    expect(h.queries[0].done).toBe(NZ);
    await page.selectOption('#window', 'mri');
    await page.screenshot({ path: join(ARTIFACTS, 'volume-nifti-mri.png') });

    // Save the prompt and the label volume; the CLI with the same prompt and template slice writes the same volume.
    const dir = join(tmp, 'nifti');
    mkdirSync(dir, { recursive: true });
    const prompt = await saveDownload(page, '#download-prompt', join(dir, 'prompt.json'));
    expect(JSON.parse(readFileSync(prompt, 'utf8')).type).toBe('bbox');
    const exported = await saveDownload(page, '#download-labels-0', join(dir, 'head-labels.nii.gz'));
    const r = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      `${niftiFile}#axial=6`,
      '--prompt',
      prompt,
      '--query',
      niftiFile,
      '--out',
      join(dir, 'cli'),
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const page_ = readLabels(exported);
    const cli = readLabels(join(dir, 'cli', 'volumes', 'head.nii.gz'));
    expect(page_.dims).toEqual([NX, NY, NZ]);
    expect(page_.dims).toEqual(cli.dims);
    expect(page_.affine).toEqual(cli.affine);
    expect([page_.space!.qformCode, page_.space!.sformCode]).toEqual([cli.space!.qformCode, cli.space!.sformCode]);
    const area = page_.data.reduce((a, v) => a + v, 0);
    expect(area).toBeGreaterThan(50);
    expect(area).toBeLessThan((NX * NY * NZ) / 2);
    expect(dice(page_.data, cli.data), 'Dice page vs CLI label volume').toBeGreaterThanOrEqual(99);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a DICOM series (its files picked together): sorted, windowed as CT, zoomed and panned on the template; its label volume is the CLI's", async () => {
    const page = await context.newPage();
    await page.goto(`${srv.url}/`);
    const files = readdirSync(seriesDir).map((f) => join(seriesDir, f));
    await page.setInputFiles('#template-file', files);
    await page.setInputFiles('#query-files', files);
    await page.waitForFunction(() => document.body.dataset.state === 'waiting');
    let h = await hook(page);
    expect(h.template).toMatchObject({ name: 'series 1.2.3.4.5', count: 8, slice: 4 });
    expect(h.queries).toHaveLength(1);
    await page.selectOption('#window', 'soft-tissue');
    // Zoom and pan the template (Shift+drag pans: plain drags are the prompt tools), then fit again to draw.
    await page.mouse.move(...(await centre(page, '#template-canvas')));
    await page.keyboard.press('+');
    const c = await centre(page, '#template-canvas');
    await page.keyboard.down('Shift');
    await drag(page, c, [c[0] - 30, c[1] + 10]);
    await page.keyboard.up('Shift');
    h = await hook(page);
    expect(h.template.zoom).toBeCloseTo(1.25, 6);
    expect(h.template.panX).toBeLessThan(-10);
    expect(h.prompt.edits.click).toBe(0); // the pan drew nothing
    await page.screenshot({ path: join(ARTIFACTS, 'volume-dicom-template-zoomed.png') });
    await page.keyboard.press('0');
    await page.check('input[value=click-fg]');
    const n = await runs(page);
    await page.mouse.click(...(await at(page, 15, 26, { width: NX, height: NY })));
    await settled(page, n);
    expect((await hook(page)).queries[0].done).toBe(8);
    await page.screenshot({ path: join(ARTIFACTS, 'volume-dicom-ct.png') });
    const dir = join(tmp, 'dicom');
    mkdirSync(dir, { recursive: true });
    const prompt = await saveDownload(page, '#download-prompt', join(dir, 'prompt.json'));
    const exported = await saveDownload(page, '#download-labels-0', join(dir, 'series-labels.nii.gz'));
    const r = await runCli(
      'segment',
      '--model',
      echoFile,
      '--template',
      seriesDir,
      '--slice',
      '4',
      '--prompt',
      prompt,
      '--query',
      seriesDir,
      '--out',
      join(dir, 'cli'),
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const page_ = readLabels(exported);
    const cli = readLabels(join(dir, 'cli', 'volumes', 'ct-series.nii.gz'));
    expect(page_.dims).toEqual([NX, NY, 8]);
    page_.affine.forEach((v, i) => expect(v).toBeCloseTo(cli.affine[i], 5));
    expect(page_.data.reduce((a, v) => a + v, 0)).toBeGreaterThan(20);
    expect(dice(page_.data, cli.data), 'Dice page vs CLI label volume').toBeGreaterThanOrEqual(99);
    await page.close();
  });
});
