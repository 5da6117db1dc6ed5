// Matrix product with NumPy batch broadcasting (ONNX MatMul).
import type { Broadcast, Check, Dim, DimsAgree, IsTuple, OrWide, Shape, ShapeError } from '../types/shape.js';
import type { DType } from '../dtype.js';
import { apply, type OpDef } from '../graph.js';
import { Tensor, wrap } from '../tensor.js';
import { broadcastShapes, fmtDim, RuleError } from '../dim.js';

export type MatMulShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Shape
    : IsTuple<B> extends false
      ? Shape
      : A extends readonly [...infer AB extends Dim[], infer N extends Dim, infer K1 extends Dim]
        ? B extends readonly [...infer BB extends Dim[], infer K2 extends Dim, infer M extends Dim]
          ? DimsAgree<K1, K2> extends true
            ? Broadcast<AB, BB, 'matmul'> extends infer R
              ? R extends ShapeError<string>
                ? R
                : R extends readonly Dim[]
                  ? [...R, N, M]
                  : never
              : never
            : ShapeError<`matmul: inner dims differ (${K1} vs ${K2})`>
          : ShapeError<`matmul: the right operand needs rank ≥ 2, got rank ${B['length']}`>
        : ShapeError<`matmul: the left operand needs rank ≥ 2, got rank ${A['length']}`>;

export const matmulOp: OpDef = {
  type: 'MatMul',
  infer([a, b]) {
    if (a.shape.length < 2 || b.shape.length < 2) throw new RuleError(`matmul: operands need rank ≥ 2, got ranks ${a.shape.length} and ${b.shape.length}`);
    if (a.dtype !== b.dtype) throw new RuleError(`matmul: dtypes differ (${a.dtype} vs ${b.dtype})`);
    const [n, k1] = a.shape.slice(-2);
    const [k2, m] = b.shape.slice(-2);
    if (k1 !== k2) throw new RuleError(`matmul: inner dims differ (${fmtDim(k1)} vs ${fmtDim(k2)})`);
    return [{ shape: [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul'), n, m], dtype: a.dtype }];
  },
  onnx: (w, ins, outs) => w.node('MatMul', ins, outs),
  tfjs(tf, [a, b]) {
    // wasm is fast only for plain 2-D products: fold a's batch dims into rows when b is a matrix.
    if (b.rank === 2 && a.rank > 2) {
      const k = a.shape[a.rank - 1] as number;
      const y = tf.matMul(tf.reshape(a, [-1, k]), b);
      return [tf.reshape(y, [...a.shape.slice(0, -1), b.shape[1] as number])];
    }
    if (a.rank === 2 && b.rank === 2) return [tf.matMul(a, b)];
    // A matrix times a batch (the Prompt-Parser's w·[e_t; p1; p2]): put the batch into columns, one 2-D product.
    if (a.rank === 2 && b.rank === 3) {
      const [nb, k, m] = b.shape as number[];
      const cols = tf.reshape(tf.transpose(b, [1, 0, 2]), [k, nb * m]);
      return [tf.transpose(tf.reshape(tf.matMul(a, cols), [a.shape[0] as number, nb, m]), [1, 0, 2])];
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul') as number[];
    const a3 = tf.reshape(tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]), [-1, ...a.shape.slice(-2)]);
    const b3 = tf.reshape(tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]), [-1, ...b.shape.slice(-2)]);
    const y = tf.matMul(a3 as never, b3 as never);
    return [tf.reshape(y, [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]])];
  },
  // da = dy·bᵀ, db = aᵀ·dy, each summed over the batch dims it was broadcast along. A batch times a
  // matrix (a linear layer) folds the batch into rows instead: one product, no reduction.
  vjp(d, { inputs: [a, b], dys: [g], needs }) {
    if (!g) return [];
    const da = needs[0] ? d.sumTo(d.matmul(g, d.transposeLast(b)), a.shape) : undefined;
    if (!needs[1]) return [da];
    if (b.shape.length === 2 && a.shape.length > 2) {
      const [k, m] = b.shape;
      return [da, d.matmul(d.transposeLast(d.reshape(a, [-1, k])), d.reshape(g, [-1, m]))];
    }
    return [da, d.sumTo(d.matmul(d.transposeLast(a), g), b.shape)];
  },
};

/**
 * Matrix product of the last two dims, batch dims broadcast (NumPy, ONNX MatMul). The first three signatures match
 * the common cases by pattern (a batch times a matrix, two equal batches, a matrix times a batch), so they also check
 * inside bodies generic in their dims; the last applies the rule and says what is wrong when nothing matches.
 */
export function matmul<const P extends readonly [Dim, ...Dim[]], K extends Dim, M extends Dim, D extends DType>(
  a: Tensor<readonly [...P, K], D>,
  b: Tensor<readonly [NoInfer<K>, M], NoInfer<D>>,
): Tensor<[...P, M], D>;
export function matmul<B extends Dim, N extends Dim, K extends Dim, M extends Dim, D extends DType>(
  a: Tensor<readonly [B, N, K], D>,
  b: Tensor<readonly [NoInfer<B>, NoInfer<K>, M], NoInfer<D>>,
): Tensor<[B, N, M], D>;
export function matmul<N extends Dim, K extends Dim, B extends Dim, M extends Dim, D extends DType>(
  a: Tensor<readonly [N, K], D>,
  b: Tensor<readonly [B, NoInfer<K>, M], NoInfer<D>>,
): Tensor<[B, N, M], D>;
export function matmul<A extends Shape, B extends Shape, D extends DType>(
  a: Tensor<A, D>,
  b: Tensor<B, D> & Check<MatMulShape<A, B>>,
): Tensor<OrWide<MatMulShape<A, B>>, D>;
export function matmul(a: Tensor<Shape, DType>, b: Tensor<Shape, DType>): Tensor<Shape, DType> {
  return wrap(apply(matmulOp, [a.value, b.value], {})[0]);
}
