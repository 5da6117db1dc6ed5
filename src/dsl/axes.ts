// Lists of axes at build time, the mirror of types/axes.ts.
import { normAxis, RuleError } from './dim.js';

export function normAxes(axes: number | readonly number[], rank: number, op: string): number[] {
  const list = typeof axes === 'number' ? [axes] : axes;
  const out: number[] = [];
  for (const a of list) {
    const n = normAxis(a, rank, op);
    if (out.includes(n)) throw new RuleError(`${op}: axis ${a} is repeated`);
    out.push(n);
  }
  return out;
}
