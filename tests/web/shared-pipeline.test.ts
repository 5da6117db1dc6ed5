// The page's model plumbing that is shared with the CLI: geometry from the model's declared inputs, one template +
// prompt against several queries through the one pipeline (segmentQueries / decodePairs), and masks back at each
// query's size; plus the page's pixel conversions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { greyImage } from '../../src/app/data/image.js';
import { imageToInput } from '../../src/app/inference/model-inputs.js';
import { segmentQueries } from '../../src/app/inference/segment-queries.js';
import type { ModelInputs } from '../../src/app/inference/model-inputs.js';
import type { Prompt } from '../../src/app/data/prompt.js';
import { greyToRgba, maskOverlayRgba, maskPngRgba } from '../../web/pixels.js';
import { geometryFromInputs } from '../../graphs/oneprompt/contract.js';

let dir: string;
let session: ort.InferenceSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oneprompt-web-'));
  const file = join(dir, 'tiny.onnx');
  compileOnePrompt({ config: 'tiny', out: file });
  session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await session?.release();
  rmSync(dir, { recursive: true, force: true });
});

const ramp = (w: number, h: number, k: number) =>
  greyImage(
    w,
    h,
    Float32Array.from({ length: w * h }, (_, i) => (i * k) % 97),
  );

describe('model geometry from declared inputs', () => {
  it('reads S and K from the compiled tiny model, as onnxruntime reports its inputs', () => {
    const declared = session.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));
    expect(geometryFromInputs(declared)).toEqual(E.right({ size: 64, points: 32 }));
  });

  it('names what is wrong with a model that is not One-Prompt', () => {
    expect(geometryFromInputs([{ name: 'x', shape: [1, 3] }])).toEqual(
      E.left('not a One-Prompt model: input(s) query, template, prompt_points, prompt_labels, prompt_mask, prompt_type missing (it takes x)'),
    );
    const inputs = ['query', 'template', 'prompt_points', 'prompt_labels', 'prompt_mask', 'prompt_type'].map((name) => ({ name, shape: ['B', 1, 'S', 'S'] }));
    expect(geometryFromInputs(inputs)).toEqual(E.left('input query must be (B, 1, S, S) with a fixed S, got [B, 1, S, S]'));
  });
});

describe('one template and prompt against several queries', () => {
  const g = { size: 16, points: 4 };
  const template = ramp(30, 20, 7);
  const queries = [ramp(25, 25, 3), ramp(40, 10, 5)];

  const prompted = (prompt: Prompt) => [{ image: template, prompt, source: 'prompt' }];
  /** A one-file model that records its batches and answers `logits`. */
  const recording = (logits: (x: ModelInputs) => Float32Array) => {
    const batches: ModelInputs[] = [];
    return { batches, predict: async (x: ModelInputs) => (batches.push(x), logits(x)) };
  };

  it('runs the template and prompt against each query (the pipeline the page and the CLI share), each query its own plane', async () => {
    const m = recording((x) => new Float32Array(x.batch * 256));
    const r = await segmentQueries({ templates: prompted({ type: 'bbox', box: [2, 3, 20, 15] }), queries, geometry: g, predict: m.predict, batchSize: 8 });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(m.batches).toHaveLength(1);
    const x = m.batches[0];
    expect(x.batch).toBe(2);
    const S2 = 16 * 16;
    const t = imageToInput(template, 16);
    expect(x.template.subarray(0, S2)).toEqual(t);
    expect(x.template.subarray(S2)).toEqual(t);
    expect(x.query.subarray(0, S2)).toEqual(imageToInput(queries[0], 16));
    expect(x.query.subarray(S2)).toEqual(imageToInput(queries[1], 16));
    expect([...x.prompt_labels]).toEqual([1, 2, 0, 0, 1, 2, 0, 0]);
    expect(x.prompt_points[0]).toBeCloseTo(2.5 / 30, 6);
    expect(x.prompt_points[9]).toBeCloseTo(3.5 / 20, 6);
  });

  it('refuses a prompt over the point budget before running anything, naming the problem', async () => {
    const m = recording((x) => new Float32Array(x.batch * 256));
    const many = await segmentQueries({
      templates: prompted({ type: 'click', points: Array.from({ length: 5 }, (_, i) => ({ x: i, y: i, label: 1 as const })) }),
      queries,
      geometry: g,
      predict: m.predict,
      batchSize: 8,
    });
    expect(E.isLeft(many) && many.left.message).toBe("5 click points exceed the model's point budget K = 4");
    expect(m.batches).toHaveLength(0);
  });

  it('gives each query a mask at its own size from the batch logits', async () => {
    const m = recording(() => {
      const logits = new Float32Array(2 * 256).fill(-1);
      logits.fill(1, 256 + 0, 256 + 128); // item 1: top half foreground
      return logits;
    });
    const r = await segmentQueries({ templates: prompted({ type: 'bbox', box: [1, 1, 2, 2] }), queries, geometry: g, predict: m.predict, batchSize: 8 });
    if (E.isLeft(r)) throw new Error(r.left.message);
    const [a, b] = r.right.map((q) => q.mask);
    expect([a.width, a.height, b.width, b.height]).toEqual([25, 25, 40, 10]);
    expect(a.data.every((v) => v === 0)).toBe(true);
    expect(b.data.slice(0, 40 * 4).every((v) => v === 1)).toBe(true);
    expect(b.data.slice(40 * 6).every((v) => v === 0)).toBe(true);
  });
});

describe('page pixels', () => {
  it('stretches grey to 0..255, tints only foreground, writes opaque black/white mask pixels', () => {
    const rgba = greyToRgba(greyImage(3, 1, Float32Array.from([10, 20, 30])));
    expect([...rgba]).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
    const m = { width: 2, height: 1, data: Uint8Array.from([0, 1]) };
    expect([...maskOverlayRgba(m, [1, 2, 3], 0.5)]).toEqual([0, 0, 0, 0, 1, 2, 3, 128]);
    expect([...maskPngRgba(m)]).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });
});
