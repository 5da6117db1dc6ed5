import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePromptSpec, validatePrompt, promptToJson, type Prompt, type PromptSpec } from '../../src/app/data/prompt.js';
import { readPromptFile } from '../../src/app/data/prompt-file.js';
import { encodePrompt, resampleStrokes, stackPrompts } from '../../src/app/data/prompt-tensors.js';
import { encodeMaskPng } from '../../src/app/data/png.js';
import { parseJson } from '../../src/util/json.js';
import { type DataError } from '../../src/app/data/errors.js';
import { message, right } from './either.js';

const size = { width: 100, height: 50 };
const check = (text: string): E.Either<DataError, Prompt> =>
  E.chain((spec: PromptSpec) => validatePrompt(spec, size, 'p.json'))(parsePromptSpec(text, 'p.json'));

describe('prompt JSON', () => {
  it('accepts the four documented forms', () => {
    const click = right(check('{"type":"click","points":[{"x":10,"y":20,"label":1},{"x":0,"y":49,"label":0}]}'));
    expect(click).toEqual({
      type: 'click',
      points: [
        { x: 10, y: 20, label: 1 },
        { x: 0, y: 49, label: 0 },
      ],
    });
    expect(right(check('{"type":"bbox","box":[1,2,99,49]}'))).toEqual({ type: 'bbox', box: [1, 2, 99, 49] });
    const doodle = right(check('{"type":"doodle","strokes":[{"label":1,"points":[[1,1],[5,5]]},{"label":0,"points":[[9,9]]}]}'));
    expect(doodle.type === 'doodle' && doodle.strokes.length).toBe(2);
    expect(right(parsePromptSpec('{"type":"seglab","mask":"mask.png"}', 'p.json'))).toEqual({ type: 'seglab', mask: 'mask.png' });
    // Label defaults to foreground.
    expect(right(check('{"type":"click","points":[{"x":3,"y":4}]}'))).toEqual({ type: 'click', points: [{ x: 3, y: 4, label: 1 }] });
  });

  it('says what is wrong and where', () => {
    expect(message(check('{"type":"click","points":[{"x":1,"y":1},{"x":100,"y":3}]}'))).toBe(
      'p.json (points[1]): point (100, 3) is outside the 100×50 template (x in 0..99, y in 0..49)',
    );
    expect(message(check('{"type":"doodle","strokes":[{"label":1,"points":[[1,1]]},{"label":1,"points":[]}]}'))).toBe(
      'p.json (strokes[1].points): stroke 1 is empty',
    );
    expect(message(check('{"type":"doodle","strokes":[{"points":[[1,1],[3,60]]}]}'))).toContain('(strokes[0].points[1]): point (3, 60) is outside');
    expect(message(check('{"type":"circle","r":3}'))).toBe('p.json (type): unknown prompt type "circle" (expected click, bbox, doodle, seglab)');
    expect(message(check('{"type":"bbox","box":[50,2,10,40]}'))).toContain('x2 (10) is left of x1 (50)');
    expect(message(check('{"type":"bbox","box":[1,2,3]}'))).toContain('"box" must be [x1, y1, x2, y2], got 3 numbers');
    expect(message(check('{"type":"click","point":[]}'))).toContain('unexpected key "point" in a click prompt');
    expect(message(check('{"type":"click","points":[{"x":"4","y":1}]}'))).toBe('p.json (points[0].x): must be a number, got string "4"');
    expect(message(check('{"type":"click","points":[{"x":4,"y":1,"label":2}]}'))).toContain('label must be 1 (foreground) or 0 (background)');
    expect(message(check('{"type":"click","points":[{"x":4,"y":1,"label":0}]}'))).toContain('at least one foreground point');
    expect(message(check('[1,2]'))).toContain('a prompt must be a JSON object, got an array');
  });

  it('points at malformed JSON by line and column', () => {
    expect(message(check('{"type":"click",\n  "points": [{"x": 1, "y": 2},]\n}'))).toBe(
      'p.json (line 2, column 31, offset 47): malformed JSON: expected a value, found "]"',
    );
    expect(message(check('{"type":"click"'))).toContain('(line 1, column 16, offset 15): malformed JSON: expected "," or "}", found end of input');
    expect(message(check('{"type":"bbox","type":"click"}'))).toContain('duplicate key "type"');
  });

  it('parses JSON like JSON.parse on valid input', () => {
    for (const text of ['{"a":[1,-2.5e3,true,false,null,"x\\n\\u00e9"],"b":{}}', '[]', '"s"', ' 0 ']) {
      expect(right(E.mapLeft((e: { message: string }) => ({ file: 'j', message: e.message }))(parseJson(text)))).toEqual(JSON.parse(text));
    }
  });

  it('reads a SegLab prompt file with its mask, and checks the mask size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prompt-'));
    const mask = { width: 100, height: 50, data: new Uint8Array(5000) };
    mask.data[120] = 1;
    writeFileSync(join(dir, 'mask.png'), encodeMaskPng(mask));
    writeFileSync(join(dir, 'small.png'), encodeMaskPng({ width: 10, height: 10, data: new Uint8Array(100).fill(1) }));
    writeFileSync(join(dir, 'p.json'), '{"type":"seglab","mask":"mask.png"}');
    writeFileSync(join(dir, 'bad.json'), '{"type":"seglab","mask":"small.png"}');
    writeFileSync(join(dir, 'gone.json'), '{"type":"seglab","mask":"nothere.png"}');
    const p = right(readPromptFile(join(dir, 'p.json'), size));
    expect(p.type === 'seglab' && p.mask.data[120]).toBe(1);
    expect(message(readPromptFile(join(dir, 'bad.json'), size))).toContain('(mask): mask small.png is 10×10, but the template is 100×50');
    expect(message(readPromptFile(join(dir, 'gone.json'), size))).toContain('SegLab mask nothere.png: file not found');
    const empty = { ...mask, data: new Uint8Array(5000) };
    expect(message(validatePrompt({ type: 'seglab', mask: empty }, size, 'm'))).toContain('has no foreground pixels');
  });

  it('round-trips through promptToJson', () => {
    const text = '{"type":"doodle","strokes":[{"label":0,"points":[[1,2],[3,4]]}, {"label":1,"points":[[5,6]]}]}';
    const spec = right(parsePromptSpec(text, 'p'));
    expect(right(parsePromptSpec(JSON.stringify(promptToJson(spec)), 'p'))).toEqual(spec);
  });
});

describe('prompt tensors', () => {
  const g = { size: 8, points: 6 };

  it('encodes clicks with normalised pixel centres and roles 1/2, padding 0', () => {
    const t = right(
      encodePrompt(
        {
          type: 'click',
          points: [
            { x: 0, y: 49, label: 1 },
            { x: 99, y: 0, label: 0 },
          ],
        },
        size,
        g,
      ),
    );
    expect(Array.from(t.points.subarray(0, 4))).toEqual([0.5 / 100, 49.5 / 50, 99.5 / 100, 0.5 / 50].map(Math.fround));
    expect(Array.from(t.labels)).toEqual([1, 2, 0, 0, 0, 0]);
    expect(Array.from(t.type)).toEqual([1, 0, 0, 0]);
    // prompt_mask: a 3×3 dot per click, +1 foreground at the bottom-left corner, −1 background at the top-right.
    const dots = Array.from({ length: 64 }, (_, i) => {
      const [r, c] = [Math.floor(i / 8), i % 8];
      return r >= 6 && c <= 1 ? 1 : r <= 1 && c >= 6 ? -1 : 0;
    });
    expect(Array.from(t.mask)).toEqual(dots);
    const tooMany = { type: 'click' as const, points: Array.from({ length: 7 }, () => ({ x: 1, y: 1, label: 1 as const })) };
    expect(message(encodePrompt(tooMany, size, g))).toContain("7 click points exceed the model's point budget K = 6");
  });

  it('encodes a box as two corners', () => {
    const t = right(encodePrompt({ type: 'bbox', box: [9, 4, 49, 24] }, size, g));
    expect(Array.from(t.points.subarray(0, 4))).toEqual([0.095, 0.09, 0.495, 0.49].map(Math.fround));
    expect(Array.from(t.labels)).toEqual([1, 2, 0, 0, 0, 0]);
    expect(Array.from(t.type)).toEqual([0, 1, 0, 0]);
    // prompt_mask: the box's interior, columns 0–3 and rows 0–3 of the 8×8 grid.
    expect(Array.from(t.mask)).toEqual(Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) <= 3 && i % 8 <= 3 ? 1 : 0)));
  });

  it('draws doodle strokes on prompt_mask, +1 foreground and −1 background, one dot per grid pixel along each segment', () => {
    // A 16×16 template on the 8×8 grid: template pixel x lands on grid pixel round(x / 2 − 0.25).
    const strokes = [
      {
        label: 1 as const,
        points: [
          [0, 0],
          [14, 0],
          [14, 14],
        ] as [number, number][],
      },
      {
        label: 0 as const,
        points: [
          [0, 14],
          [6, 14],
        ] as [number, number][],
      },
    ];
    const t = right(encodePrompt({ type: 'doodle', strokes }, { width: 16, height: 16 }, g));
    const at = (c: number, r: number) => t.mask[r * 8 + c];
    for (let c = 0; c <= 7; c++) expect(at(c, 0), `top row, column ${c}`).toBe(1);
    for (let r = 0; r <= 7; r++) expect(at(7, r), `right column, row ${r}`).toBe(1);
    for (let c = 0; c <= 3; c++) expect(at(c, 7), `bottom row, column ${c}`).toBe(-1);
    expect(t.mask.filter((v) => v !== 0)).toHaveLength(8 + 7 + 4);
  });

  it('resamples doodles by arc length, in proportion to stroke length', () => {
    // Stroke A: length 30 (two segments), stroke B: length 10, stroke C: a single point. Budget 8:
    // C keeps 1, the spare 5 are shared 30:10 → A gets 1 + 3.75, B 1 + 1.25 → largest remainder: A 5, B 2.
    const strokes = [
      {
        label: 1 as const,
        points: [
          [0, 0],
          [20, 0],
          [20, 10],
        ] as [number, number][],
      },
      {
        label: 0 as const,
        points: [
          [0, 5],
          [10, 5],
        ] as [number, number][],
      },
      { label: 1 as const, points: [[3, 3]] as [number, number][] },
    ];
    const pts = resampleStrokes(strokes, 8);
    expect(pts).toHaveLength(8);
    expect(pts.filter((p) => p.role === 1)).toHaveLength(6);
    expect(pts.slice(0, 5).map((p) => [p.x, p.y])).toEqual([
      [3, 0],
      [9, 0],
      [15, 0],
      [20, 1],
      [20, 7],
    ]);
    expect(pts.slice(5, 7).map((p) => [p.x, p.y])).toEqual([
      [2.5, 5],
      [7.5, 5],
    ]);
    expect(pts[7]).toEqual({ x: 3, y: 3, role: 1 });
    const t = right(encodePrompt({ type: 'doodle', strokes }, size, { size: 8, points: 8 }));
    expect(Array.from(t.labels)).toEqual([1, 1, 1, 1, 1, 2, 2, 1]);
    expect(Array.from(t.type)).toEqual([0, 0, 1, 0]);
  });

  it('resizes a SegLab mask (nearest) and leaves points empty', () => {
    const mask = { width: 100, height: 50, data: new Uint8Array(5000) };
    for (let y = 25; y < 50; y++) for (let x = 50; x < 100; x++) mask.data[y * 100 + x] = 1; // bottom-right quarter
    const t = right(encodePrompt({ type: 'seglab', mask }, size, g));
    const expected = Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) >= 4 && i % 8 >= 4 ? 1 : 0));
    expect(Array.from(t.mask)).toEqual(expected);
    expect(t.labels.every((v) => v === 0) && t.points.every((v) => v === 0)).toBe(true);
    expect(Array.from(t.type)).toEqual([0, 0, 0, 1]);
  });

  it('stacks a batch of mixed types', () => {
    const a = right(encodePrompt({ type: 'bbox', box: [0, 0, 1, 1] }, size, g));
    const b = right(encodePrompt({ type: 'click', points: [{ x: 5, y: 5, label: 1 }] }, size, g));
    const s = stackPrompts([a, b], g);
    expect(s.prompt_points).toHaveLength(2 * 6 * 2);
    expect(Array.from(s.prompt_type)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(s.prompt_labels.subarray(6))).toEqual([1, 0, 0, 0, 0, 0]);
  });
});

describe('browser safety', () => {
  it('prompt.ts, prompt-tensors.ts and model-inputs.ts import no node modules, directly or through their imports', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/app/data');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        expect(spec.startsWith('node:') || ['fs', 'path', 'zlib', 'os', 'pngjs'].includes(spec), `${file} imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    for (const f of ['prompt.ts', 'prompt-tensors.ts', '../inference/model-inputs.ts']) visit(join(root, f));
    expect(seen.size).toBeGreaterThan(3);
  });
});
