// Which prompt types training simulates, and how often: `train --prompt-mix click=3,bbox=1,doodle=1,seglab=1`.
// A type's share is its weight over the sum; a type not named is not drawn. Without a mix every type is equally
// likely (batches.ts draws them uniformly, as before the mix existed).
import * as E from 'fp-ts/lib/Either.js';
import { parsePerTypeNumbers } from './per-type-numbers.js';
import { PROMPT_TYPES, type PromptType } from './prompt.js';

/** Relative weights of the prompt types (≥ 0, finite, at least one > 0). */
export type PromptMix = Readonly<Partial<Record<PromptType, number>>>;

/** Parse "click=3,bbox=1": each item TYPE=WEIGHT (per-type-numbers.ts), a type at most once, weights ≥ 0. */
export function parsePromptMix(text: string): E.Either<string, PromptMix> {
  return E.chain(validatePromptMix)(parsePerTypeNumbers(text, 'WEIGHT'));
}

/** A mix a library caller built: known types, weights ≥ 0 and finite, some weight > 0. */
export function validatePromptMix(mix: PromptMix): E.Either<string, PromptMix> {
  const entries = Object.entries(mix);
  for (const [t, w] of entries) {
    if (!PROMPT_TYPES.includes(t as PromptType)) return E.left(`unknown prompt type '${t}' (expected ${PROMPT_TYPES.join(', ')})`);
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) return E.left(`the weight of ${t} must be a finite number ≥ 0, got ${String(w)}`);
  }
  if (!entries.some(([, w]) => (w ?? 0) > 0)) return E.left('at least one prompt type needs a weight above 0');
  return E.right(mix);
}

/** "click3-bbox1-doodle1-seglab1": the mix in a task name, in PROMPT_TYPES order, weight-0 types left out. */
export const promptMixName = (mix: PromptMix): string =>
  PROMPT_TYPES.filter((t) => (mix[t] ?? 0) > 0)
    .map((t) => `${t}${mix[t]}`)
    .join('-');

/** "click 50%, bbox 17%, …": the shares, for a run's description. */
export function describePromptMix(mix: PromptMix): string {
  const total = PROMPT_TYPES.reduce((s, t) => s + (mix[t] ?? 0), 0);
  return PROMPT_TYPES.filter((t) => (mix[t] ?? 0) > 0)
    .map((t) => `${t} ${Math.round((100 * mix[t]!) / total)}%`)
    .join(', ');
}

/**
 * A draw from the mix: u uniform in [0, 1) → the type whose cumulative share first exceeds u. One uniform per draw,
 * as the unweighted draw takes.
 */
export function drawFromMix(mix: PromptMix): (u: number) => PromptType {
  const types = PROMPT_TYPES.filter((t) => (mix[t] ?? 0) > 0);
  const total = types.reduce((s, t) => s + mix[t]!, 0);
  let acc = 0;
  const bounds = types.map((t) => (acc += mix[t]! / total));
  return (u) => {
    const i = bounds.findIndex((b) => u < b);
    // u at or above the last bound only by rounding: the last type.
    return types[i === -1 ? types.length - 1 : i];
  };
}
