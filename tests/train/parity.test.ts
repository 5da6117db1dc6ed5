// The tfjs forward (what trains) and the ONNX Runtime forward (what deploys) of the same graph and
// weights agree within 1e-4 of the output scale, over random seeds, batch sizes and shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { build } from '../../src/dsl/build.js';
import * as dsl from '../../src/dsl/index.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import { ParamStore } from '../../src/dsl/params.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { TF, TfjsKernels } from '../../src/dsl/graph.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { blobsModel } from '../../src/train/tasks/blobs.js';
import { checkParity, compareForwards, seedsAndBatches } from '../../src/testing/parity.js';

type T = Tensor<Shape, 'float32'>;
const f = dsl as unknown as Record<string, (...a: unknown[]) => T>;

let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('tfjs forward == ONNX Runtime forward', () => {
  it('element-wise binaries with broadcasting and a symbolic batch', async () => {
    const worst = await checkParity({
      tf,
      params: fc.record({
        seed: fc.nat(),
        batch: fc.integer({ min: 1, max: 4 }),
        op: fc.constantFrom('add', 'sub', 'mul', 'maximum', 'minimum', 'pow'),
        inner: fc.integer({ min: 1, max: 6 }),
      }),
      graph: ({ seed, batch, op, inner }) => {
        const x = input('x', ['B', 3, inner]);
        const y = input('y', [inner]);
        // pow needs a positive base.
        const base = op === 'pow' ? f.add(f.abs(x), 0.5) : x;
        return { graph: build({ inputs: { x, y }, outputs: { z: f[op](base, y) } }), bindings: { B: batch }, feedSeed: seed };
      },
    });
    expect(worst.relative).toBeLessThanOrEqual(1e-4);
  });

  it('unary activations, where and cast', async () => {
    await checkParity({
      tf,
      params: fc.record({ seed: fc.nat(), batch: fc.integer({ min: 1, max: 4 }) }),
      graph: ({ seed, batch }) => {
        const x = input('x', ['B', 5]);
        const pos = f.add(f.abs(x), 0.1);
        const outs: Record<string, T> = {};
        for (const name of ['relu', 'sigmoid', 'tanh', 'exp', 'sin', 'cos', 'neg', 'abs', 'erf', 'softplus', 'floor', 'gelu']) outs[name] = f[name](x);
        for (const name of ['log', 'sqrt', 'reciprocal']) outs[name] = f[name](pos);
        outs.leaky = f.leakyRelu(x, 0.2);
        outs.where = f.where(f.greater(x, 0), x, f.mul(x, 0.5));
        outs.cast = f.cast(f.cast(f.mul(x, 4), 'int32'), 'float32');
        return { graph: build({ inputs: { x }, outputs: outs }), bindings: { B: batch }, feedSeed: seed };
      },
    });
  });

  it('matmul, batched and broadcast', async () => {
    await checkParity({
      tf,
      params: fc.record({
        seed: fc.nat(),
        batch: fc.integer({ min: 1, max: 3 }),
        n: fc.integer({ min: 1, max: 8 }),
        k: fc.integer({ min: 1, max: 8 }),
        m: fc.integer({ min: 1, max: 8 }),
        rhsBatched: fc.boolean(),
      }),
      graph: ({ seed, batch, n, k, m, rhsBatched }) => {
        const a = input('a', ['B', 2, n, k]);
        const b = input('b', rhsBatched ? [2, k, m] : [k, m]);
        return { graph: build({ inputs: { a, b }, outputs: { c: f.matmul(a, b) } }), bindings: { B: batch }, feedSeed: seed };
      },
    });
  });

  it('an MLP of linear layers, over weight seeds and batch sizes', async () => {
    await checkParity({
      tf,
      params: seedsAndBatches(5),
      graph: ({ seed, batch }) => {
        const root = new ParamStore(seed).root();
        const x = input('x', ['B', 7, 12]);
        const h = f.gelu(dsl.linear(root.at('fc1'), x, 32));
        const y = dsl.linear(root.at('fc2'), h as never, 4);
        return { graph: build({ name: 'mlp', inputs: { x }, outputs: { y } }), bindings: { B: batch }, feedSeed: seed + 1 };
      },
    });
  });

  it('shape ops: reshape, transpose, concat, slice, split, squeeze/unsqueeze, flatten', async () => {
    await checkParity({
      tf,
      params: fc.record({ seed: fc.nat(), batch: fc.integer({ min: 1, max: 3 }) }),
      graph: ({ seed, batch }) => {
        const x = input('x', ['B', 4, 6]);
        const t = f.transpose(x, [0, 2, 1]); // B 6 4
        const r = f.reshape(t, ['B', 3, 8]);
        const c = f.concat([r, f.mul(r, 2)], 1); // B 6 8
        const s = f.slice(c, 2, 1, 7); // B 6 6
        const [p, q] = f.split(s, 1, [2, 4]) as unknown as T[];
        const u = f.squeeze(f.unsqueeze(p, [1]), [1]);
        const fl = f.flatten(q, 1, -1);
        const st = f.stack([u, u], 0);
        return { graph: build({ inputs: { x }, outputs: { u, fl, st } }), bindings: { B: batch }, feedSeed: seed };
      },
    });
  });

  it('conv, transposed conv, pooling and resize in a small U-Net-like segmenter, over seeds and batches', async () => {
    await checkParity({
      tf,
      params: seedsAndBatches(3),
      graph: ({ seed, batch }) => {
        const root = new ParamStore(seed).root();
        const x = input('x', ['B', 1, 16, 16]);
        const e1 = f.relu(dsl.conv2dLayer(root.at('enc1'), x as never, { out: 4, kernel: 3, padding: 1 } as never) as never);
        const p1 = f.maxPool2d(e1, { kernel: 2 });
        const e2 = f.gelu(dsl.conv2dLayer(root.at('enc2'), p1 as never, { out: 8, kernel: 3, padding: 1, stride: 2 } as never) as never);
        const u2 = dsl.convTranspose2dLayer(root.at('up'), e2 as never, { out: 4, kernel: 2, stride: 2 } as never) as unknown as T;
        const a = f.avgPool2d(e1, { kernel: 3, stride: 2, padding: 1 });
        const mixed = f.concat([u2, a], 1);
        const head = dsl.conv2dLayer(root.at('head'), f.resize(mixed, { scale: 2 }) as never, { out: 1, kernel: 1 } as never) as unknown as T;
        return {
          graph: build({ name: 'unet_toy', inputs: { x }, outputs: { logits: head, near: f.resize(p1, { size: [12, 12] }, 'nearest') } }),
          bindings: { B: batch },
          feedSeed: seed,
        };
      },
    });
  });

  it('reductions, softmax, layer norm and multi-head attention, over seeds and batches', async () => {
    await checkParity({
      tf,
      params: seedsAndBatches(3),
      graph: ({ seed, batch }) => {
        const root = new ParamStore(seed).root();
        const x = input('x', ['B', 6, 8]);
        const n = dsl.layerNorm(root.at('norm'), x as never) as unknown as T;
        const att = dsl.multiHeadAttention(root.at('attn'), n as never, n as never, { heads: 2 } as never) as unknown as T;
        const outs = {
          att,
          sm: f.softmax(x, 1),
          mean: f.reduceMean(x, [1]),
          sum: f.reduceSum(x, [2], true),
          max: f.reduceMax(x, [-1]),
          min: f.reduceMin(x, [1, 2]),
        };
        return { graph: build({ name: 'attn_block', inputs: { x }, outputs: outs }), bindings: { B: batch }, feedSeed: seed };
      },
    });
  });

  it('the blobs segmenter the training tests use', async () => {
    await checkParity({
      tf,
      params: seedsAndBatches(4),
      graph: ({ seed, batch }) => ({ graph: blobsModel(new ParamStore(seed)).graph, bindings: { B: batch }, feedSeed: seed }),
    });
  });

  it('reports a real difference (the harness can fail)', async () => {
    // A graph whose ONNX and tfjs forwards differ on purpose: an op with a tfjs kernel that adds 1e-2.
    const x = input('x', [3, 4]);
    const y = f.relu(x);
    const g = build({ inputs: { x }, outputs: { y } });
    const node = g.nodes[0];
    const wrong = { ...node.op, tfjs: (t: TF, ins: never[], a: unknown, n: never, k: TfjsKernels) => node.op.tfjs(t, ins, a, n, k).map((o) => t.add(o, 1e-2)) };
    const bent = { ...g, nodes: [{ ...node, op: wrong }] };
    const feeds = { x: { dtype: 'float32' as const, dims: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 12) } };
    const [d] = await compareForwards(bent as never, feeds, { tf });
    expect(d.maxAbsDiff).toBeCloseTo(1e-2, 4);
    expect(d.relative).toBeGreaterThan(1e-4);
  });
});
