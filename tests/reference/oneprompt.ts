// Plain TypeScript references (float64, row-major, loops) for the One-Prompt model's own parts, written from
// the equations in docs/architecture.md and docs/model-io.md, not from graphs/oneprompt.
type Arr = ArrayLike<number>;

const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));
/** ε of the row normalisation and of σ² (docs/architecture.md §6, §7). */
export const MASK_EPS = 1e-6;

/** x·y for row-major x (n, k) and y (k, m) at offsets. */
function matmulAt(x: Arr, xo: number, y: Arr, yo: number, n: number, k: number, m: number, out: Float64Array, oo: number): void {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += x[xo + i * k + q] * y[yo + q * m + j];
      out[oo + i * m + j] = s;
    }
}

/** PE(c) = [sin(2π(2c−1)·G), cos(2π(2c−1)·G)] for `count` coordinates (x, y); G is (2, L/2). */
export function fourierFeaturesRef(coords: Arr, count: number, basis: Arr, embed: number): Float64Array {
  const half = embed / 2;
  const out = new Float64Array(count * embed);
  for (let p = 0; p < count; p++) {
    const x = 2 * coords[p * 2] - 1;
    const y = 2 * coords[p * 2 + 1] - 1;
    for (let j = 0; j < half; j++) {
      const a = 2 * Math.PI * (x * basis[j] + y * basis[half + j]);
      out[p * embed + j] = Math.sin(a);
      out[p * embed + half + j] = Math.cos(a);
    }
  }
  return out;
}

/** Token (r, c) of a G×G grid over an S×S image (S = G·P) is the P×P pixel block at (r·P, c·P); its centre is the mean of its pixel centres ((i + 0.5)/S, docs/model-io.md). */
export function tokenCentreFromPixels(side: number, patch: number, token: number): [number, number] {
  const size = side * patch;
  const [r, c] = [Math.floor(token / side), token % side];
  let [sx, sy] = [0, 0];
  for (let i = 0; i < patch; i++) {
    sx += (c * patch + i + 0.5) / size;
    sy += (r * patch + i + 0.5) / size;
  }
  return [sx / patch, sy / patch];
}

/** The dense PE of a G×G token grid, (N, L), token n = row·G + col at ((col + 0.5)/G, (row + 0.5)/G). */
export function densePeRef(side: number, basis: Arr, embed: number): Float64Array {
  const centres: number[] = [];
  for (let n = 0; n < side * side; n++) centres.push(((n % side) + 0.5) / side, (Math.floor(n / side) + 0.5) / side);
  return fourierFeaturesRef(centres, side * side, basis, embed);
}

/**
 * The token cell of a point (x, y): col = clamp(floor(x·G), 0, G − 1), row likewise from y; n = row·G + col.
 * x·G is rounded to float32 first, as the model computes it in float32 (exact for a power-of-two G).
 */
export function cellOf(x: number, y: number, side: number): number {
  const cell = (v: number) => Math.min(Math.max(Math.floor(Math.fround(v * side)), 0), side - 1);
  return cell(y) * side + cell(x);
}

/** (B, N, K): 1 where point k of batch item b lies in token cell n. */
export function cellMembershipRef(points: Arr, batch: number, k: number, side: number): Float64Array {
  const n = side * side;
  const out = new Float64Array(batch * n * k);
  for (let b = 0; b < batch; b++) for (let j = 0; j < k; j++) out[(b * n + cellOf(points[(b * k + j) * 2], points[(b * k + j) * 2 + 1], side)) * k + j] = 1;
  return out;
}

export interface PointPromptRefInputs {
  readonly points: Arr; // (B, K, 2)
  readonly labels: Arr; // (B, K) in {0, 1, 2}
  readonly type: Arr; // (B, 4) one-hot
  readonly basis: Arr; // (2, L/2)
  /** Per role r ∈ {1, 2}: the (4, L) role-embedding table and the (L) "no prompt" embedding. */
  readonly roleTable: readonly [Arr, Arr];
  readonly noPrompt: readonly [Arr, Arr];
}

/**
 * p_r (B, N, L) for r = 1, 2: in each token cell, the mean over the cell's points with label r of
 * PE(point) + e_r (e_r = type · table_r, the role embedding of the item's prompt type), or the role's
 * "no prompt" embedding where the cell has none of them.
 */
export function pointPromptMapsRef(p: PointPromptRefInputs, batch: number, k: number, side: number, embed: number): [Float64Array, Float64Array] {
  const n = side * side;
  const pe = fourierFeaturesRef(p.points, batch * k, p.basis, embed);
  return ([1, 2] as const).map((r) => {
    const out = new Float64Array(batch * n * embed);
    const table = p.roleTable[r - 1];
    const none = p.noPrompt[r - 1];
    for (let b = 0; b < batch; b++) {
      const roleEmb = new Float64Array(embed);
      for (let t = 0; t < 4; t++) for (let l = 0; l < embed; l++) roleEmb[l] += p.type[b * 4 + t] * table[t * embed + l];
      const sums = new Float64Array(n * embed);
      const counts = new Float64Array(n);
      for (let j = 0; j < k; j++) {
        if (p.labels[b * k + j] !== r) continue;
        const cell = cellOf(p.points[(b * k + j) * 2], p.points[(b * k + j) * 2 + 1], side);
        counts[cell]++;
        for (let l = 0; l < embed; l++) sums[cell * embed + l] += pe[(b * k + j) * embed + l] + roleEmb[l];
      }
      for (let c = 0; c < n; c++) for (let l = 0; l < embed; l++) out[(b * n + c) * embed + l] = counts[c] > 0 ? sums[c * embed + l] / counts[c] : none[l];
    }
    return out;
  }) as [Float64Array, Float64Array];
}

/** Eq. 1: e_tq = e_t ⊙ (p1 + p2 + e_q), element-wise. */
export function queryTemplateMixRef(eq: Arr, et: Arr, p1: Arr, p2: Arr): Float64Array {
  return Float64Array.from({ length: et.length }, (_, i) => et[i] * (p1[i] + p2[i] + eq[i]));
}

/** X·e_qᵀ/√L per batch item, X (B, N, L), e_q (B, N, L) → (B, N, N). */
function againstQuery(x: Arr, eq: Arr, batch: number, n: number, embed: number): Float64Array {
  const out = new Float64Array(batch * n * n);
  const scale = 1 / Math.sqrt(embed);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < embed; l++) s += x[(b * n + i) * embed + l] * eq[(b * n + j) * embed + l];
        out[(b * n + i) * n + j] = s * scale;
      }
  return out;
}

/** Eq. 2, Stack MLP: M = w·[e_t; p1; p2]·e_qᵀ/√L with w (N, 3N), the stack along tokens. */
export function stackMlpRef(w: Arr, et: Arr, p1: Arr, p2: Arr, eq: Arr, batch: number, n: number, embed: number): Float64Array {
  const mixed = new Float64Array(batch * n * embed);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let l = 0; l < embed; l++) {
        let s = 0;
        for (let j = 0; j < 3 * n; j++) {
          const part = j < n ? et : j < 2 * n ? p1 : p2;
          s += w[i * 3 * n + j] * part[(b * n + (j % n)) * embed + l];
        }
        mixed[(b * n + i) * embed + l] = s;
      }
  return againstQuery(mixed, eq, batch, n, embed);
}

/** Prompting ablation "Add": M = (e_t + p1 + p2)·e_qᵀ/√L. */
export function addPromptingRef(et: Arr, p1: Arr, p2: Arr, eq: Arr, batch: number, n: number, embed: number): Float64Array {
  const sum = Float64Array.from({ length: et.length }, (_, i) => et[i] + p1[i] + p2[i]);
  return againstQuery(sum, eq, batch, n, embed);
}

export interface MlpWeights {
  /** fc1: (3L, L) and (L); fc2: (L, L) and (L); y = x·W + b. */
  readonly fc1: { readonly weight: Arr; readonly bias: Arr };
  readonly fc2: { readonly weight: Arr; readonly bias: Arr };
}

export const geluRef = (x: number, erf: (v: number) => number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** Prompting ablation "Concat + MLP": M = fc2(GELU(fc1([e_t, p1, p2] along features)))·e_qᵀ/√L. */
export function concatMlpRef(
  et: Arr,
  p1: Arr,
  p2: Arr,
  eq: Arr,
  mlp: MlpWeights,
  batch: number,
  n: number,
  embed: number,
  erf: (v: number) => number,
): Float64Array {
  const rows = batch * n;
  const cat = new Float64Array(rows * 3 * embed);
  for (let r = 0; r < rows; r++)
    for (let l = 0; l < embed; l++) {
      cat[r * 3 * embed + l] = et[r * embed + l];
      cat[r * 3 * embed + embed + l] = p1[r * embed + l];
      cat[r * 3 * embed + 2 * embed + l] = p2[r * embed + l];
    }
  const h = new Float64Array(rows * embed);
  matmulAt(cat, 0, mlp.fc1.weight, 0, rows, 3 * embed, embed, h, 0);
  for (let i = 0; i < h.length; i++) h[i] = geluRef(h[i] + mlp.fc1.bias[i % embed], erf);
  const y = new Float64Array(rows * embed);
  matmulAt(h, 0, mlp.fc2.weight, 0, rows, embed, embed, y, 0);
  for (let i = 0; i < y.length; i++) y[i] += mlp.fc2.bias[i % embed];
  return againstQuery(y, eq, batch, n, embed);
}

/** Each row of (rows, n) divided by its sum + ε. */
function rowNormalise(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(m.length);
  for (let r = 0; r < m.length / n; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += m[r * n + j];
    for (let j = 0; j < n; j++) out[r * n + j] = m[r * n + j] / (s + MASK_EPS);
  }
  return out;
}

function rowSoftmax(m: Arr, n: number): Float64Array {
  const out = new Float64Array(m.length);
  for (let r = 0; r < m.length / n; r++) {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) mx = Math.max(mx, m[r * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += out[r * n + j] = Math.exp(m[r * n + j] - mx);
    for (let j = 0; j < n; j++) out[r * n + j] /= s;
  }
  return out;
}

/** K·e_tq per batch item: K (B, N, N), e_tq (B, N, L). */
function applyMap(k: Arr, etq: Arr, batch: number, n: number, embed: number): Float64Array {
  const out = new Float64Array(batch * n * embed);
  for (let b = 0; b < batch; b++) matmulAt(k, b * n * n, etq, b * n * embed, n, n, embed, out, b * n * embed);
  return out;
}

/** Masking ablations (docs/architecture.md §7): Add = e_tq + softmax(M)·e_tq; Binary = rownorm(M > 0)·e_tq; Norm = softmax(M)·e_tq. */
export function simpleMaskingRef(kind: 'add' | 'binary' | 'norm', m: Arr, etq: Arr, batch: number, n: number, embed: number): Float64Array {
  if (kind === 'binary')
    return applyMap(
      rowNormalise(
        Float64Array.from(m, (v) => (v > 0 ? 1 : 0)),
        n,
      ),
      etq,
      batch,
      n,
      embed,
    );
  const moved = applyMap(rowSoftmax(m, n), etq, batch, n, embed);
  return kind === 'norm' ? moved : moved.map((v, i) => v + etq[i]);
}

/**
 * Eq. 3, Gaussian masking (docs/architecture.md §6): a k×k conv (zero padding k/2, 2 output channels) maps M,
 * read as a 1-channel N×N image, to μ and a raw variance; σ² = softplus(raw) + ε;
 * k_G[n, m] = exp(−(M[n, m] − μ[n, m])² / 2σ²[n, m]), rows normalised; e_G = max(k_G·e_tq, e_tq).
 */
export function gaussianMaskingRef(m: Arr, etq: Arr, weight: Arr, bias: Arr, kernel: number, batch: number, n: number, embed: number): Float64Array {
  const pad = kernel >> 1;
  const kg = new Float64Array(batch * n * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const stat = [bias[0], bias[1]];
        for (let c = 0; c < 2; c++)
          for (let di = 0; di < kernel; di++)
            for (let dj = 0; dj < kernel; dj++) {
              const [y, x] = [i + di - pad, j + dj - pad];
              if (y >= 0 && y < n && x >= 0 && x < n) stat[c] += weight[(c * kernel + di) * kernel + dj] * m[(b * n + y) * n + x];
            }
        const variance = softplus(stat[1]) + MASK_EPS;
        const z = m[(b * n + i) * n + j] - stat[0];
        kg[(b * n + i) * n + j] = Math.exp((-z * z) / (2 * variance));
      }
  const moved = applyMap(rowNormalise(kg, n), etq, batch, n, embed);
  return moved.map((v, i) => Math.max(v, etq[i]));
}

/** softmax(q_h·k_hᵀ·scale)·v_h per batch item and head h (columns h·D/H … (h+1)·D/H), heads concatenated: (B, Nq, Dv). */
export function attentionPerHeadRef(
  q: Arr,
  k: Arr,
  v: Arr,
  d: { batch: number; nq: number; nk: number; width: number; valueWidth: number },
  heads: number,
  scale: number,
): Float64Array {
  const { batch, nq, nk, width, valueWidth } = d;
  const [dh, dvh] = [width / heads, valueWidth / heads];
  const out = new Float64Array(batch * nq * valueWidth);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const scores = new Float64Array(nq * nk);
      for (let i = 0; i < nq; i++)
        for (let j = 0; j < nk; j++) {
          let s = 0;
          for (let c = 0; c < dh; c++) s += q[(b * nq + i) * width + h * dh + c] * k[(b * nk + j) * width + h * dh + c];
          scores[i * nk + j] = s * scale;
        }
      const probs = rowSoftmax(scores, nk);
      for (let i = 0; i < nq; i++)
        for (let c = 0; c < dvh; c++) {
          let s = 0;
          for (let j = 0; j < nk; j++) s += probs[i * nk + j] * v[(b * nk + j) * valueWidth + h * dvh + c];
          out[(b * nq + i) * valueWidth + h * dvh + c] = s;
        }
    }
  return out;
}

/** y = x·W + b over the last axis, W (in, out). */
export function linearRef(x: Arr, rows: number, inDim: number, weight: Arr, bias: Arr, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  matmulAt(x, 0, weight, 0, rows, inDim, outDim, y, 0);
  for (let i = 0; i < y.length; i++) y[i] += bias[i % outDim];
  return y;
}
