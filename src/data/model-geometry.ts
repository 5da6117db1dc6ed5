// The model's geometry (S, K) read from its declared input shapes, so a page or tool that is handed any compiled
// One-Prompt model knows how to encode prompts for it without a side file. Browser-safe.
import * as E from 'fp-ts/lib/Either.js';
import type { ModelGeometry } from './prompt-tensors.js';
import { INPUT_NAMES } from './model-inputs.js';

/** One declared input: its name and shape (numbers, or names / undefined for symbolic dims). */
export interface DeclaredInput {
  readonly name: string;
  readonly shape: readonly (number | string | undefined | null)[];
}

const fixed = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;

/** S from query (B, 1, S, S) and K from prompt_points (B, K, 2); every input of docs/model-io.md must be declared. */
export function geometryFromInputs(inputs: readonly DeclaredInput[]): E.Either<string, ModelGeometry> {
  const byName = new Map(inputs.map((i) => [i.name, i.shape]));
  const missing = INPUT_NAMES.filter((n) => !byName.has(n));
  if (missing.length) return E.left(`not a One-Prompt model: input(s) ${missing.join(', ')} missing (it takes ${inputs.map((i) => i.name).join(', ') || 'nothing'})`);
  const q = byName.get('query')!;
  const p = byName.get('prompt_points')!;
  if (q.length !== 4 || !fixed(q[2]) || q[2] !== q[3]) return E.left(`input query must be (B, 1, S, S) with a fixed S, got [${q.join(', ')}]`);
  if (p.length !== 3 || !fixed(p[1]) || p[2] !== 2) return E.left(`input prompt_points must be (B, K, 2) with a fixed K, got [${p.join(', ')}]`);
  return E.right({ size: q[2], points: p[1] });
}
