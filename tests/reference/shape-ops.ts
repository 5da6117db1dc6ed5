// Plain TypeScript references for the shape ops: row-major arrays, index arithmetic, no cleverness.
// reshape, flatten, squeeze and unsqueeze keep the row-major order, so their reference is the input itself.
import { prod, stridesOf } from './dense.js';

export interface Dense {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** out[i] = in[source(i)] for every multi-index i of `shape`. */
function gather(shape: readonly number[], source: (idx: readonly number[]) => number): Dense {
  const out = new Float64Array(prod(shape));
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    out[k] = source(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: [...shape] };
}

const offset = (idx: readonly number[], strides: readonly number[]) => idx.reduce((s, i, d) => s + i * strides[d], 0);

export function transposeRef(x: Dense, perm: readonly number[]): Dense {
  const p = perm.map((a) => norm(a, x.shape.length));
  const st = stridesOf(x.shape);
  const shape = p.map((a) => x.shape[a]);
  return gather(shape, (idx) => {
    const src = new Array(x.shape.length);
    p.forEach((a, i) => (src[a] = idx[i]));
    return x.data[offset(src, st)];
  });
}

export function concatRef(xs: readonly Dense[], axis: number): Dense {
  const a = norm(axis, xs[0].shape.length);
  const shape = xs[0].shape.map((d, i) => (i === a ? xs.reduce((s, x) => s + x.shape[a], 0) : d));
  return gather(shape, (idx) => {
    let i = idx[a];
    for (const x of xs) {
      if (i < x.shape[a])
        return x.data[
          offset(
            idx.map((v, d) => (d === a ? i : v)),
            stridesOf(x.shape),
          )
        ];
      i -= x.shape[a];
    }
    throw new Error('concatRef: index past the end');
  });
}

export function stackRef(xs: readonly Dense[], axis: number): Dense {
  const a = norm(axis, xs[0].shape.length + 1);
  const shape = [...xs[0].shape.slice(0, a), xs.length, ...xs[0].shape.slice(a)];
  const st = stridesOf(xs[0].shape);
  return gather(shape, (idx) => xs[idx[a]].data[offset([...idx.slice(0, a), ...idx.slice(a + 1)], st)]);
}

/** x[start:end] along an axis, Python semantics (negative counts from the end, end omitted = the end). */
export function sliceRef(x: Dense, axis: number, start: number, end?: number): Dense {
  const a = norm(axis, x.shape.length);
  const d = x.shape[a];
  const s = start < 0 ? d + start : start;
  const e = end === undefined ? d : end < 0 ? d + end : end;
  const shape = x.shape.map((n, i) => (i === a ? e - s : n));
  const st = stridesOf(x.shape);
  return gather(
    shape,
    (idx) =>
      x.data[
        offset(
          idx.map((v, i) => (i === a ? v + s : v)),
          st,
        )
      ],
  );
}

export function splitRef(x: Dense, axis: number, sizes: readonly number[]): Dense[] {
  let start = 0;
  return sizes.map((n) => {
    const part = sliceRef(x, axis, start, start + n);
    start += n;
    return part;
  });
}
