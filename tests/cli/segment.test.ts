import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { echoModel } from '../e2e/echo-model.js';
import { orThrow } from '../../src/app/data/errors.js';
import { readImage, readMask } from '../../src/app/data/load.js';
import { encodeMaskPng } from '../../src/app/data/png.js';
import { dice } from '../../src/app/eval/dice.js';
import { segmentQueries } from '../../src/app/inference/segment-queries.js';
import { outline, overlayRgb } from '../../src/app/cli/overlay.js';
import { greyImage, type Mask } from '../../src/app/data/image.js';
import type { ModelInputs } from '../../src/app/inference/model-inputs.js';
import { cudaProviderStatus } from '../../src/runtime/cuda-libs.js';
import { makeNifti } from '../data/fixtures.js';
import { MRI, TINY_MODEL, listFiles, readPng, runCli, tempDir } from './run-cli.js';

const segmentArgs = (out: string, ...extra: string[]) => [
  'segment',
  '--model',
  TINY_MODEL,
  '--template',
  MRI.template,
  '--prompt',
  MRI.prompt,
  '--query',
  ...MRI.queries,
  '--out',
  out,
  '--threads',
  '1',
  ...extra,
];

describe('oneprompt segment', () => {
  it("writes a mask and an overlay per query at the query's size, running batched", async () => {
    const out = tempDir('seg');
    const r = await runCli(...segmentArgs(out, '--batch', '2'));
    expect(r.code, r.stderr).toBe(0);
    const names = MRI.queries.map((q) => q.split('/').pop()!);
    expect(listFiles(out)).toEqual([...names.map((n) => `masks/${n}`), ...names.map((n) => `overlays/${n}`), 'segment.json']);
    for (const n of names) {
      const mask = readPng(join(out, 'masks', n));
      expect([mask.width, mask.height, mask.colorType]).toEqual([MRI.width, MRI.height, 0]);
      // 0/255 only.
      expect(new Set(Array.from(mask.rgba.filter((_, i) => i % 4 === 0)))).toSatisfy((s: Set<number>) => [...s].every((v) => v === 0 || v === 255));
      const overlay = readPng(join(out, 'overlays', n));
      expect([overlay.width, overlay.height, overlay.colorType]).toEqual([MRI.width, MRI.height, 2]);
    }
    // 5 queries in runs of 2: the progress bar reports 2, 4 and 5 of 5.
    expect(r.stderr).toContain('segment: 2/5 queries');
    expect(r.stderr).toContain('segment: 5/5 queries (100%)');
    expect(r.stdout).toMatch(/axial-036\s+128×93/);
    expect(r.stdout).toContain(`wrote 5 masks to ${join(out, 'masks')}`);
  });

  it('gives the same masks as the shared pipeline run in-process (what the browser tool runs)', async () => {
    const out = tempDir('same');
    expect((await runCli(...segmentArgs(out, '--batch', '3'))).code).toBe(0);
    const { Model, hostTensor } = await import('../../src/runtime/session.js');
    const { INPUT_NAMES, inputDims } = await import('../../graphs/oneprompt/contract.js');
    const template = orThrow(readImage(MRI.template));
    const queries = MRI.queries.map((q) => orThrow(readImage(q)));
    const { readPromptFile } = await import('../../src/app/data/prompt-file.js');
    const g = { size: 64, points: 32 };
    const model = await Model.load(TINY_MODEL, { threads: 1 });
    const predict = async (inputs: ModelInputs): Promise<Float32Array> => {
      const dims = inputDims(inputs.batch, g);
      return (await model.run(Object.fromEntries(INPUT_NAMES.map((n) => [n, hostTensor(inputs[n], dims[n])])))).mask_logits.data as Float32Array;
    };
    const masks = orThrow(
      await segmentQueries({
        templates: [{ image: template, prompt: orThrow(readPromptFile(MRI.prompt, template)), source: MRI.prompt }],
        queries,
        geometry: g,
        predict,
        batchSize: queries.length,
      }),
    );
    await model.release();
    const expected = masks.map((m) => m.mask);
    MRI.queries.forEach((q, i) => {
      const got = orThrow(readMask(join(out, 'masks', q.split('/').pop()!)));
      expect(Array.from(got.data)).toEqual(Array.from(expected[i].data));
    });
  });

  it("follows the prompt: on a model that echoes the SegLab mask, every query's mask is the template's", async () => {
    const dir = tempDir('echo');
    const model = join(dir, 'echo.onnx');
    writeFileSync(model, echoModel(64, 32));
    const templateMask = resolve(MRI.mask('066'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ type: 'seglab', mask: templateMask }));
    const out = join(dir, 'out');
    const r = await runCli(
      'segment',
      '--model',
      model,
      '--template',
      MRI.template,
      '--prompt',
      join(dir, 'p.json'),
      '--query',
      ...MRI.queries,
      '--out',
      out,
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const truth = orThrow(readMask(templateMask));
    for (const q of MRI.queries) {
      const got = orThrow(readMask(join(out, 'masks', q.split('/').pop()!)));
      expect(dice(got, truth), q).toBeGreaterThan(95);
    }
  });

  it('takes the prompt inline as JSON, with the same masks as from its file, and names the option in errors', async () => {
    const fromFile = tempDir('prompt-file');
    expect((await runCli(...segmentArgs(fromFile))).code).toBe(0);
    const inline = tempDir('prompt-inline');
    const json = readFileSync(MRI.prompt, 'utf8');
    const args = segmentArgs(inline);
    args[args.indexOf(MRI.prompt)] = json;
    const r = await runCli(...args);
    expect(r.code, r.stderr).toBe(0);
    for (const q of MRI.queries) {
      const name = q.split('/').pop()!;
      expect(readFileSync(join(inline, 'masks', name)).equals(readFileSync(join(fromFile, 'masks', name))), name).toBe(true);
    }
    args[args.indexOf(json)] = '{"type": "click", "points": [{"x": 500, "y": 3}]}';
    const bad = await runCli(...args.map((a) => (a === inline ? tempDir('prompt-bad') : a)));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--prompt (inline JSON) (points[0]): point (500, 3) is outside the 128×93 template');
    args[args.indexOf('{"type": "click", "points": [{"x": 500, "y": 3}]}')] = '{"type": "click", ';
    const broken = await runCli(...args.map((a) => (a === inline ? tempDir('prompt-broken') : a)));
    expect(broken.stderr).toMatch(/--prompt \(inline JSON\) \(line 1, column \d+, offset \d+\): malformed JSON/);
  });

  it('refuses an invalid prompt with a message that says what and where, and writes nothing', async () => {
    const dir = tempDir('bad');
    const cases: [string, unknown, RegExp][] = [
      [
        'outside.json',
        { type: 'click', points: [{ x: 200, y: 3 }] },
        /outside\.json \(points\[0\]\): point \(200, 3\) is outside the 128×93 template \(x in 0\.\.127, y in 0\.\.92\)/,
      ],
      ['type.json', { type: 'circle' }, /type\.json \(type\): unknown prompt type "circle" \(expected click, bbox, doodle, seglab\)/],
      [
        'stroke.json',
        {
          type: 'doodle',
          strokes: [
            { label: 1, points: [[3, 3]] },
            { label: 0, points: [] },
          ],
        },
        /stroke\.json \(strokes\[1\]\.points\): stroke 1 is empty/,
      ],
    ];
    writeFileSync(join(dir, 'small.png'), encodeMaskPng({ width: 10, height: 10, data: new Uint8Array(100).fill(1) }));
    cases.push(['seglab.json', { type: 'seglab', mask: 'small.png' }, /seglab\.json \(mask\): mask small\.png is 10×10, but the template is 128×93/]);
    for (const [file, json, message] of cases) {
      writeFileSync(join(dir, file), JSON.stringify(json));
      const out = join(dir, `out-${file}`);
      const r = await runCli(
        'segment',
        '--model',
        TINY_MODEL,
        '--template',
        MRI.template,
        '--prompt',
        join(dir, file),
        '--query',
        ...MRI.queries,
        '--out',
        out,
      );
      expect(r.code, file).not.toBe(0);
      expect(r.stderr, file).toMatch(message);
      expect(r.stderr.startsWith('oneprompt: ')).toBe(true);
      expect(existsSync(out), file).toBe(false);
    }
    // An existing output folder is left as it was.
    const existing = join(dir, 'existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'keep.txt'), 'x');
    expect(
      (
        await runCli(
          'segment',
          '--model',
          TINY_MODEL,
          '--template',
          MRI.template,
          '--prompt',
          join(dir, 'outside.json'),
          '--query',
          MRI.queries[0],
          '--out',
          existing,
        )
      ).code,
    ).toBe(1);
    expect(listFiles(existing)).toEqual(['keep.txt']);
  });

  it('checks option combinations, files and the model before writing', async () => {
    const out = join(tempDir('opts'), 'out');
    const cases: [string[], RegExp][] = [
      [['--template', MRI.template, '--query', MRI.queries[0]], /--template and --prompt go together/],
      [['--query', MRI.queries[0]], /give --template T --prompt P\.json, or --templates FILE/],
      [
        ['--template', MRI.template, '--prompt', MRI.prompt, '--ensemble', '3', '--query', MRI.queries[0]],
        /--ensemble 3 averages 3 prompted templates; list them with --templates FILE/,
      ],
      [['--template', MRI.template, '--prompt', MRI.prompt, '--query', 'nope.png'], /nope\.png: file not found/],
      [['--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[0], MRI.queries[0]], /its output name axial-036 is already used by query/],
      [
        ['--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[0], '--batch', '0'],
        /option '--batch <n>' argument '0' is invalid\. expected a positive integer/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli('segment', '--model', TINY_MODEL, '--out', out, ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const noModel = await runCli(
      'segment',
      '--model',
      'missing.onnx',
      '--template',
      MRI.template,
      '--prompt',
      MRI.prompt,
      '--query',
      MRI.queries[0],
      '--out',
      out,
    );
    expect(noModel.stderr).toContain("no such model file 'missing.onnx'");
    const notOnePrompt = await runCli(
      'segment',
      '--model',
      MRI.template,
      '--template',
      MRI.template,
      '--prompt',
      MRI.prompt,
      '--query',
      MRI.queries[0],
      '--out',
      out,
    );
    expect(notOnePrompt.stderr).toMatch(/samples\/mri\/images\/axial-066\.png: not a readable ONNX model/);
    expect(existsSync(out)).toBe(false);
  });

  it('averages an ensemble of K templates from a templates.json, and points into the list on errors', async () => {
    const dir = tempDir('ens');
    const list = [
      { image: 'axial-056.png', prompt: { type: 'bbox', box: [30, 5, 95, 85] } },
      { image: 'axial-076.png', prompt: { type: 'seglab', mask: 'masks/axial-076.png' } },
      { image: 'axial-046.png', prompt: { type: 'click', points: [{ x: 60, y: 45 }] } },
    ];
    writeFileSync(join(dir, 'templates.json'), JSON.stringify(list));
    // The file sits in its own folder: images and SegLab masks are found relative to it (images/ for the images).
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'masks'));
    for (const n of ['046', '056', '076']) {
      writeFileSync(join(dir, 'images', `axial-${n}.png`), readFileSync(`samples/mri/images/axial-${n}.png`));
      writeFileSync(join(dir, 'masks', `axial-${n}.png`), readFileSync(MRI.mask(n)));
    }
    const out = join(dir, 'out');
    const base = [
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      MRI.prompt,
      '--templates',
      join(dir, 'templates.json'),
      '--query',
      MRI.queries[0],
      MRI.queries[4],
      '--out',
      out,
      '--threads',
      '1',
      '--batch',
      '3',
    ];
    const r = await runCli(...base, '--ensemble', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('segment: 6/6 predictions (2 queries × 3 templates)');
    expect(listFiles(out)).toEqual(['masks/axial-036.png', 'masks/axial-086.png', 'overlays/axial-036.png', 'overlays/axial-086.png', 'segment.json']);
    const tooMany = await runCli(...base, '--ensemble', '5');
    expect(tooMany.stderr).toContain(`--ensemble 5 needs 4 templates from ${join(dir, 'templates.json')}, it lists 3`);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([list[0], { image: 'axial-076.png', prompt: { type: 'seglab', mask: 'masks/none.png' } }]));
    const bad = await runCli('segment', '--model', TINY_MODEL, '--templates', join(dir, 'bad.json'), '--query', MRI.queries[0], '--out', join(dir, 'bad-out'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.json \(\[1\]\.prompt\.mask\): SegLab mask masks\/none\.png: file not found/);
    expect(existsSync(join(dir, 'bad-out'))).toBe(false);
  });

  it("segments every slice of a NIfTI volume query into one label volume of the volume's dims", async () => {
    const dir = tempDir('nii');
    const [W, H, D] = [20, 16, 3];
    const values = Array.from({ length: W * H * D }, (_, i) => (i * 37) % 251);
    const vol = join(dir, 'vol.nii');
    writeFileSync(vol, makeNifti({ dims: [3, W, H, D], datatype: 16, bitpix: 32, values }));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ type: 'click', points: [{ x: 1, y: 1 }] }));
    const out = join(dir, 'out');
    const r = await runCli(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      vol,
      '--plane',
      'coronal',
      '--slice',
      '1',
      '--prompt',
      join(dir, 'p.json'),
      '--query',
      vol,
      '--out',
      out,
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(out)).toEqual(['labels.json', 'segment.json', 'volumes/vol.nii.gz']);
    const { gunzipSync } = await import('node:zlib');
    const { parseNiftiFile } = await import('../../src/app/data/nifti2.js');
    const labels = orThrow(parseNiftiFile(new Uint8Array(gunzipSync(readFileSync(join(out, 'volumes', 'vol.nii.gz')))), 'vol.nii.gz'));
    expect(labels.dims).toEqual([3, W, H]);
    const bad = await runCli(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      vol,
      '--plane',
      'coronal',
      '--slice',
      '99',
      '--prompt',
      join(dir, 'p.json'),
      '--query',
      vol,
      '--out',
      join(dir, 'bad'),
    );
    expect(bad.stderr).toMatch(/coronal slice 99 is out of range/);
  });

  it.skipIf(cudaProviderStatus().missing.length === 0)('--device cuda without CUDA warns once and runs on the CPU', async () => {
    const out = tempDir('cuda');
    const r = await runCli(...segmentArgs(out, '--device', 'cuda'));
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: CUDA is not available \(.+\); running on CPU/);
    expect(listFiles(out)).toHaveLength(2 * MRI.queries.length + 1);
  });
});

describe('ensemble averaging', () => {
  // A predictor whose logit depends only on the template's prompt: the click's x picks it, the same everywhere.
  const clickAt = (x: number) => ({ image: greyImage(8, 8), prompt: { type: 'click' as const, points: [{ x, y: 1, label: 1 as const }] }, source: `t${x}` });
  const byTemplate = (logitFor: Record<number, number>) => async (x: ModelInputs) => {
    const S2 = x.geometry.size ** 2;
    const out = new Float32Array(x.batch * S2);
    for (let b = 0; b < x.batch; b++) {
      const px = Math.round(x.prompt_points[b * x.geometry.points * 2] * 8 - 0.5);
      out.fill(logitFor[px], b * S2, (b + 1) * S2);
    }
    return out;
  };
  const run = async (xs: number[], logits: Record<number, number>, batchSize: number) => {
    const r = await segmentQueries({
      templates: xs.map(clickAt),
      queries: [greyImage(5, 4), greyImage(3, 3)],
      geometry: { size: 4, points: 2 },
      predict: byTemplate(logits),
      batchSize,
    });
    if (E.isLeft(r)) throw new Error(r.left.message);
    return r.right.map((q) => (q.mask.data.every((v) => v === 1) ? 'fg' : q.mask.data.every((v) => v === 0) ? 'bg' : 'mixed'));
  };

  it('averages probabilities, not logits (one confident template does not outvote two)', async () => {
    // Logits 10, −4, −4: mean logit +0.67 (foreground) but mean probability 0.345 (background).
    for (const batch of [1, 2, 4]) expect(await run([1, 2, 3], { 1: 10, 2: -4, 3: -4 }, batch)).toEqual(['bg', 'bg']);
    // Logits −10, 4, 4: mean logit −0.67 but mean probability 0.655.
    expect(await run([1, 2, 3], { 1: -10, 2: 4, 3: 4 }, 2)).toEqual(['fg', 'fg']);
    expect(await run([1], { 1: 0.1 }, 1)).toEqual(['fg', 'fg']);
  });
});

describe('overlay', () => {
  it('draws the mask outline in colour and leaves the inside and outside grey', () => {
    const data = new Uint8Array(8 * 6);
    for (let y = 1; y <= 4; y++) for (let x = 2; x <= 6; x++) data[y * 8 + x] = 1;
    const mask: Mask = { width: 8, height: 6, data };
    const line = outline(mask);
    expect(line.reduce((a, v) => a + v, 0)).toBe(2 * 5 + 2 * 2);
    const img = greyImage(
      8,
      6,
      Float32Array.from({ length: 48 }, (_, i) => i),
    );
    const rgb = overlayRgb(img, [{ mask, colour: [255, 0, 0] }]);
    const px = (x: number, y: number) => Array.from(rgb.subarray(3 * (y * 8 + x), 3 * (y * 8 + x) + 3));
    expect(px(2, 1)).toEqual([255, 0, 0]);
    expect(px(4, 2)).toEqual([Math.round((20 / 47) * 255), Math.round((20 / 47) * 255), Math.round((20 / 47) * 255)]);
    expect(px(0, 0)).toEqual([0, 0, 0]);
  });
});
