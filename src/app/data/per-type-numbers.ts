// "click=3,bbox=1": a number per prompt type, as `train --prompt-mix` (weights) and `compile --type-bias` (logit
// offsets) take them. One reader, so both options accept the same text and refuse it in the same words; what the
// numbers may be (weights ≥ 0) is for each caller to say.
import * as E from 'fp-ts/lib/Either.js';
import { PROMPT_TYPES, type PromptType } from './prompt.js';

/**
 * Items TYPE=NUMBER, comma-separated, each type at most once. Spaces around an item and around its '=' are allowed,
 * and an empty item (a trailing comma) is skipped. `name` is what the numbers are (WEIGHT, OFFSET), for the messages.
 */
export function parsePerTypeNumbers(text: string, name: string): E.Either<string, Partial<Record<PromptType, number>>> {
  const out: Partial<Record<PromptType, number>> = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z]+)\s*=\s*(\S+)$/.exec(item);
    if (!m) return E.left(`expected TYPE=${name} items, comma-separated (e.g. click=3,bbox=1), got '${item}'`);
    const type = m[1] as PromptType;
    if (!PROMPT_TYPES.includes(type)) return E.left(`unknown prompt type '${m[1]}' in '${item}' (expected ${PROMPT_TYPES.join(', ')})`);
    if (type in out) return E.left(`${type} is given twice`);
    const v = Number(m[2]);
    if (!Number.isFinite(v)) return E.left(`the ${name.toLowerCase()} of ${type} must be a finite number, got '${m[2]}'`);
    out[type] = v;
  }
  return E.right(out);
}
