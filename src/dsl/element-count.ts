// Element counts at build time, the mirror of types/element-count.ts: a count is symbolic
// factors times a static number. Plain products ('H*W*4') split into factors so that flattening
// and un-flattening symbolic dims cancel; other expressions ('H+1') stay one opaque factor.
import { fmtShape, RuleError, type Dim, type RuntimeShape } from './dim.js';

export interface ElementCount {
  readonly names: readonly string[];
  readonly static: number;
}

const OPAQUE = /[+\-()/ ]/;

export function dimFactors(d: Dim): Dim[] {
  if (typeof d === 'number' || OPAQUE.test(d)) return [d];
  return d.split('*').map((f) => (/^\d+$/.test(f) ? Number(f) : f));
}

export function elementCount(shape: RuntimeShape): ElementCount {
  const names: string[] = [];
  let n = 1;
  for (const f of shape.flatMap(dimFactors)) {
    if (typeof f === 'number') n *= f;
    else names.push(f);
  }
  return { names, static: n };
}

/** A count as one dim: names in order, then the static part ('H*W*4'); 0 when the static part is 0. */
export function productDim(c: ElementCount): Dim {
  if (c.static === 0) return 0;
  if (c.names.length === 0) return c.static;
  return c.static === 1 ? c.names.join('*') : `${c.names.join('*')}*${c.static}`;
}

export const dimProduct = (dims: RuntimeShape): Dim => productDim(elementCount(dims));
const countStr = (s: RuntimeShape): string => String(dimProduct(s));

/** [names left in a, names left in b] after removing the names they share (as multisets). */
export function cancelNames(a: readonly string[], b: readonly string[]): [string[], string[]] {
  const left = [...a];
  const bLeft: string[] = [];
  for (const n of b) {
    const i = left.indexOf(n);
    if (i >= 0) left.splice(i, 1);
    else bLeft.push(n);
  }
  return [left, bLeft];
}

/** The shape `reshape` gives (the target with any -1 inferred); throws RuleError as the type level does. */
export function reshapeShape(input: RuntimeShape, target: RuntimeShape): Dim[] {
  for (const d of target)
    if (typeof d === 'number' && d !== -1 && (!Number.isInteger(d) || d < 0))
      throw new RuleError(`reshape: target dim ${d} is not a size (use -1 to infer one dim)`);
  const negs = target.filter((d) => d === -1).length;
  if (negs > 1) throw new RuleError(`reshape: at most one dim can be -1, got ${negs}`);
  const rest = target.filter((d) => d !== -1);
  const cs = elementCount(input);
  const ct = elementCount(rest);
  const [sLeft, tLeft] = cancelNames(cs.names, ct.names);
  const fail = (why: string) => new RuleError(`reshape: ${countStr(input)} elements cannot be viewed as ${fmtShape(target)} (${why})`);
  if (negs === 0) {
    if (sLeft.length === 0 && tLeft.length === 0 && cs.static !== ct.static) throw fail(countStr(target));
    if ((sLeft.length === 0) !== (tLeft.length === 0)) throw fail(countStr(target));
    return [...target];
  }
  if (tLeft.length > 0) throw new RuleError(`reshape: ${fmtShape(target)} leaves more than one dim to infer from ${fmtShape(input)}`);
  if (ct.static === 0) throw new RuleError('reshape: -1 cannot be inferred next to a zero-size dim');
  if (cs.static % ct.static !== 0) throw fail(`not a multiple of ${countStr(rest)}`);
  const inferred = productDim({ names: sLeft, static: cs.static / ct.static });
  return target.map((d) => (d === -1 ? inferred : d));
}
