// End to end in headless Chromium: `oneprompt serve`'s tool server, the page, onnxruntime-web. For each of the
// four prompt types a prompt is drawn on the sample template with the mouse (or uploaded), the page's masks and
// prompt JSON are saved through its own download buttons, and the CLI side (node decoders, readPromptFile,
// onnxruntime-node) segments the same images with that prompt JSON: the masks must agree (Dice ≥ 99 %). Run on a
// prompt-echo model (masks follow the prompt to the pixel, so a wrongly encoded prompt shows) and on the compiled
// tiny One-Prompt model, loaded through the page's model picker; the time from prompt to mask is printed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as ort from 'onnxruntime-node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { orThrow } from '../../src/data/errors.js';
import { maskArea, type Mask } from '../../src/data/image.js';
import { readImage, readMask } from '../../src/data/load.js';
import { encodeGreyPng, encodeMaskPng } from '../../src/data/png.js';
import { readPromptFile } from '../../src/data/prompt-file.js';
import { geometryFromInputs } from '../../src/data/model-geometry.js';
import { masksFromLogits, promptedInputs } from '../../src/data/prompted-inputs.js';
import { INPUT_NAMES, inputDims } from '../../src/data/model-inputs.js';
import { renderSample, taskSpecs } from '../../src/data/synth-render.js';
import { dice } from '../../src/eval/dice.js';
import { startToolServer, type ToolServer } from '../../src/serve/tool-server.js';
import { echoModel } from './echo-model.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'browser-tool');
const TEMPLATE_SIZE = 160;
const QUERY_SIZES = [160, 120];

let tmp: string;
let samples: string;
let templateMaskFile: string;
let echoFile: string;
let tinyFile: string;
let srv: ToolServer;
let context: BrowserContext;
const timings: string[] = [];

/** Write a sample set: a template and two queries of one synthetic task, and the template's true mask. */
function writeSamples(dir: string): void {
  const task = taskSpecs({ tasks: 1, seed: 11 })[0];
  const set = join(dir, 'mri');
  mkdirSync(set, { recursive: true });
  const t = renderSample(task, 0, TEMPLATE_SIZE, 11);
  writeFileSync(join(set, 'template.png'), encodeGreyPng(t.image));
  templateMaskFile = join(tmp, 'template-mask.png');
  writeFileSync(templateMaskFile, encodeMaskPng(t.mask));
  QUERY_SIZES.forEach((s, i) => writeFileSync(join(set, `query-${i + 1}.png`), encodeGreyPng(renderSample(task, i + 1, s, 11).image)));
}

describe.skipIf(!existsSync(CHROMIUM))('browser prompting tool in headless Chromium', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oneprompt-e2e-'));
    samples = join(tmp, 'samples');
    writeSamples(samples);
    echoFile = join(tmp, 'echo.onnx');
    writeFileSync(echoFile, echoModel());
    tinyFile = join(tmp, 'oneprompt-tiny.onnx');
    compileOnePrompt({ config: 'tiny', out: tinyFile });
    mkdirSync(ARTIFACTS, { recursive: true });
    srv = await startToolServer({ model: echoFile, samples });
    context = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), { executablePath: CHROMIUM, args: ARGS, acceptDownloads: true, viewport: { width: 1280, height: 720 } });
  });

  afterAll(async () => {
    await context?.close();
    await srv?.close();
    if (timings.length) console.log(`time from prompt to mask in the page (onnxruntime-web wasm, 1 thread, ${QUERY_SIZES.length} queries):\n  ${timings.join('\n  ')}`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Wait until the page has shown masks for its latest prompt (more runs than `before`). */
  const settled = (page: Page, before: number) =>
    page.waitForFunction((b) => document.body.dataset.state === 'ready' && Number(document.body.dataset.runs) > b, before, { timeout: 30_000 });
  const runs = async (page: Page): Promise<number> => Number(await page.evaluate(() => document.body.dataset.runs));

  async function openWithSample(model: 'echo' | 'tiny'): Promise<Page> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/`);
    await page.click('#load-sample');
    await page.waitForFunction(() => document.body.dataset.state === 'waiting', null, { timeout: 30_000 });
    if (model === 'tiny') {
      await page.setInputFiles('#model-file', tinyFile);
      await page.waitForFunction(() => /oneprompt-tiny\.onnx: 64×64/.test(document.getElementById('model-info')?.textContent ?? ''), null, { timeout: 30_000 });
    }
    expect(errors).toEqual([]);
    return page;
  }

  /** Page coordinates of a template pixel centre. */
  async function at(page: Page, x: number, y: number): Promise<[number, number]> {
    const box = (await page.locator('#template-canvas').boundingBox())!;
    return [box.x + ((x + 0.5) / TEMPLATE_SIZE) * box.width, box.y + ((y + 0.5) / TEMPLATE_SIZE) * box.height];
  }

  async function drag(page: Page, path: readonly [number, number][]): Promise<void> {
    await page.mouse.move(...(await at(page, ...path[0])));
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(...(await at(page, ...p)), { steps: 4 });
    await page.mouse.up();
  }

  async function saveDownload(page: Page, button: string, file: string): Promise<string> {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    await dl.saveAs(file);
    return file;
  }

  /** The CLI's masks for the saved prompt JSON: node decoders, readPromptFile, onnxruntime-node. */
  async function cliMasks(modelFile: string, promptFile: string): Promise<Mask[]> {
    const template = orThrow(readImage(join(samples, 'mri', 'template.png')));
    const queries = QUERY_SIZES.map((_, i) => orThrow(readImage(join(samples, 'mri', `query-${i + 1}.png`))));
    const prompt = orThrow(readPromptFile(promptFile, template));
    const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 1 });
    try {
      const g = geometryFromInputs(session.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] })));
      if (E.isLeft(g)) throw new Error(g.left);
      const inputs = orThrow(promptedInputs({ template, queries, prompt }, g.right));
      const dims = inputDims(inputs.batch, g.right);
      const feeds = Object.fromEntries(INPUT_NAMES.map((n) => [n, new ort.Tensor('float32', inputs[n], dims[n])]));
      const out = await session.run(feeds);
      return masksFromLogits(out.mask_logits.data as Float32Array, g.right, queries);
    } finally {
      await session.release();
    }
  }

  const draw: Record<string, (page: Page) => Promise<void>> = {
    click: async (page) => {
      await page.check('input[value=click-fg]');
      let n = await runs(page);
      await page.mouse.click(...(await at(page, 82, 86)));
      await settled(page, n);
      await page.check('input[value=click-bg]');
      n = await runs(page);
      await page.mouse.click(...(await at(page, 30, 40)));
      await settled(page, n);
    },
    bbox: async (page) => {
      await page.check('input[value=box]');
      const n = await runs(page);
      await drag(page, [[58, 62], [90, 80], [112, 104]]);
      await settled(page, n);
    },
    doodle: async (page) => {
      await page.check('input[value=doodle-fg]');
      let n = await runs(page);
      await drag(page, [[70, 80], [85, 84], [100, 90], [96, 100]]);
      await settled(page, n);
      await page.check('input[value=doodle-bg]');
      n = await runs(page);
      await drag(page, [[20, 130], [40, 140]]);
      await settled(page, n);
    },
    seglab: async (page) => {
      let n = await runs(page);
      await page.setInputFiles('#mask-file', templateMaskFile);
      await settled(page, n);
      await page.check('input[value=paint]');
      n = await runs(page);
      await drag(page, [[20, 20], [30, 26]]);
      await settled(page, n);
    },
  };

  for (const model of ['echo', 'tiny'] as const) {
    it(`${model} model: each prompt type drawn in the page gives the CLI's masks for the same prompt JSON`, async () => {
      const page = await openWithSample(model);
      const modelFile = model === 'echo' ? echoFile : tinyFile;
      const perType: string[] = [];
      for (const [type, act] of Object.entries(draw)) {
        const dir = join(tmp, model, type);
        mkdirSync(dir, { recursive: true });
        await act(page);
        await page.screenshot({ path: join(ARTIFACTS, `${model}-${type}.png`) });
        const promptFile = await saveDownload(page, '#download-prompt', join(dir, 'prompt.json'));
        if (type === 'seglab') await saveDownload(page, '#download-prompt-mask', join(dir, 'prompt-mask.png'));
        const pageMasks: Mask[] = [];
        for (let i = 0; i < QUERY_SIZES.length; i++) pageMasks.push(orThrow(readMask(await saveDownload(page, `#download-mask-${i}`, join(dir, `query-${i + 1}-mask.png`)))));
        const cli = await cliMasks(modelFile, promptFile);
        cli.forEach((m, i) => {
          expect([pageMasks[i].width, pageMasks[i].height], `${type} query ${i + 1} size`).toEqual([m.width, m.height]);
          expect(dice(pageMasks[i], m), `${type} query ${i + 1} Dice page vs CLI`).toBeGreaterThanOrEqual(99);
          if (model === 'echo') {
            // The echo model's mask is a real region, neither empty nor everything: the comparison means something.
            expect(maskArea(m)).toBeGreaterThan(20);
            expect(maskArea(m)).toBeLessThan(m.width * m.height / 2);
          }
        });
        const ms = (await page.evaluate(() => (window as unknown as { __oneprompt: { lastMs: number } }).__oneprompt.lastMs)) as number;
        perType.push(`${type} ${ms.toFixed(0)} ms`);
      }
      timings.push(`${model}: ${perType.join(', ')}`);
      await page.close();
    });
  }

  it('draws where the mouse is: a click lands on the pixel under the pointer in the saved prompt JSON', async () => {
    const page = await openWithSample('echo');
    const n = await runs(page);
    await page.mouse.click(...(await at(page, 37, 121)));
    await settled(page, n);
    const file = await saveDownload(page, '#download-prompt', join(tmp, 'where.json'));
    const prompt = orThrow(readPromptFile(file, { width: TEMPLATE_SIZE, height: TEMPLATE_SIZE }));
    expect(prompt.type).toBe('click');
    if (prompt.type !== 'click') return;
    expect(prompt.points).toHaveLength(1);
    expect(prompt.points[0].x).toBeCloseTo(37, 0);
    expect(prompt.points[0].y).toBeCloseTo(121, 0);
    // Undo removes it again: no prompt, no masks.
    await page.click('#undo');
    await page.waitForFunction(() => document.body.dataset.state === 'waiting');
    expect(await page.textContent('#status')).toContain('click on the template');
    await page.close();
  });
});
