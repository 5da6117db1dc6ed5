// End to end in headless Chromium: `oneprompt serve`'s tool server, the page, onnxruntime-web, the repository's
// MRI sample (samples/mri). "Load sample" must show the masks of the sample's own prompt.json; then for each of
// the four prompt types a prompt is drawn on the template with the mouse (or uploaded), the page's masks and prompt
// JSON are saved through its own download buttons, and the CLI side (node decoders, readPromptFile,
// onnxruntime-node) segments the same images with that prompt JSON: the masks must agree (Dice ≥ 99 %). Run on a
// prompt-echo model (masks follow the prompt to the pixel, so a wrongly encoded prompt shows), on the compiled
// tiny One-Prompt model and on the shipped default (compiled/oneprompt-default.onnx, 128² since issue 14), both loaded
// through the page's model picker; the time from prompt to mask is printed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as ort from 'onnxruntime-node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { orThrow } from '../../src/app/data/errors.js';
import { maskArea, type Mask } from '../../src/app/data/image.js';
import { readImage, readMask } from '../../src/app/data/load.js';
import { readPromptFile } from '../../src/app/data/prompt-file.js';
import { segmentQueries } from '../../src/app/inference/segment-queries.js';
import type { ModelInputs } from '../../src/app/inference/model-inputs.js';
import { dice } from '../../src/app/eval/dice.js';
import { REPO_ROOT } from '../../src/app/serve/app-bundle.js';
import { findSampleSets } from '../../src/app/serve/sample-sets.js';
import { startToolServer, type ToolServer } from '../../src/app/serve/tool-server.js';
import { echoModel } from './echo-model.js';
import { geometryFromInputs } from '../../graphs/oneprompt/contract.js';
import { INPUT_NAMES, inputDims } from '../../graphs/oneprompt/contract.js';

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
const SAMPLES = join(REPO_ROOT, 'samples');

let tmp: string;
let echoFile: string;
let tinyFile: string;
let tinyPair: NonNullable<ReturnType<typeof compileOnePrompt>['pair']>;
let srv: ToolServer;
let context: BrowserContext;
/** The sample set "Load sample" opens, as files on disk for the CLI side. */
let sample: { template: string; queries: string[]; prompt: string; templateMask: string; width: number; height: number };
const timings: string[] = [];
let threads = 0;

const fileOf = (url: string): string => join(SAMPLES, ...decodeURIComponent(url.replace(/^\/samples\//, '')).split('/'));

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(join(SAMPLES, 'mri')))('browser prompting tool in headless Chromium', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'oneprompt-e2e-'));
    echoFile = join(tmp, 'echo.onnx');
    writeFileSync(echoFile, echoModel());
    tinyFile = join(tmp, 'oneprompt-tiny.onnx');
    tinyPair = compileOnePrompt({ config: 'tiny', out: tinyFile, split: true }).pair!;
    mkdirSync(ARTIFACTS, { recursive: true });
    srv = await startToolServer({ model: echoFile, samples: SAMPLES });
    const set = findSampleSets(SAMPLES, '/samples/')[0];
    const template = fileOf(set.template);
    const size = orThrow(readImage(template));
    sample = {
      template,
      queries: set.queries.map(fileOf),
      prompt: join(SAMPLES, set.name, 'prompt.json'),
      templateMask: template.replace(`${sep}images${sep}`, `${sep}masks${sep}`),
      width: size.width,
      height: size.height,
    };
    context = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      acceptDownloads: true,
      viewport: { width: 1400, height: 1000 },
    });
    // Playwright's 30 s default fails on a busy machine, not on a broken page.
    context.setDefaultTimeout(180_000);
  });

  afterAll(async () => {
    await context?.close();
    await srv?.close();
    if (timings.length)
      console.log(
        `time from prompt to mask in the page (onnxruntime-web wasm, ${threads} thread(s) in a worker, ${sample.queries.length} queries):\n  ${timings.join('\n  ')}`,
      );
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Wait until the page has shown masks for its latest prompt (more runs than `before`); a timeout says why. */
  const settled = async (page: Page, before: number): Promise<void> => {
    try {
      await page.waitForFunction((b) => document.body.dataset.state === 'ready' && Number(document.body.dataset.runs) > b, before, { timeout: 180_000 });
    } catch (e) {
      await page.screenshot({ path: join(ARTIFACTS, 'timeout.png') });
      const why = await page.evaluate(
        () => `state ${document.body.dataset.state}, runs ${document.body.dataset.runs}, status "${document.getElementById('status')?.textContent}"`,
      );
      throw new Error(`no new masks after ${before} runs (${why}): ${(e as Error).message.split('\n')[0]}`);
    }
  };
  const runs = async (page: Page): Promise<number> => Number(await page.evaluate(() => document.body.dataset.runs));

  const DEFAULT_MODEL = join(REPO_ROOT, 'compiled', 'oneprompt-default.onnx');
  const modelFiles = () => ({ echo: echoFile, tiny: tinyFile, default: DEFAULT_MODEL });

  async function openWithSample(model: 'echo' | 'tiny' | 'default'): Promise<Page> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/`);
    await page.click('#load-sample');
    await settled(page, 0); // the sample comes with its prompt: masks appear without drawing
    if (model !== 'echo') {
      const n = await runs(page);
      await page.setInputFiles('#model-file', modelFiles()[model]);
      await settled(page, n);
      const side =
        model === 'tiny' ? 64 : (JSON.parse(readFileSync(DEFAULT_MODEL.replace(/\.onnx$/, '.json'), 'utf8')) as { config: { size: number } }).config.size;
      expect(await page.textContent('#model-info')).toContain(`oneprompt-${model}.onnx: ${side}×${side} input, 32 prompt points`);
    }
    expect(errors).toEqual([]);
    // Cross-origin isolated (COOP/COEP from the server), so onnxruntime-web runs wasm threads, in its proxy worker.
    const rt = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      model: (window as unknown as { __oneprompt: { model: { threads: number; worker: boolean } } }).__oneprompt.model,
    }));
    expect(rt.isolated).toBe(true);
    expect(rt.model).toMatchObject({ threads: Math.min(4, rt.cores), worker: true });
    threads = rt.model.threads;
    // The proxy is onnxruntime-web's own module started as a dedicated worker.
    expect(page.workers().map((w) => new URL(w.url()).pathname)).toContain('/ort/ort.wasm.min.mjs');
    return page;
  }

  /** Page coordinates of a template pixel centre (scrolling the template into view: the mouse acts in the viewport). */
  async function at(page: Page, x: number, y: number): Promise<[number, number]> {
    const canvas = page.locator('#template-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    return [box.x + ((x + 0.5) / sample.width) * box.width, box.y + ((y + 0.5) / sample.height) * box.height];
  }

  async function drag(page: Page, path: readonly [number, number][]): Promise<void> {
    await page.mouse.move(...(await at(page, ...path[0])));
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(...(await at(page, ...p)), { steps: 4 });
    await page.mouse.up();
  }

  async function saveDownload(page: Page, button: string, file: string): Promise<string> {
    try {
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(button)]);
      await dl.saveAs(file);
      return file;
    } catch (e) {
      const why = await page.evaluate(() => `state ${document.body.dataset.state}, status "${document.getElementById('status')?.textContent}"`);
      throw new Error(`${button} gave no download (${why}): ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** The CLI's masks for the saved prompt JSON: node decoders, readPromptFile, onnxruntime-node. */
  async function cliMasks(modelFile: string, promptFile: string): Promise<Mask[]> {
    const template = orThrow(readImage(sample.template));
    const queries = sample.queries.map((q) => orThrow(readImage(q)));
    const prompt = orThrow(readPromptFile(promptFile, template));
    const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 1 });
    try {
      const g = geometryFromInputs(session.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] })));
      if (E.isLeft(g)) throw new Error(g.left);
      // The CLI's pipeline (segmentQueries) on a batch of all queries, the model run here with onnxruntime-node.
      const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
        const dims = inputDims(inputs.batch, g.right);
        const feeds = Object.fromEntries(INPUT_NAMES.map((n) => [n, new ort.Tensor('float32', inputs[n], dims[n])]));
        return (await session.run(feeds)).mask_logits.data as Float32Array;
      };
      const masks = orThrow(
        await segmentQueries({ templates: [{ image: template, prompt, source: promptFile }], queries, geometry: g.right, predict, batchSize: queries.length }),
      );
      return masks.map((m) => m.mask);
    } finally {
      await session.release();
    }
  }

  /** A template point given as fractions of its width and height. */
  const f = (fx: number, fy: number): [number, number] => [fx * (sample.width - 1), fy * (sample.height - 1)];

  const draw: Record<string, (page: Page) => Promise<void>> = {
    // "Load sample" already drew the sample's own prompt.json: nothing to do.
    given: async () => {},
    click: async (page) => {
      await page.check('input[value=click-fg]');
      let n = await runs(page);
      await page.mouse.click(...(await at(page, ...f(0.48, 0.5))));
      await settled(page, n);
      await page.check('input[value=click-bg]');
      n = await runs(page);
      await page.mouse.click(...(await at(page, ...f(0.06, 0.08))));
      await settled(page, n);
    },
    bbox: async (page) => {
      await page.check('input[value=box]');
      const n = await runs(page);
      await drag(page, [f(0.3, 0.2), f(0.5, 0.5), f(0.65, 0.8)]);
      await settled(page, n);
    },
    doodle: async (page) => {
      await page.check('input[value=doodle-fg]');
      let n = await runs(page);
      await drag(page, [f(0.4, 0.4), f(0.5, 0.45), f(0.6, 0.5), f(0.55, 0.62)]);
      await settled(page, n);
      await page.check('input[value=doodle-bg]');
      n = await runs(page);
      await drag(page, [f(0.04, 0.85), f(0.12, 0.95)]);
      await settled(page, n);
    },
    seglab: async (page) => {
      let n = await runs(page);
      await page.setInputFiles('#mask-file', sample.templateMask);
      await settled(page, n);
      await page.check('input[value=paint]');
      n = await runs(page);
      await drag(page, [f(0.05, 0.1), f(0.15, 0.15)]);
      await settled(page, n);
    },
  };

  // The shipped default on the sample's own prompt and two drawn types (a page run at 128² costs more; the prompt
  // encoding is the same code for every model, checked in full on echo and tiny).
  const typesOf = { echo: Object.keys(draw), tiny: Object.keys(draw), default: ['given', 'click', 'seglab'] };
  for (const model of ['echo', 'tiny', 'default'] as const) {
    it.skipIf(model === 'default' && !existsSync(DEFAULT_MODEL))(
      `${model} model: the sample's prompt and ${model === 'default' ? 'click and SegLab prompts' : 'each prompt type'} drawn in the page give the CLI's masks for the same prompt JSON`,
      async () => {
        const modelFile = modelFiles()[model];
        const perType: string[] = [];
        for (const [type, act] of Object.entries(draw).filter(([t]) => typesOf[model].includes(t))) {
          // A fresh page per prompt type: headless Chromium drops every eleventh download a page starts (seen with
          // blob: and data: links alike), and one type saves up to seven files.
          const page = await openWithSample(model);
          const dir = join(tmp, model, type);
          mkdirSync(dir, { recursive: true });
          await act(page);
          await page.screenshot({ path: join(ARTIFACTS, `${model}-${type}.png`) });
          const saved = await saveDownload(page, '#download-prompt', join(dir, 'prompt.json'));
          if (type === 'seglab') await saveDownload(page, '#download-prompt-mask', join(dir, 'prompt-mask.png'));
          if (type === 'given') expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(JSON.parse(readFileSync(sample.prompt, 'utf8')));
          const pageMasks: Mask[] = [];
          for (let i = 0; i < sample.queries.length; i++)
            pageMasks.push(orThrow(readMask(await saveDownload(page, `#download-mask-${i}`, join(dir, `query-${i + 1}-mask.png`)))));
          // The sample's own prompt file for the given prompt; what the page saved for the drawn ones.
          const cli = await cliMasks(modelFile, type === 'given' ? sample.prompt : saved);
          cli.forEach((m, i) => {
            expect([pageMasks[i].width, pageMasks[i].height], `${type} query ${i + 1} size`).toEqual([m.width, m.height]);
            expect(dice(pageMasks[i], m), `${type} query ${i + 1} Dice page vs CLI`).toBeGreaterThanOrEqual(99);
            if (model === 'echo') {
              // The echo model's mask is a real region, neither empty nor everything: the comparison means something.
              expect(maskArea(m), `${type} query ${i + 1} area`).toBeGreaterThan(20);
              expect(maskArea(m), `${type} query ${i + 1} area`).toBeLessThan((m.width * m.height) / 2);
            }
          });
          const ms = (await page.evaluate(() => (window as unknown as { __oneprompt: { lastMs: number } }).__oneprompt.lastMs)) as number;
          perType.push(`${type} ${ms.toFixed(0)} ms`);
          await page.close();
        }
        timings.push(`${model}: ${perType.join(', ')}`);
      },
    );
  }

  it("tiny as its encoder/decoder pair (picked as two files): each image encoded once, a new prompt runs only the decoder, the CLI's masks", async () => {
    const page = await openWithSample('echo');
    type Usage = { kind: string; imagesEncoded: number; promptsDecoded: number; forwards: number };
    const usage = (): Promise<Usage> =>
      page.evaluate(() => {
        const m = (window as unknown as { __oneprompt: { model: Usage } }).__oneprompt.model;
        return { kind: m.kind, imagesEncoded: m.imagesEncoded, promptsDecoded: m.promptsDecoded, forwards: m.forwards };
      });
    let n = await runs(page);
    await page.setInputFiles('#model-file', [tinyPair.encoder.path, tinyPair.decoder.path]);
    await settled(page, n);
    expect(await page.textContent('#model-info')).toContain('oneprompt-tiny.onnx: 64×64 input, 32 prompt points, encoder/decoder pair');
    const first = await usage();
    // The sample's prompt: the template and each query encoded once, one decode per query.
    expect(first).toEqual({ kind: 'pair', imagesEncoded: 1 + sample.queries.length, promptsDecoded: sample.queries.length, forwards: 0 });
    await page.check('input[value=click-fg]');
    for (const [k, point] of [f(0.48, 0.5), f(0.3, 0.6)].entries()) {
      n = await runs(page);
      await page.mouse.click(...(await at(page, ...point)));
      await settled(page, n);
      // A new prompt: no image encoded again, one decode per query.
      expect(await usage()).toEqual({ ...first, promptsDecoded: first.promptsDecoded + (k + 1) * sample.queries.length });
    }
    const dir = join(tmp, 'tiny-pair');
    mkdirSync(dir, { recursive: true });
    const saved = await saveDownload(page, '#download-prompt', join(dir, 'prompt.json'));
    const cli = await cliMasks(tinyFile, saved);
    for (let i = 0; i < sample.queries.length; i++) {
      const m = orThrow(readMask(await saveDownload(page, `#download-mask-${i}`, join(dir, `query-${i + 1}-mask.png`))));
      expect(dice(m, cli[i]), `query ${i + 1} Dice page (pair) vs CLI (one-file model)`).toBeGreaterThanOrEqual(99);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'tiny-pair-click.png') });
    await page.close();
  });

  it('draws where the mouse is; choosing a tool hides nothing; one Undo history goes back across tools', async () => {
    const page = await openWithSample('echo');
    type Hook = { prompt: { active: string; edits: Record<string, number>; canUndo: boolean }; queries: { masked: number }[] };
    const hook = (): Promise<Hook> => page.evaluate(() => (window as unknown as { __oneprompt: Hook }).__oneprompt);
    await page.check('input[value=click-fg]');
    // The sample's box and every mask stay when another tool is chosen.
    let h = await hook();
    expect(h.prompt).toMatchObject({ active: 'bbox', edits: { bbox: 1, click: 0 } });
    expect(h.queries.every((q) => q.masked === 1)).toBe(true);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    const n = await runs(page);
    const [x, y] = f(0.23, 0.76);
    await page.mouse.click(...(await at(page, x, y)));
    await settled(page, n);
    const file = await saveDownload(page, '#download-prompt', join(tmp, 'where.json'));
    const prompt = orThrow(readPromptFile(file, sample));
    expect(prompt.type).toBe('click');
    if (prompt.type !== 'click') return;
    expect(prompt.points).toHaveLength(1);
    expect(Math.abs(prompt.points[0].x - x)).toBeLessThan(0.5);
    expect(Math.abs(prompt.points[0].y - y)).toBeLessThan(0.5);
    // Undo takes the click back, and the box prompt (drawn before, with another tool) is the prompt again.
    const m = await runs(page);
    await page.click('#undo');
    await settled(page, m);
    h = await hook();
    expect(h.prompt).toMatchObject({ active: 'bbox', edits: { bbox: 1, click: 0 }, canUndo: false });
    expect(await page.isChecked('input[value=box]')).toBe(true);
    await page.close();
  });
});
