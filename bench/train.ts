// Training throughput on tfjs (wasm and cpu backends), and the tfjs-wasm forward time relative to ONNX
// Runtime's for the same graph. Prints numbers and ratios; asserts nothing.
//   npx tsx bench/train.ts        (ONEPROMPT_BENCH_DATA=DIR: a dataset folder for tiny/small; default: synthetic)
// Measures the One-Prompt tiny and small configurations on a synthetic dataset (or DIR), the toy blobs
// segmenters (per-pixel MLP, small conv net) for scale, and the tfjs-wasm / ONNX Runtime forward ratio
// on the tiny model and on two graphs shaped like the model's bulk: a transformer-style MLP block stack
// (matmul-bound) and a conv encoder stage (conv-bound).
import { build, type Graph } from '../src/dsl/build.js';
import { add, conv2dLayer, gelu, maxPool2d } from '../src/dsl/index.js';
import { linear } from '../src/dsl/layers/linear.js';
import { ParamStore } from '../src/dsl/params.js';
import { input } from '../src/dsl/tensor.js';
import { emit } from '../src/onnx/emit.js';
import { Model } from '../src/runtime/session.js';
import { randomFeeds } from '../src/testing/shape-property.js';
import { useBackend, type BackendName } from '../src/train/backend.js';
import { TfjsExecutor } from '../src/train/executor.js';
import { train, type NextBatch } from '../src/train/loop.js';
import { constantLr } from '../src/train/schedule.js';
import { blobsBatch, blobsConvModel, blobsImageBatch, blobsModel } from '../src/train/tasks/blobs.js';
import { getTask } from '../src/train/tasks/index.js';
import { synthesize } from '../src/data/synth.js';
import { configs } from '../graphs/oneprompt/config.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainModel } from '../src/train/task.js';
import type { TF } from '../src/dsl/graph.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function samplesPerSecond(tf: TF, model: TrainModel, nextBatch: NextBatch, batch: number, steps: number, warmup: number): Promise<number> {
  const ex = new TfjsExecutor(tf, model.graph);
  let t0 = 0;
  await train({
    executor: ex,
    logits: model.logits,
    nextBatch,
    totalSteps: warmup + steps,
    lr: constantLr(1e-3),
    seed: 1,
    onStep: (r) => {
      if (r.step === warmup) t0 = performance.now();
    },
  });
  const s = (performance.now() - t0) / 1000;
  ex.dispose();
  return (steps * batch) / s;
}

function mlpBlocks(tokens: number, width: number, hidden: number, blocks: number): Graph {
  const root = new ParamStore(1).root();
  const x = input('x', ['B', tokens, width]);
  let h = x as never;
  for (let i = 0; i < blocks; i++) {
    const b = root.at('blocks').at(i);
    h = add(h, linear(b.at('fc2'), gelu(linear(b.at('fc1'), h, hidden)) as never, width) as never) as never;
  }
  return build({ name: 'mlp_blocks', inputs: { x }, outputs: { y: h } });
}

function convStage(size: number, channels: number): Graph {
  const root = new ParamStore(1).root();
  const x = input('x', ['B', channels, size, size]);
  const c1 = gelu(conv2dLayer(root.at('c1'), x, { out: channels, kernel: 3, padding: 1 }));
  const c2 = gelu(conv2dLayer(root.at('c2'), c1 as never, { out: channels, kernel: 3, padding: 1 }));
  const y = maxPool2d(c2 as never, { kernel: 2 });
  return build({ name: 'conv_stage', inputs: { x }, outputs: { y } });
}

async function forwardRatio(graph: Graph, B: number, flops: number, what: string): Promise<void> {
  const feeds = randomFeeds(graph, { B });
  const { tf } = await useBackend('wasm');
  const ex = new TfjsExecutor(tf, graph);
  const tfTimes: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    await ex.runHost(feeds);
    tfTimes.push(performance.now() - t);
  }
  ex.dispose();
  const bytes = emit(graph);
  const line = (label: string, ms: number) => `  ${label.padEnd(30)} ${ms.toFixed(2).padStart(8)} ms${Number.isFinite(flops) ? `  ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : ''}`;
  const tfMs = median(tfTimes.slice(2));
  console.log(`\nforward of ${graph.name} (B=${B}, ${what}${Number.isFinite(flops) ? `; ${(flops / 1e9).toFixed(2)} GFLOP` : ''}):`);
  console.log(line('tfjs wasm (1 thread)', tfMs));
  for (const threads of [1, undefined]) {
    const m = await Model.load(bytes, threads ? { threads } : {});
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = performance.now();
      await m.run(feeds);
      times.push(performance.now() - t);
    }
    await m.release();
    const ortMs = median(times.slice(2));
    console.log(line(`ONNX Runtime (${threads ?? 'default'} threads)`, ortMs) + `   tfjs-wasm / ORT = ${(tfMs / ortMs).toFixed(2)}`);
  }
}

async function main(): Promise<void> {
  const toys: [string, (store: ParamStore) => TrainModel, NextBatch, number][] = [
    ['blobs MLP 16×16, hidden 16', (st) => blobsModel(st, { size: 16, hidden: 16 }), (_s, rng) => blobsBatch(rng, 8, 16), 8],
    ['blobs MLP 64×64, hidden 64', (st) => blobsModel(st, { size: 64, hidden: 64 }), (_s, rng) => blobsBatch(rng, 4, 64), 4],
    ['blobs conv 16×16, 8 channels', (st) => blobsConvModel(st, { size: 16, hidden: 8 }), (_s, rng) => blobsImageBatch(rng, 8, 16), 8],
    ['blobs conv 64×64, 16 channels', (st) => blobsConvModel(st, { size: 64, hidden: 16 }), (_s, rng) => blobsImageBatch(rng, 4, 64), 4],
  ];
  const dataFor = (size: number): string => {
    if (process.env.ONEPROMPT_BENCH_DATA) return process.env.ONEPROMPT_BENCH_DATA;
    const dir = mkdtempSync(join(tmpdir(), `bench-data-${size}-`));
    synthesize({ out: dir, tasks: 3, images: 6, size, seed: 1 });
    return dir;
  };
  // [config, batch, measured steps on wasm, on cpu]: the cpu backend is plain JS, so fewer steps.
  const onePrompt: [string, number, number, number][] = [
    ['tiny', 2, 6, 2],
    ['small', 1, 2, 1],
  ];
  const dirs = new Map(onePrompt.map(([c]) => [c, dataFor(configs[c as 'tiny'].size)]));
  console.log(`training samples/s (Adam; wall time over the measured steps after warm-up); data: ${process.env.ONEPROMPT_BENCH_DATA ?? 'synthetic (3 tasks × 6 images)'}`);
  const results = new Map<string, Partial<Record<BackendName, number>>>();
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    const { tf } = await useBackend(backend);
    for (const [c, batch, wasmSteps, cpuSteps] of onePrompt) {
      const task = getTask(c);
      const data = await task.data(dirs.get(c)!, batch);
      const sps = await samplesPerSecond(tf, task.model(new ParamStore(0)), data.nextBatch, batch, backend === 'cpu' ? cpuSteps : wasmSteps, 1);
      results.set(`One-Prompt ${c} (batch ${batch})`, { ...results.get(`One-Prompt ${c} (batch ${batch})`), [backend]: sps });
    }
    for (const [name, model, next, batch] of toys) {
      const big = name.includes('64×64');
      const sps = await samplesPerSecond(tf, model(new ParamStore(0)), next, batch, backend === 'cpu' && big ? 4 : big ? 10 : 30, backend === 'cpu' && big ? 1 : 3);
      results.set(name, { ...results.get(name), [backend]: sps });
    }
  }
  const fmt = (v: number) => (v >= 10 ? v.toFixed(1) : v.toPrecision(2)).padStart(8);
  for (const [name, r] of results) console.log(`  ${name.padEnd(30)} wasm ${fmt(r.wasm!)}  cpu ${fmt(r.cpu!)}  wasm/cpu ${(r.wasm! / r.cpu!).toFixed(1)}×`);
  const tiny = getTask('tiny').model(new ParamStore(0)).graph;
  await forwardRatio(tiny, 2, NaN, 'the tiny One-Prompt model, random inputs');
  const [tokens, width, hidden, blocks] = [1024, 128, 512, 2];
  await forwardRatio(mlpBlocks(tokens, width, hidden, blocks), 4, 2 * 4 * tokens * (2 * width * hidden) * blocks, `${tokens} tokens, width ${width}, hidden ${hidden}, ${blocks} blocks`);
  const [size, ch] = [64, 32];
  await forwardRatio(convStage(size, ch), 4, 2 * 4 * 2 * size * size * ch * ch * 9, `${ch} channels at ${size}×${size}, two 3×3 convs + max pool`);
}

await main();
