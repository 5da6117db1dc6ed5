// The model as encode + decode: segment's ensembles and everything's clicks encode each image once, whatever the
// batch size, and hand the decoder the encodings of the right images. A counting segmenter stands in for an
// encoder/decoder pair: its "encoding" is an id, and its logits say which query and template they were decoded from.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { clickMasks, gridClicks } from '../../src/app/cli/everything.js';
import { segmentQueries, segmentQueriesByGroup } from '../../src/app/inference/segment-queries.js';
import { greyImage } from '../../src/app/data/image.js';
import type { DecodeItem, PromptSegmenter } from '../../src/app/inference/prompt-segmenter.js';

const g = { size: 8, points: 4 };
const image = (v: number) =>
  greyImage(
    8,
    8,
    Float32Array.from({ length: 64 }, (_, i) => (i === 0 ? v : 0)),
  );

function counting() {
  const encoded: number[] = [];
  const calls: { planes: number; role?: string }[] = [];
  const decoded: DecodeItem<number>[] = [];
  const seg: PromptSegmenter<number> = {
    geometry: g,
    // Each plane gets the next id: the order of encodings says which image it was.
    encode: async (planes, role) => {
      calls.push({ planes: planes.length, role });
      return planes.map(() => encoded.push(encoded.length) - 1);
    },
    decode: async (items) => {
      decoded.push(...items);
      const out = new Float32Array(items.length * 64);
      items.forEach((it, b) => out.fill(it.query * 10 + it.template, b * 64, (b + 1) * 64));
      return out;
    },
    bytes: () => 8,
  };
  return { seg, encoded, decoded, calls };
}

describe('encode once, decode per prompt', () => {
  it('segmentQueries: K templates and Q queries are K + Q encodings for Q × K decodes, in any batch size', async () => {
    for (const batchSize of [1, 3, 5, 12]) {
      const c = counting();
      const templates = [1, 2, 3, 4].map((x) => ({
        image: image(x),
        prompt: { type: 'click' as const, points: [{ x, y: 1, label: 1 as const }] },
        source: `t${x}`,
      }));
      const r = await segmentQueries({ templates, queries: [image(7), image(8), image(9)], geometry: g, segmenter: c.seg as PromptSegmenter, batchSize });
      expect(E.isRight(r)).toBe(true);
      expect(c.encoded).toHaveLength(4 + 3);
      expect(c.decoded).toHaveLength(12);
      // Encodings 0..3 are the templates, 4.. the queries in order: each decode pairs the right ones.
      const pairs = c.decoded.map((d) => [d.query, d.template]);
      expect(pairs).toEqual([4, 5, 6].flatMap((q) => [0, 1, 2, 3].map((t) => [q, t])));
      // Templates as templates in one call; queries as queries, a batch of them per call (not one call per decode batch).
      expect(c.calls[0]).toEqual({ planes: 4, role: 'template' });
      expect(c.calls.slice(1).every((x) => x.role === 'query')).toBe(true);
      expect(c.calls.slice(1).map((x) => x.planes)).toEqual(batchSize >= 3 ? [3] : [1, 1, 1]);
    }
  });

  it('everything: one encoding of the image for all 64 clicks', async () => {
    const c = counting();
    const img = image(1);
    const masks = await clickMasks(img, gridClicks(8, 8, 8), g, c.seg as PromptSegmenter, 8);
    expect(masks).toHaveLength(64);
    expect(c.encoded).toEqual([0]);
    expect(c.decoded.every((d) => d.query === 0 && d.template === 0)).toBe(true);
  });

  it("segmentQueriesByGroup: a label map's groups in one pass give each group's own result, its queries encoded once", async () => {
    // Images told apart by their bright pixel; the logits at pixel p depend on the query, the template and p, so
    // each group's ensemble average shows which pairs went into it.
    const bright = (i: number) =>
      greyImage(
        8,
        8,
        Float32Array.from({ length: 64 }, (_, p) => (p === i ? 1 : 0)),
      );
    let encodes = 0;
    const seg: PromptSegmenter<number> = {
      geometry: g,
      encode: async (planes) => planes.map((p) => (encodes++, p.indexOf(Math.max(...p)))),
      decode: async (items) => {
        const out = new Float32Array(items.length * 64);
        items.forEach((it, b) => {
          for (let p = 0; p < 64; p++) out[b * 64 + p] = 3 * Math.sin(p + 3 * it.query + 7 * it.template);
        });
        return out;
      },
      bytes: () => 8,
    };
    const click = { type: 'click' as const, points: [{ x: 1, y: 1, label: 1 as const }] };
    const templates = [10, 20, 30].map((i) => ({ image: bright(i), prompt: click, source: `t${i}` }));
    const queries = [bright(40), bright(50), bright(60)];
    const groups = [[templates[0]], [templates[1], templates[2]]];
    for (const batchSize of [1, 2, 5]) {
      encodes = 0;
      const r = await segmentQueriesByGroup({ groups, queries, geometry: g, segmenter: seg, batchSize });
      if (E.isLeft(r)) throw new Error('segmentQueriesByGroup failed');
      expect(encodes).toBe(3 + 3);
      for (const [i, group] of groups.entries()) {
        const alone = await segmentQueries({ templates: group, queries, geometry: g, segmenter: seg, batchSize });
        if (E.isLeft(alone)) throw new Error('segmentQueries failed');
        expect(r.right[i].map((m) => Array.from(m.logits))).toEqual(alone.right.map((m) => Array.from(m.logits)));
      }
      // The two groups differ: each got its own templates.
      expect(Array.from(r.right[0][0].logits)).not.toEqual(Array.from(r.right[1][0].logits));
    }
  });
});
