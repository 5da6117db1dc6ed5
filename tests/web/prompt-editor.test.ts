import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { promptToJson } from '../../src/app/data/prompt.js';
import { maskArea } from '../../src/app/data/image.js';
import { paintStroke } from '../../web/paint-mask.js';
import { addEdit, canUndo, clear, currentPrompt, editsFromPrompt, emptyEditor, seglabMask, toTemplatePixel, undo } from '../../web/prompt-editor.js';

const size = { width: 40, height: 30 };
const right = <T>(e: E.Either<string, T>): T => {
  if (E.isLeft(e)) throw new Error(e.left);
  return e.right;
};

describe('prompt editor', () => {
  it('collects clicks of both labels and needs a foreground one', () => {
    let s = addEdit(emptyEditor(size), { kind: 'click', x: 3, y: 4, label: 0 });
    expect(currentPrompt(s)).toEqual(E.left('add at least one foreground click'));
    s = addEdit(s, { kind: 'click', x: 10.5, y: 7, label: 1 });
    expect(promptToJson(right(currentPrompt(s)))).toEqual({
      type: 'click',
      points: [
        { x: 3, y: 4, label: 0 },
        { x: 10.5, y: 7, label: 1 },
      ],
    });
  });

  it('makes a box from the last drag, corners in any order, clamped to the template', () => {
    let s = addEdit(emptyEditor(size), { kind: 'box', from: [1, 1], to: [2, 2] });
    s = addEdit(s, { kind: 'box', from: [30, 25], to: [5, -3] });
    expect(right(currentPrompt(s))).toEqual({ type: 'bbox', box: [5, 0, 30, 25] });
    expect(right(currentPrompt(undo(s)))).toEqual({ type: 'bbox', box: [1, 1, 2, 2] });
  });

  it('keeps doodle strokes with their labels and needs a foreground stroke', () => {
    const bg = addEdit(emptyEditor(size), {
      kind: 'stroke',
      label: 0,
      points: [
        [1, 1],
        [5, 5],
      ],
    });
    expect(E.isLeft(currentPrompt(bg))).toBe(true);
    const s = addEdit(bg, {
      kind: 'stroke',
      label: 1,
      points: [
        [10, 10],
        [12, 10],
        [14, 11],
      ],
    });
    expect(promptToJson(right(currentPrompt(s)))).toEqual({
      type: 'doodle',
      strokes: [
        {
          label: 0,
          points: [
            [1, 1],
            [5, 5],
          ],
        },
        {
          label: 1,
          points: [
            [10, 10],
            [12, 10],
            [14, 11],
          ],
        },
      ],
    });
  });

  it('replays painting, erasing and an uploaded mask into the SegLab mask', () => {
    const uploaded = { width: 40, height: 30, data: new Uint8Array(1200) };
    uploaded.data[0] = 1;
    let s = addEdit(emptyEditor(size), { kind: 'paint', erase: false, radius: 3, points: [[20, 15]] });
    const painted = maskArea(seglabMask(s.edits.seglab, size));
    expect(painted).toBe(29); // lattice points within radius 3 of a pixel centre
    s = addEdit(s, { kind: 'paint', erase: true, radius: 1, points: [[20, 15]] });
    expect(maskArea(seglabMask(s.edits.seglab, size))).toBe(painted - 5);
    s = addEdit(s, { kind: 'mask', mask: uploaded });
    const p = right(currentPrompt(s));
    expect(p.type === 'seglab' && maskArea(p.mask)).toBe(1);
    expect(uploaded.data[0]).toBe(1); // the uploaded mask itself is not painted on
  });

  it('refuses an uploaded mask of another size, as the CLI does', () => {
    const s = addEdit(emptyEditor(size), { kind: 'mask', mask: { width: 8, height: 8, data: new Uint8Array(64).fill(1) } });
    expect(currentPrompt(s)).toEqual(E.left('the drawn prompt (mask): mask the mask is 8×8, but the template is 40×30'));
  });

  it('undoes and clears only the active prompt type, and switches type with the tool used', () => {
    let s = addEdit(emptyEditor(size), { kind: 'click', x: 1, y: 1, label: 1 });
    s = addEdit(s, { kind: 'box', from: [0, 0], to: [3, 3] });
    expect(s.active).toBe('bbox');
    s = clear(s);
    expect(canUndo(s)).toBe(false);
    expect(s.edits.click).toHaveLength(1);
    s = undo({ ...s, active: 'click' });
    expect(s.edits.click).toHaveLength(0);
  });

  it('turns a given prompt back into edits that make the same prompt', () => {
    const prompts = [
      {
        type: 'click',
        points: [
          { x: 2, y: 3, label: 1 },
          { x: 9, y: 9, label: 0 },
        ],
      },
      { type: 'bbox', box: [2, 3, 20, 25] },
      {
        type: 'doodle',
        strokes: [
          {
            label: 1,
            points: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
      },
    ] as const;
    for (const p of prompts) {
      const s = editsFromPrompt(p).reduce(addEdit, emptyEditor(size));
      expect(promptToJson(right(currentPrompt(s)))).toEqual(promptToJson(p));
    }
  });

  it('maps display coordinates to pixel centres and clamps at the borders', () => {
    // A 40×30 template shown 400×300: display x 5 is inside pixel 0 at its centre.
    expect(toTemplatePixel(5, 5, 400, 300, size)).toEqual([0, 0]);
    expect(toTemplatePixel(205, 155, 400, 300, size)).toEqual([20, 15]);
    expect(toTemplatePixel(400, 300, 400, 300, size)).toEqual([39, 29]);
    expect(toTemplatePixel(-3, 0, 400, 300, size)).toEqual([0, 0]);
  });
});

describe('painting a mask', () => {
  it('leaves no gaps along a long stroke and stays inside the image', () => {
    const m = { width: 50, height: 10, data: new Uint8Array(500) };
    paintStroke(
      m,
      [
        [0, 5],
        [49, 5],
      ],
      1,
      1,
    );
    for (let x = 0; x < 50; x++) expect(m.data[5 * 50 + x], `x=${x}`).toBe(1);
    expect(m.data[3 * 50 + 10]).toBe(0);
    paintStroke(
      m,
      [
        [-10, -10],
        [60, 20],
      ],
      2,
      1,
    ); // off the image at both ends: clipped, not thrown
    expect(maskArea(m)).toBeGreaterThan(50);
  });
});
