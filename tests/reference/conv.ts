// Plain TypeScript references for the NCHW window ops, straight from the definitions, in float64.
export type P2 = readonly [number, number];

export interface ConvRefOpts {
  readonly stride: P2;
  readonly padding: P2;
  readonly dilation: P2;
  readonly groups: number;
}

const outLen = (x: number, k: number, s: number, p: number, d: number) => Math.floor((x + 2 * p - d * (k - 1) - 1) / s) + 1;

/** y[n, o, i, j] = b[o] + Σ_{c in o's group, u, v} x[n, c, i·s − p + u·d, j·s − p + v·d] · w[o, c − group start, u, v]. */
export function conv2dRef(
  x: ArrayLike<number>,
  xs: readonly number[],
  w: ArrayLike<number>,
  ws: readonly number[],
  b: ArrayLike<number> | undefined,
  o: ConvRefOpts,
): { data: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs;
  const [oc, cg, kh, kw] = ws;
  const oh = outLen(h, kh, o.stride[0], o.padding[0], o.dilation[0]);
  const ow = outLen(wd, kw, o.stride[1], o.padding[1], o.dilation[1]);
  const og = oc / o.groups;
  const out = new Float64Array(n * oc * oh * ow);
  for (let b0 = 0; b0 < n; b0++)
    for (let co = 0; co < oc; co++) {
      const g = Math.floor(co / og);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let sum = b ? b[co] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let u = 0; u < kh; u++) {
              const y = i * o.stride[0] - o.padding[0] + u * o.dilation[0];
              if (y < 0 || y >= h) continue;
              for (let v = 0; v < kw; v++) {
                const xx = j * o.stride[1] - o.padding[1] + v * o.dilation[1];
                if (xx < 0 || xx >= wd) continue;
                sum += x[((b0 * c + g * cg + ci) * h + y) * wd + xx] * w[((co * cg + ci) * kh + u) * kw + v];
              }
            }
          out[((b0 * oc + co) * oh + i) * ow + j] = sum;
        }
    }
  return { data: out, shape: [n, oc, oh, ow] };
}

export interface ConvTransposeRefOpts {
  readonly stride: P2;
  readonly padding: P2;
  readonly dilation: P2;
  readonly outputPadding: P2;
}

/** Scatter form: x[n, c, i, j] · w[c, o, u, v] adds to y[n, o, i·s − p + u·d, j·s − p + v·d]. */
export function convTranspose2dRef(
  x: ArrayLike<number>,
  xs: readonly number[],
  w: ArrayLike<number>,
  ws: readonly number[],
  b: ArrayLike<number> | undefined,
  o: ConvTransposeRefOpts,
): { data: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs;
  const [, oc, kh, kw] = ws;
  const oh = (h - 1) * o.stride[0] - 2 * o.padding[0] + o.dilation[0] * (kh - 1) + o.outputPadding[0] + 1;
  const ow = (wd - 1) * o.stride[1] - 2 * o.padding[1] + o.dilation[1] * (kw - 1) + o.outputPadding[1] + 1;
  const out = new Float64Array(n * oc * oh * ow);
  for (let b0 = 0; b0 < n; b0++) for (let co = 0; co < oc; co++) out.fill(b ? b[co] : 0, (b0 * oc + co) * oh * ow, (b0 * oc + co + 1) * oh * ow);
  for (let b0 = 0; b0 < n; b0++)
    for (let ci = 0; ci < c; ci++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++) {
          const xv = x[((b0 * c + ci) * h + i) * wd + j];
          for (let co = 0; co < oc; co++)
            for (let u = 0; u < kh; u++) {
              const y = i * o.stride[0] - o.padding[0] + u * o.dilation[0];
              if (y < 0 || y >= oh) continue;
              for (let v = 0; v < kw; v++) {
                const xx = j * o.stride[1] - o.padding[1] + v * o.dilation[1];
                if (xx < 0 || xx >= ow) continue;
                out[((b0 * oc + co) * oh + y) * ow + xx] += xv * w[((ci * oc + co) * kh + u) * kw + v];
              }
            }
        }
  return { data: out, shape: [n, oc, oh, ow] };
}

export interface PoolRefOpts {
  readonly kernel: P2;
  readonly stride: P2;
  readonly padding: P2;
}

/** Max, or mean over the window's positions inside the image (padding not counted). */
export function pool2dRef(kind: 'max' | 'avg', x: ArrayLike<number>, xs: readonly number[], o: PoolRefOpts): { data: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs;
  const oh = outLen(h, o.kernel[0], o.stride[0], o.padding[0], 1);
  const ow = outLen(wd, o.kernel[1], o.stride[1], o.padding[1], 1);
  const out = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let acc = kind === 'max' ? -Infinity : 0;
        let count = 0;
        for (let u = 0; u < o.kernel[0]; u++) {
          const y = i * o.stride[0] - o.padding[0] + u;
          if (y < 0 || y >= h) continue;
          for (let v = 0; v < o.kernel[1]; v++) {
            const xx = j * o.stride[1] - o.padding[1] + v;
            if (xx < 0 || xx >= wd) continue;
            const val = x[(p * h + y) * wd + xx];
            acc = kind === 'max' ? Math.max(acc, val) : acc + val;
            count++;
          }
        }
        out[(p * oh + i) * ow + j] = kind === 'max' ? acc : acc / count;
      }
  return { data: out, shape: [n, c, oh, ow] };
}

/**
 * Resize of the last two axes. linear: half-pixel source (dst + ½)·in/out − ½ clamped to [0, in − 1],
 * bilinear between the two neighbours. nearest: ⌊dst·in/out⌋ (asymmetric, floor).
 */
export function resizeRef(mode: 'linear' | 'nearest', x: ArrayLike<number>, xs: readonly number[], size: P2): { data: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs;
  const [oh, ow] = size;
  const out = new Float64Array(n * c * oh * ow);
  const axis = (dst: number, inLen: number, outLen_: number): [number, number, number] => {
    if (mode === 'nearest') {
      const i = Math.min(inLen - 1, Math.floor((dst * inLen) / outLen_));
      return [i, i, 0];
    }
    const src = Math.min(Math.max((dst + 0.5) * (inLen / outLen_) - 0.5, 0), inLen - 1);
    const lo = Math.floor(src);
    return [lo, Math.min(lo + 1, inLen - 1), src - lo];
  };
  for (let p = 0; p < n * c; p++)
    for (let i = 0; i < oh; i++) {
      const [y0, y1, fy] = axis(i, h, oh);
      for (let j = 0; j < ow; j++) {
        const [x0, x1, fx] = axis(j, wd, ow);
        const at = (y: number, xx: number) => x[(p * h + y) * wd + xx];
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(p * oh + i) * ow + j] = top * (1 - fy) + bottom * fy;
      }
    }
  return { data: out, shape: [n, c, oh, ow] };
}
