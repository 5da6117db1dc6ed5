// Layer normalisation over the trailing dims x.shape[axis:] (ONNX LayerNormalization, opset 17).
import type { AxisError, Check, Dim, IsLiteral, IsTuple, NormAxis, Shape, ShapeError } from '../types/shape.js';
import type { DimsAllAgree, JoinDims } from '../types/dim-lists.js';
import type { FloatType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { fmtShape, normAxis, RuleError, type RuntimeShape } from '../dim.js';

// ---------------- type-level rule ----------------
type DropFirst<S extends Shape, N extends number, C extends 0[] = []> = C['length'] extends N
  ? S
  : S extends readonly [Dim, ...infer R extends Shape]
    ? DropFirst<R, N, [...C, 0]>
    : [];

/** `unknown` when P (the scale's or bias's shape) equals x.shape[axis:], else the error. */
export type LayerNormCheck<S extends Shape, P extends Shape, A extends number, Role extends string> =
  IsTuple<S> extends false
    ? unknown
    : IsTuple<P> extends false
      ? unknown
      : IsLiteral<A> extends false
        ? unknown
        : NormAxis<A, S['length']> extends infer N
          ? N extends number
            ? DimsAllAgree<P, DropFirst<S, N>> extends true
              ? unknown
              : ShapeError<`layerNormalization: ${Role} shape [${JoinDims<P>}] differs from x.shape[${A}:] = [${JoinDims<DropFirst<S, N>>}]`>
            : AxisError<'layerNormalization', A, S['length']>
          : never;

// ---------------- runtime rule, lowering, kernel ----------------
export interface LayerNormAttrs {
  readonly axis: number;
  readonly epsilon: number;
}

function checkParamShape(x: RuntimeShape, p: RuntimeShape, axis: number, role: string): void {
  const tail = x.slice(normAxis(axis, x.length, 'layerNormalization'));
  if (p.length !== tail.length || p.some((d, i) => d !== tail[i]))
    throw new RuleError(`layerNormalization: ${role} shape ${fmtShape(p)} differs from x.shape[${axis}:] = ${fmtShape(tail)}`);
}

export const layerNormOp: OpDef<LayerNormAttrs> = {
  type: 'LayerNormalization',
  infer([x, scale, bias], { axis, epsilon }) {
    if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new RuleError(`layerNormalization: needs a float tensor, got ${x.dtype}`);
    if (scale.dtype !== x.dtype || bias.dtype !== x.dtype)
      throw new RuleError(`layerNormalization: dtypes differ (x ${x.dtype}, scale ${scale.dtype}, bias ${bias.dtype})`);
    if (!(epsilon > 0)) throw new RuleError(`layerNormalization: epsilon must be positive, got ${epsilon}`);
    checkParamShape(x.shape, scale.shape, axis, 'scale');
    checkParamShape(x.shape, bias.shape, axis, 'bias');
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  onnx: (w, ins, outs, { axis, epsilon }) => w.node('LayerNormalization', ins, outs, { axis, epsilon: { float: epsilon } }),
  tfjs(tf, [x, scale, bias], { axis, epsilon }) {
    // Flatten the normalised dims into one so that the statistics are a single last-axis reduction.
    const a = normAxis(axis, x.rank, 'layerNormalization');
    const width = x.shape.slice(a).reduce((p, d) => p * d, 1);
    const x2 = tf.reshape(x, [-1, width]);
    const { mean, variance } = tf.moments(x2, 1, true);
    const normed = tf.reshape(tf.mul(tf.sub(x2, mean), tf.rsqrt(tf.add(variance, epsilon))), x.shape);
    return [tf.add(tf.mul(normed, scale), bias)];
  },
  // With x̂ = (x − μ)·r, r = 1/√(σ² + ε) recomputed (one LayerNormalization when the normalised dims are
  // static), and ĝ = dy ⊙ scale: dx = r·(ĝ − mean ĝ − x̂ · mean(ĝ ⊙ x̂)), dscale = Σ dy ⊙ x̂, dbias = Σ dy.
  vjp(d, { inputs: [x, scale, bias], dys: [g], needs, attrs: { axis, epsilon } }) {
    if (!g) return [];
    const a = normAxis(axis, x.shape.length, 'layerNormalization');
    const axes = Array.from({ length: x.shape.length - a }, (_, i) => a + i);
    let xhat, r;
    if (x.shape.slice(a).every((n) => typeof n === 'number')) [xhat, r] = d.layerNormParts(x, a, epsilon);
    else {
      const centred = d.sub(x, d.reduceMean(x, axes, true));
      r = d.reciprocal(d.sqrt(d.add(d.reduceMean(d.mul(centred, centred), axes, true), epsilon)));
      xhat = d.mul(centred, r);
    }
    let dx;
    if (needs[0]) {
      const gs = d.mul(g, scale);
      dx = d.mul(r, d.sub(d.sub(gs, d.reduceMean(gs, axes, true)), d.mul(xhat, d.reduceMean(d.mul(gs, xhat), axes, true))));
    }
    return [dx, needs[1] ? d.sumTo(d.mul(g, xhat), scale.shape) : undefined, needs[2] ? d.sumTo(g, bias.shape) : undefined];
  },
};

export interface LayerNormOptions<A extends number> {
  /** First normalised axis (default -1: the last dim only). */
  readonly axis?: A;
  /** Added to the variance (default 1e-5). */
  readonly epsilon?: number;
}

/** (x − mean) / √(var + ε) · scale + bias, statistics over x.shape[axis:]; scale and bias have that shape. */
export function layerNormalization<S extends Shape, D extends FloatType, PS extends Shape, PB extends Shape, const A extends number = -1>(
  x: Tensor<S, D>,
  scale: Tensor<PS, D> & Check<LayerNormCheck<S, PS, A, 'scale'>>,
  bias: Tensor<PB, D> & Check<LayerNormCheck<S, PB, A, 'bias'>>,
  opts: LayerNormOptions<A> = {},
): Tensor<[...S], D> {
  return wrap(apply(layerNormOp, [x.value, scale.value, bias.value], { axis: opts.axis ?? -1, epsilon: opts.epsilon ?? 1e-5 })[0]);
}
