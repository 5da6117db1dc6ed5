// Several prompts in one `segment` run → one label map: `--prompt liver.json:1 --prompt spleen.json:2`. Each prompt's
// mask comes from its own logits; where several prompts claim a pixel, the one with the larger logit (the more
// probable) wins, so labels never overlap and a pixel is background only when every prompt says so.
import * as E from 'fp-ts/lib/Either.js';
import type { Labels } from '../data/label-volume.js';
import { logitsToImage } from '../inference/model-inputs.js';

export interface LabelledPrompt {
  /** The prompt file. */
  readonly file: string;
  /** Its value in the label map, 1..65535. */
  readonly label: number;
}

export const MAX_LABEL = 65535;

/**
 * "a.json:2" → a.json with label 2; "a.json" → the next label not taken (1, 2, ...). A path that exists as written
 * keeps its colon. Labels must be distinct.
 */
export function parseLabelledPrompts(values: readonly string[], exists: (path: string) => boolean): E.Either<string, LabelledPrompt[]> {
  const parsed = values.map((v) => {
    const m = /^(.+):(\d+)$/.exec(v);
    return m && !exists(v) ? { file: m[1], label: Number(m[2]), given: v } : { file: v, label: undefined, given: v };
  });
  const taken = new Set<number>();
  for (const p of parsed) {
    if (p.label === undefined) continue;
    if (p.label < 1 || p.label > MAX_LABEL) return E.left(`--prompt ${p.given}: the label must be between 1 and ${MAX_LABEL} (0 is background)`);
    if (taken.has(p.label)) return E.left(`--prompt ${p.given}: label ${p.label} is given to two prompts`);
    taken.add(p.label);
  }
  let next = 1;
  return E.right(
    parsed.map((p) => {
      if (p.label !== undefined) return { file: p.file, label: p.label };
      while (taken.has(next)) next++;
      taken.add(next);
      return { file: p.file, label: next };
    }),
  );
}

/**
 * One query's label image at its own size (row-major): per pixel the label whose logit, resized like a single mask
 * is (bilinear on S×S logits), is largest and above 0. With one label this is exactly that prompt's mask.
 */
export function mergeLabels(
  perLabel: readonly { readonly label: number; readonly logits: Float32Array }[],
  size: number,
  width: number,
  height: number,
): Labels {
  const wide = perLabel.some((p) => p.label > 255);
  const out = wide ? new Uint16Array(width * height) : new Uint8Array(width * height);
  const best = new Float32Array(width * height);
  for (const p of perLabel) {
    const up = logitsToImage(p.logits, size, width, height).data;
    for (let i = 0; i < out.length; i++) {
      if (up[i] > 0 && (out[i] === 0 || up[i] > best[i])) {
        out[i] = p.label;
        best[i] = up[i];
      }
    }
  }
  return out;
}
