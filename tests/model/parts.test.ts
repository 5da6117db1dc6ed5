// Numerical checks of the One-Prompt model's own parts: each part is built as a small DSL graph, emitted,
// run in ONNX Runtime (with the declared shape checked, and Debian's ONNX checker where installed) and
// compared with a float64 reference written from the equations (tests/reference/oneprompt.ts).
// Tolerance: |actual − expected| ≤ 1e-5 · max(1, |expected|) unless a comment says otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { build, input, ParamStore, type Graph, type Shape, type Tensor } from '../../src/dsl/index.js';
import { attention, multiHeadAttention } from '../../src/dsl/index.js';
import { mulberry32 } from '../../src/util/rng.js';
import { hostTensor, type HostTensor } from '../../src/runtime/session.js';
import { checkShapes, type GraphInstance } from '../../src/testing/shape-property.js';
import { densePositionalEncoding, fourierFeatures, gridCentres } from '../../graphs/oneprompt/positional-encoding.js';
import { cellMembership, pointPromptMaps } from '../../graphs/oneprompt/prompt-encoder.js';
import {
  addPrompting,
  concatMlpPrompting,
  gaussianMasking,
  promptParser,
  queryTemplateMix,
  simpleMasking,
  stackMlpPrompting,
} from '../../graphs/oneprompt/prompt-parser.js';
import type { MaskingStep, PromptingStep } from '../../graphs/oneprompt/config.js';
import { erfRef } from '../reference/scalar.js';
import {
  addPromptingRef,
  attentionPerHeadRef,
  cellMembershipRef,
  concatMlpRef,
  densePeRef,
  fourierFeaturesRef,
  gaussianMaskingRef,
  linearRef,
  pointPromptMapsRef,
  queryTemplateMixRef,
  simpleMaskingRef,
  stackMlpRef,
  tokenCentreFromPixels,
  type MlpWeights,
} from '../reference/oneprompt.js';

type F = Tensor<Shape, 'float32'>;
const wide = (t: unknown) => t as F;

// ---------- inputs and parameters ----------
const uniform = (rnd: () => number, n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());
const f32 = (h: HostTensor) => h.data as Float32Array;

/** Coordinates in [0, 1] with the awkward ones mixed in: cell boundaries j/G, the image edges 0 and 1, and a few just outside. */
function promptCoordinates(rnd: () => number, n: number, side: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rnd();
    if (r < 0.2) return Math.floor(rnd() * (side + 1)) / side;
    if (r < 0.25) return rnd() < 0.5 ? -0.03 : 1.03;
    return rnd();
  });
}

/** A parameter's values in a built graph, by its module path. */
function paramOf(graph: Graph, name: string): Float32Array {
  const p = graph.params.find((q) => q.name === name);
  if (!p) throw new Error(`no parameter '${name}' in the graph (has ${graph.params.map((q) => q.name).join(', ')})`);
  return p.values();
}

/** checkShapes whose reference also sees the built graph (for parameter values). */
function checkPart<P extends object>(spec: {
  params: fc.Arbitrary<P>;
  graph: (p: P) => GraphInstance;
  reference: (p: P, feeds: Readonly<Record<string, HostTensor>>, graph: Graph) => Record<string, ArrayLike<number>>;
  tolerance?: number;
  numRuns?: number;
}): Promise<void> {
  const graphs = new WeakMap<P, Graph>();
  return checkShapes({
    params: spec.params,
    graph: (p) => {
      const inst = spec.graph(p);
      graphs.set(p, inst.graph);
      return inst;
    },
    reference: (p, feeds) => spec.reference(p, feeds, graphs.get(p)!),
    tolerance: spec.tolerance,
    numRuns: spec.numRuns ?? 8,
  });
}

const batch = fc.constantFrom(1, 3);
const seed = fc.integer({ min: 1, max: 2 ** 30 });
const evenWidth = fc.integer({ min: 1, max: 8 }).map((h) => 2 * h);

// ---------- positional encoding ----------
describe('positional encoding', () => {
  it('fourierFeatures of (B, K, 2) coordinates == [sin, cos](2π(2c − 1)·G)', async () => {
    await checkPart({
      params: fc.record({ B: batch, k: fc.integer({ min: 1, max: 9 }), l: evenWidth, seed }),
      graph: ({ B, k, l, seed }) => {
        const rnd = mulberry32(seed);
        const coords = input('coords', ['B', k, 2]);
        const basis = input('basis', [2, l / 2]);
        return {
          graph: build({ inputs: { coords, basis }, outputs: { pe: fourierFeatures(coords, basis) } }),
          bindings: { B },
          feeds: { coords: hostTensor(promptCoordinates(rnd, B * k * 2, 4), [B, k, 2]), basis: hostTensor(uniform(rnd, l, -2, 2), [2, l / 2]) },
        };
      },
      reference: ({ B, k, l }, feeds) => ({ pe: fourierFeaturesRef(f32(feeds.coords), B * k, f32(feeds.basis), l) }),
    });
  });

  it('gridCentres: token n = row·G + col is the centre of its pixel block, (x, y) = ((col + 0.5)/G, (row + 0.5)/G)', () => {
    for (const side of [1, 2, 3, 4, 7, 16, 64])
      for (const patch of [1, 2, 16]) {
        const centres = gridCentres(side);
        expect(centres.length).toBe(side * side * 2);
        for (let n = 0; n < side * side; n++) {
          const [x, y] = tokenCentreFromPixels(side, patch, n);
          expect(Math.abs(centres[2 * n] - x)).toBeLessThan(1e-7); // float32 storage of the centre
          expect(Math.abs(centres[2 * n + 1] - y)).toBeLessThan(1e-7);
        }
      }
  });

  it('dense PE of the G×G grid == PE of the token centres, (N, L)', async () => {
    await checkPart({
      params: fc.record({ side: fc.integer({ min: 1, max: 8 }), l: evenWidth, seed }),
      graph: ({ side, l, seed }) => {
        const basis = input('basis', [2, l / 2]);
        const pe = densePositionalEncoding(new ParamStore(0).root().at('pe'), side, basis);
        return { graph: build({ inputs: { basis }, outputs: { pe } }), feeds: { basis: hostTensor(uniform(mulberry32(seed), l, -2, 2), [2, l / 2]) } };
      },
      reference: ({ side, l }, feeds) => ({ pe: densePeRef(side, f32(feeds.basis), l) }),
    });
  });
});

// ---------- Prompt-Parser ----------
/** Random e_q, e_t, p1, p2 (B, N, L) as graph inputs. */
function embeddings(n: number, l: number) {
  const [eq, et, p1, p2] = (['eq', 'et', 'p1', 'p2'] as const).map((name) => input(name, ['B', n, l]));
  return { eq, et, p1, p2 };
}
const parserDims = fc.record({ B: batch, n: fc.integer({ min: 1, max: 10 }), l: fc.integer({ min: 1, max: 12 }), seed });
const embeddingFeeds = (B: number, n: number, l: number, seed: number, extra: Record<string, [number[], number]> = {}) => {
  const rnd = mulberry32(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const name of ['eq', 'et', 'p1', 'p2']) feeds[name] = hostTensor(uniform(rnd, B * n * l), [B, n, l]);
  for (const [name, [dims, bound]] of Object.entries(extra))
    feeds[name] = hostTensor(
      uniform(
        rnd,
        dims.reduce((a, b) => a * b, 1),
        -bound,
        bound,
      ),
      dims,
    );
  return feeds;
};

describe('Prompt-Parser equations (small N)', () => {
  it('eq. 1: e_tq = e_t ⊙ (p1 + p2 + e_q)', async () => {
    await checkPart({
      params: parserDims,
      graph: ({ B, n, l, seed }) => {
        const { eq, et, p1, p2 } = embeddings(n, l);
        return {
          graph: build({ inputs: { eq, et, p1, p2 }, outputs: { etq: queryTemplateMix(eq, et, p1, p2) } }),
          bindings: { B },
          feeds: embeddingFeeds(B, n, l, seed),
        };
      },
      reference: (_p, f) => ({ etq: queryTemplateMixRef(f32(f.eq), f32(f.et), f32(f.p1), f32(f.p2)) }),
    });
  });

  it('eq. 2, Stack MLP: M = w·[e_t; p1; p2]·e_qᵀ/√L with w ∈ R^{N×3N}', async () => {
    await checkPart({
      params: parserDims,
      graph: ({ B, n, l, seed }) => {
        const { eq, et, p1, p2 } = embeddings(n, l);
        const w = input('w', [n, 3 * n]);
        const m = stackMlpPrompting(w, et, p1, p2, eq);
        return {
          graph: build({ inputs: { w, eq, et, p1, p2 }, outputs: { m } }),
          bindings: { B },
          feeds: embeddingFeeds(B, n, l, seed, { w: [[n, 3 * n], 1] }),
        };
      },
      reference: ({ B, n, l }, f) => ({ m: stackMlpRef(f32(f.w), f32(f.et), f32(f.p1), f32(f.p2), f32(f.eq), B, n, l) }),
    });
  });

  it('prompting ablation Add: M = (e_t + p1 + p2)·e_qᵀ/√L', async () => {
    await checkPart({
      params: parserDims,
      graph: ({ B, n, l, seed }) => {
        const { eq, et, p1, p2 } = embeddings(n, l);
        return {
          graph: build({ inputs: { eq, et, p1, p2 }, outputs: { m: addPrompting(et, p1, p2, eq) } }),
          bindings: { B },
          feeds: embeddingFeeds(B, n, l, seed),
        };
      },
      reference: ({ B, n, l }, f) => ({ m: addPromptingRef(f32(f.et), f32(f.p1), f32(f.p2), f32(f.eq), B, n, l) }),
    });
  });

  it('prompting ablation Concat + MLP: M = fc2(GELU(fc1([e_t, p1, p2])))·e_qᵀ/√L', async () => {
    await checkPart({
      params: parserDims,
      graph: ({ B, n, l, seed }) => {
        const { eq, et, p1, p2 } = embeddings(n, l);
        const m = concatMlpPrompting(new ParamStore(seed).root().at('mlp'), et, p1, p2, eq);
        return { graph: build({ inputs: { eq, et, p1, p2 }, outputs: { m } }), bindings: { B }, feeds: embeddingFeeds(B, n, l, seed) };
      },
      reference: ({ B, n, l }, f, g) => ({ m: concatMlpRef(f32(f.et), f32(f.p1), f32(f.p2), f32(f.eq), mlpOf(g, 'mlp'), B, n, l, erfRef) }),
    });
  });

  for (const kind of ['add', 'binary', 'norm'] as const)
    it(`masking ablation ${kind} (${{ add: 'e_tq + softmax(M)·e_tq', binary: 'rownorm(M > 0)·e_tq', norm: 'softmax(M)·e_tq' }[kind]})`, async () => {
      await checkPart({
        params: parserDims,
        graph: ({ B, n, l, seed }) => {
          const m = input('m', ['B', n, n]);
          const etq = input('etq', ['B', n, l]);
          const rnd = mulberry32(seed);
          // Some exact zeros (Binary thresholds strictly above 0) and, in the first item, an all-negative row (an all-zero mask row).
          const mv = uniform(rnd, B * n * n).map((v) => (rnd() < 0.1 ? 0 : v));
          for (let j = 0; j < n; j++) mv[j] = -Math.abs(mv[j]);
          return {
            graph: build({ inputs: { m, etq }, outputs: { eg: simpleMasking(kind, m, etq) } }),
            bindings: { B },
            feeds: { m: hostTensor(mv, [B, n, n]), etq: hostTensor(uniform(rnd, B * n * l), [B, n, l]) },
          };
        },
        reference: ({ B, n, l }, f) => ({ eg: simpleMaskingRef(kind, f32(f.m), f32(f.etq), B, n, l) }),
      });
    });

  it('eq. 3, Gaussian masking with a given conv: e_G = max(rownorm(exp(−(M − μ)²/2σ²))·e_tq, e_tq)', async () => {
    await checkPart({
      params: fc.record({ B: batch, n: fc.integer({ min: 1, max: 9 }), l: fc.integer({ min: 1, max: 8 }), kernel: fc.constantFrom(1, 3, 5), seed }),
      graph: ({ B, n, l, kernel, seed }) => {
        const m = input('m', ['B', n, n]);
        const etq = input('etq', ['B', n, l]);
        const weight = input('weight', [2, 1, kernel, kernel]);
        const bias = input('bias', [2]);
        const rnd = mulberry32(seed);
        return {
          graph: build({ inputs: { m, etq, weight, bias }, outputs: { eg: gaussianMasking(m, etq, weight, bias) } }),
          bindings: { B },
          feeds: {
            m: hostTensor(uniform(rnd, B * n * n, -2, 2), [B, n, n]),
            etq: hostTensor(uniform(rnd, B * n * l), [B, n, l]),
            weight: hostTensor(uniform(rnd, 2 * kernel * kernel), [2, 1, kernel, kernel]),
            bias: hostTensor(uniform(rnd, 2), [2]),
          },
        };
      },
      reference: ({ B, n, l, kernel }, f) => ({ eg: gaussianMaskingRef(f32(f.m), f32(f.etq), f32(f.weight), f32(f.bias), kernel, B, n, l) }),
    });
  });

  // The module the Former uses: every prompting × masking option is one definition whose output is e_G ⊙ e_t.
  const promptings: PromptingStep[] = ['stack-mlp', 'add', 'concat-mlp'];
  const maskings: MaskingStep[] = ['gaussian', 'add', 'binary', 'norm'];
  for (const prompting of promptings)
    for (const masking of maskings)
      it(`promptParser module, ${prompting} prompting + ${masking} masking == the equations composed, ⊙ e_t`, async () => {
        await checkPart({
          params: fc.record({ B: batch, n: fc.integer({ min: 1, max: 8 }), l: fc.integer({ min: 1, max: 8 }), seed }),
          numRuns: 3,
          graph: ({ B, n, l, seed }) => {
            const { eq, et, p1, p2 } = embeddings(n, l);
            const out = promptParser(new ParamStore(seed).root().at('parser'), p1, p2, eq, et, { prompting, masking });
            return { graph: build({ inputs: { eq, et, p1, p2 }, outputs: { out } }), bindings: { B }, feeds: embeddingFeeds(B, n, l, seed) };
          },
          reference: ({ B, n, l }, f, g) => {
            const [eq, et, p1, p2] = [f.eq, f.et, f.p1, f.p2].map(f32);
            const etq = queryTemplateMixRef(eq, et, p1, p2);
            const m =
              prompting === 'stack-mlp'
                ? stackMlpRef(paramOf(g, 'parser.w'), et, p1, p2, eq, B, n, l)
                : prompting === 'add'
                  ? addPromptingRef(et, p1, p2, eq, B, n, l)
                  : concatMlpRef(et, p1, p2, eq, mlpOf(g, 'parser.mlp'), B, n, l, erfRef);
            const eg =
              masking === 'gaussian'
                ? gaussianMaskingRef(m, etq, paramOf(g, 'parser.masking.weight'), paramOf(g, 'parser.masking.bias'), 3, B, n, l)
                : simpleMaskingRef(masking, m, etq, B, n, l);
            return { out: eg.map((v, i) => v * et[i]) };
          },
        });
      });
});

function mlpOf(g: Graph, path: string): MlpWeights {
  const layer = (name: string) => ({ weight: paramOf(g, `${path}.${name}.weight`), bias: paramOf(g, `${path}.${name}.bias`) });
  return { fc1: layer('fc1'), fc2: layer('fc2') };
}

// ---------- prompt encoder: scattering points onto the token grid ----------
describe('prompt encoder: cell scattering', () => {
  it('cellMembership (B, N, K): 1 where point k lies in token cell n (boundaries, edges, clamping)', async () => {
    await checkPart({
      params: fc.record({ B: batch, k: fc.integer({ min: 1, max: 12 }), side: fc.integer({ min: 1, max: 6 }), seed }),
      graph: ({ B, k, side, seed }) => {
        const points = input('points', ['B', k, 2]);
        return {
          graph: build({ inputs: { points }, outputs: { member: cellMembership(points, side) } }),
          bindings: { B },
          feeds: { points: hostTensor(promptCoordinates(mulberry32(seed), B * k * 2, side), [B, k, 2]) },
        };
      },
      reference: ({ B, k, side }, f) => ({ member: cellMembershipRef(f32(f.points), B, k, side) }),
    });
  });

  it('each token centre of gridCentres lies in its own cell: membership of the centres is the identity', async () => {
    await checkPart({
      params: fc.record({ side: fc.integer({ min: 1, max: 8 }) }),
      numRuns: 4,
      graph: ({ side }) => {
        const n = side * side;
        const points = input('points', [1, n, 2]);
        return {
          graph: build({ inputs: { points }, outputs: { member: cellMembership(points, side) } }),
          feeds: { points: hostTensor(gridCentres(side), [1, n, 2]) },
        };
      },
      reference: ({ side }) => ({ member: Float64Array.from({ length: side ** 4 }, (_, i) => (Math.floor(i / side ** 2) === i % side ** 2 ? 1 : 0)) }),
    });
  });

  it('point prompt maps p1, p2 (B, N, L): mean of PE + role embedding per cell, the no-prompt embedding where empty', async () => {
    await checkPart({
      params: fc.record({ B: batch, k: fc.integer({ min: 1, max: 10 }), side: fc.integer({ min: 1, max: 4 }), l: evenWidth, seed }),
      graph: ({ B, k, side, l, seed }) => {
        const rnd = mulberry32(seed);
        const points = input('points', ['B', k, 2]);
        const labels = input('labels', ['B', k]);
        const type = input('type', ['B', 4]);
        const basis = input('basis', [2, l / 2]);
        const unusedMask = input('mask', ['B', 1, 4 * side, 4 * side]); // the SegLab path is not part of the point maps
        const maps = pointPromptMaps(new ParamStore(seed).root().at('points'), { points, labels, mask: unusedMask, type }, side, l, basis);
        const typeOneHot = new Float32Array(B * 4);
        for (let b = 0; b < B; b++) typeOneHot[b * 4 + Math.floor(rnd() * 4)] = 1;
        return {
          graph: build({ inputs: { points, labels, type, basis }, outputs: { p1: maps.p1, p2: maps.p2 } }),
          bindings: { B },
          feeds: {
            points: hostTensor(promptCoordinates(rnd, B * k * 2, side), [B, k, 2]),
            labels: hostTensor(
              Float32Array.from({ length: B * k }, () => Math.floor(rnd() * 3)),
              [B, k],
            ),
            type: hostTensor(typeOneHot, [B, 4]),
            basis: hostTensor(uniform(rnd, l, -2, 2), [2, l / 2]),
          },
        };
      },
      reference: ({ B, k, side, l }, f, g) => {
        const [p1, p2] = pointPromptMapsRef(
          {
            points: f32(f.points),
            labels: f32(f.labels),
            type: f32(f.type),
            basis: f32(f.basis),
            roleTable: [paramOf(g, 'points.role1.embedding'), paramOf(g, 'points.role2.embedding')],
            noPrompt: [paramOf(g, 'points.role1.no_prompt'), paramOf(g, 'points.role2.no_prompt')],
          },
          B,
          k,
          side,
          l,
        );
        return { p1, p2 };
      },
    });
  });
});

// ---------- attention ----------
describe('attention', () => {
  it('attention op == softmax(Q_h·K_hᵀ/√d_h)·V_h per head, heads concatenated', async () => {
    await checkPart({
      params: fc.record({
        B: batch,
        nq: fc.integer({ min: 1, max: 7 }),
        nk: fc.integer({ min: 1, max: 7 }),
        heads: fc.integer({ min: 1, max: 4 }),
        dh: fc.integer({ min: 1, max: 4 }),
        dvh: fc.integer({ min: 1, max: 4 }),
        scale: fc.option(fc.double({ min: 0.1, max: 2, noNaN: true }), { nil: undefined }),
        seed,
      }),
      graph: ({ B, nq, nk, heads, dh, dvh, scale, seed }) => {
        const q = input('q', ['B', nq, heads * dh]);
        const k = input('k', ['B', nk, heads * dh]);
        const v = input('v', ['B', nk, heads * dvh]);
        const rnd = mulberry32(seed);
        const o = attention(wide(q), wide(k), wide(v), { heads, scale });
        return {
          graph: build({ inputs: { q, k, v }, outputs: { o } }),
          bindings: { B },
          feeds: {
            q: hostTensor(uniform(rnd, B * nq * heads * dh, -2, 2), [B, nq, heads * dh]),
            k: hostTensor(uniform(rnd, B * nk * heads * dh, -2, 2), [B, nk, heads * dh]),
            v: hostTensor(uniform(rnd, B * nk * heads * dvh), [B, nk, heads * dvh]),
          },
        };
      },
      reference: ({ B, nq, nk, heads, dh, dvh, scale }, f) => ({
        o: attentionPerHeadRef(
          f32(f.q),
          f32(f.k),
          f32(f.v),
          { batch: B, nq, nk, width: heads * dh, valueWidth: heads * dvh },
          heads,
          scale ?? 1 / Math.sqrt(dh),
        ),
      }),
    });
  });

  it("the Former's multi-head attention module == out(attention(q(x), k(kv), v(kv)))", async () => {
    await checkPart({
      params: fc.record({
        B: batch,
        nq: fc.integer({ min: 1, max: 6 }),
        nk: fc.integer({ min: 1, max: 6 }),
        heads: fc.constantFrom(1, 2, 4),
        l: fc.constantFrom(4, 8),
        kvWidth: fc.constantFrom(3, 8),
        seed,
      }),
      graph: ({ B, nq, nk, heads, l, kvWidth, seed }) => {
        const x = input('x', ['B', nq, l]);
        const kv = input('kv', ['B', nk, kvWidth]);
        const rnd = mulberry32(seed);
        const o = multiHeadAttention(new ParamStore(seed).root().at('attn'), wide(x), wide(kv) as never, { heads });
        return {
          graph: build({ inputs: { x, kv }, outputs: { o } }),
          bindings: { B },
          feeds: { x: hostTensor(uniform(rnd, B * nq * l), [B, nq, l]), kv: hostTensor(uniform(rnd, B * nk * kvWidth), [B, nk, kvWidth]) },
        };
      },
      reference: ({ B, nq, nk, heads, l, kvWidth }, f, g) => {
        const lin = (name: string, x: Float32Array, rows: number, inDim: number) =>
          linearRef(x, rows, inDim, paramOf(g, `attn.${name}.weight`), paramOf(g, `attn.${name}.bias`), l);
        const q = lin('q', f32(f.x), B * nq, l);
        const k = lin('k', f32(f.kv), B * nk, kvWidth);
        const v = lin('v', f32(f.kv), B * nk, kvWidth);
        const a = attentionPerHeadRef(q, k, v, { batch: B, nq, nk, width: l, valueWidth: l }, heads, 1 / Math.sqrt(l / heads));
        return { o: linearRef(a, B * nq, l, paramOf(g, 'attn.out.weight'), paramOf(g, 'attn.out.bias'), l) };
      },
    });
  });
});
