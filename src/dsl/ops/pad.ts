// pad: zeros before and after one axis (ONNX Pad, constant mode, pads as an input; tf.pad). The gradient of slice.
import type { Shape } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { dimAdd, normAxis, RuleError } from '../dim.js';

export interface PadAttrs {
  readonly axis: number;
  readonly before: number;
  readonly after: number;
}

export const padOp: OpDef<PadAttrs> = {
  type: 'Pad',
  infer([x], { axis, before, after }) {
    const a = normAxis(axis, x.shape.length, 'pad');
    if (![before, after].every((p) => Number.isInteger(p) && p >= 0))
      throw new RuleError(`pad: before and after must be non-negative integers, got ${before} and ${after}`);
    const grow = before + after;
    return [{ shape: x.shape.map((d, i) => (i !== a || grow === 0 ? d : typeof d === 'number' ? d + grow : dimAdd(d, grow))), dtype: x.dtype }];
  },
  onnx(w, [x], outs, { axis, before, after }, node) {
    const r = node.inputs[0].shape.length;
    const a = normAxis(axis, r, 'pad');
    const pads = new Array<number>(2 * r).fill(0);
    pads[a] = before;
    pads[r + a] = after;
    w.node('Pad', [x, w.int64(pads)], outs, { mode: 'constant' });
  },
  tfjs(tf, [x], { axis, before, after }) {
    const a = normAxis(axis, x.rank, 'pad');
    return [tf.pad(x, x.shape.map((_, i) => (i === a ? [before, after] : [0, 0])) as [number, number][])];
  },
  vjp(d, { inputs: [x], dys: [g], attrs: { axis, before, after } }) {
    if (!g) return [undefined];
    const a = normAxis(axis, x.shape.length, 'pad');
    return [d.slice(g, a, before, after === 0 ? undefined : -after)];
  },
  examples: [
    { name: 'before and after an axis', inputs: { x: [2, 3] }, apply: ({ x }) => pad(x, 1, 2, 1) },
    { name: 'before only, on a negative axis', inputs: { x: [2, 3, 2] }, apply: ({ x }) => pad(x, -1, 1, 0) },
  ],
};

/** Zeros added before and after `axis`. */
export function pad<D extends DType>(x: Tensor<Shape, D>, axis: number, before: number, after: number): Tensor<Shape, D> {
  return wrap(apply(padOp, [x.value], { axis, before, after })[0]);
}
