// Training throughput, each run in a process of its own: ONNX Runtime (the emitted training-step model, src/train/ort) against tfjs-wasm on the
// One-Prompt tiny and small configurations at a few batch sizes, all in one run; the effective training rate
// (3 × forward FLOPs × samples/s) as a share of ONNX Runtime's own forward rate on the same model and batch;
// the step's state I/O: outputs ONNX Runtime allocates ('copy', the default) against preallocated,
// double-buffered ones ('bind'); peak memory of a training step for small and base (each alone in a child process); and the
// tfjs-wasm / ONNX Runtime forward-time ratio on the tiny model and two graphs shaped like its bulk.
// Prints numbers and ratios; asserts nothing.
//   npx tsx bench/train.ts            (ONEPROMPT_BENCH_DATA=DIR: a dataset folder for tiny/small; default synthetic)
//   TRAIN_BENCH=quick npx tsx bench/train.ts   (tiny only, no base)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Graph } from '../src/dsl/build.js';
import { add, conv2dLayer, gelu, maxPool2d } from '../src/dsl/index.js';
import { linear } from '../src/dsl/layers/linear.js';
import { ParamStore } from '../src/dsl/params.js';
import { input } from '../src/dsl/tensor.js';
import { emit } from '../src/onnx/emit.js';
import { Model } from '../src/runtime/session.js';
import { randomFeeds } from '../src/testing/shape-property.js';
import { useBackend } from '../src/train/tfjs/backend.js';
import { TfjsExecutor } from '../src/train/tfjs/executor.js';
import { getTask } from '../src/app/train/tasks.js';
import { synthesize } from '../src/app/data/synth.js';
import { configs, type ConfigName } from '../graphs/oneprompt/config.js';
import type { TF } from '../src/dsl/graph.js';
import { profileFlops } from '../src/runtime/profile-flops.js';

const QUICK = process.env.TRAIN_BENCH === 'quick';
/** A step child using more than this is stopped (others share this machine's memory); BENCH_MEMORY_LIMIT_GB overrides. */
const MEMORY_LIMIT_MIB = Number(process.env.BENCH_MEMORY_LIMIT_GB ?? 14) * 1024;
const THREADS = 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Training samples/s in a child process of its own (bench/lib/train-throughput-child.ts); undefined when it fails. */
async function throughput(
  config: ConfigName,
  batch: number,
  backend: 'ort' | 'wasm',
  steps: number,
  dir: string,
  io: 'copy' | 'bind' = 'copy',
): Promise<{ value?: number; error?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/train-throughput-child.ts', config, String(batch), backend, String(steps), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IO: io },
  });
  let [out, err] = ['', ''];
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  if (code !== 0) return { error: /Aborted\(\)/.test(err) ? 'wasm aborted (its 4 GB heap)' : `exit ${code}: ${err.trim().split('\n').pop()}` };
  return { value: (JSON.parse(out.trim().split('\n').pop()!) as { samplesPerSecond: number }).samplesPerSecond };
}

/** ONNX Runtime forward seconds per call of `graph` at batch B (median of a few, after a warm-up). */
async function forwardSeconds(graph: Graph, B: number, reps: number): Promise<number> {
  // The training step's own session settings: static batch, no spin-waiting.
  const m = await Model.load(emit(graph), { threads: THREADS, dims: { B }, spinning: false });
  const feeds = randomFeeds(graph, { B });
  await m.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await m.run(feeds);
    times.push((performance.now() - t) / 1000);
  }
  await m.release();
  return median(times);
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

async function forwardRatio(tf: TF, graph: Graph, B: number, flops: number, what: string): Promise<void> {
  const feeds = randomFeeds(graph, { B });
  const ex = new TfjsExecutor(tf, graph);
  const tfTimes: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    await ex.runHost(feeds);
    tfTimes.push(performance.now() - t);
  }
  ex.dispose();
  const bytes = emit(graph);
  const line = (label: string, ms: number) =>
    `  ${label.padEnd(30)} ${ms.toFixed(2).padStart(8)} ms${Number.isFinite(flops) ? `  ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : ''}`;
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

interface StepChildResult {
  readonly createSecs: number;
  readonly secs: number[];
  readonly afterModelMiB: number;
  readonly afterSessionMiB: number;
  readonly peakMiB: number;
  readonly trainable: number;
}

/** The child's result, or (stopped at the memory limit: this machine is shared) the phase it had reached. */
async function stepChild(config: ConfigName, batch: number, steps: number): Promise<StepChildResult | { stoppedAtMiB: number; lastPhase: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/train-step-child.ts', config, String(batch), String(steps)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [out, err] = ['', ''];
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let stoppedAt = 0;
  const watch = setInterval(() => {
    try {
      const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      if (kib / 1024 > MEMORY_LIMIT_MIB && !stoppedAt) {
        stoppedAt = kib / 1024;
        child.kill('SIGKILL');
      }
    } catch {
      // exited between polls
    }
  }, 500);
  const code = await exited;
  clearInterval(watch);
  if (stoppedAt) return { stoppedAtMiB: stoppedAt, lastPhase: err.trim().split('\n').pop() ?? 'start' };
  if (code !== 0) throw new Error(`train-step-child ${config} exited with ${code}:\n${err}`);
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const { tf } = await useBackend('wasm');
  const dataFor = (size: number): string => {
    if (process.env.ONEPROMPT_BENCH_DATA) return process.env.ONEPROMPT_BENCH_DATA;
    const dir = mkdtempSync(join(tmpdir(), `bench-data-${size}-`));
    synthesize({ out: dir, tasks: 3, images: 6, size, seed: 1 });
    return dir;
  };
  // [config, batch, measured steps on ONNX Runtime, on tfjs-wasm] (one warm-up step each, each run a process of its own).
  const runs: [ConfigName, number, number, number][] = [
    ['tiny', 2, 10, 6],
    ['tiny', 8, 6, 3],
    ...(QUICK
      ? []
      : ([
          ['small', 1, 4, 2],
          ['small', 2, 3, 2],
          ['small', 4, 3, 2],
        ] as [ConfigName, number, number, number][])),
  ];
  console.log(`One-Prompt training (Adam; samples/s from the median step after one warm-up step, each run in a process of its own;`);
  console.log(`ONNX Runtime on ${THREADS} threads without spin-waiting, tfjs-wasm on its one thread);`);
  console.log(
    `data: ${process.env.ONEPROMPT_BENCH_DATA ?? 'synthetic (3 tasks × 6 images)'}; forward FLOPs counted by ONNX Runtime's profile (src/onnx/inspect.ts)\n`,
  );
  console.log('config  batch   ORT samples/s   tfjs-wasm samples/s   ORT / tfjs   ORT fwd ms   fwd GFLOP/s   train GFLOP/s (3×fwd)   train / fwd rate');
  const dirs = new Map<ConfigName, string>();
  const flopsPerImage = new Map<ConfigName, number>();
  for (const [config, batch, ortSteps, tfSteps] of runs) {
    const task = getTask(config);
    if (!dirs.has(config)) dirs.set(config, dataFor(configs[config].size));
    if (!flopsPerImage.has(config)) {
      const f = await profileFlops(emit(task.model(new ParamStore(0)).graph), { B: 1 });
      flopsPerImage.set(
        config,
        Object.values(f).reduce((a, x) => a + x.flops, 0),
      );
    }
    const ortRun = await throughput(config, batch, 'ort', ortSteps, dirs.get(config)!);
    if (ortRun.value === undefined) throw new Error(`ONNX Runtime training of ${config} at batch ${batch} failed: ${ortRun.error}`);
    const ort = ortRun.value;
    const tfRun = await throughput(config, batch, 'wasm', tfSteps, dirs.get(config)!);
    const tfjs = tfRun.value ?? NaN;
    const fwd = await forwardSeconds(task.model(new ParamStore(0)).graph, batch, config === 'tiny' ? 10 : 3);
    const flops = flopsPerImage.get(config)!;
    const fwdRate = (flops * batch) / fwd / 1e9;
    const trainRate = (3 * flops * ort) / 1e9;
    console.log(
      `${config.padEnd(6)} ${String(batch).padStart(5)} ${ort.toFixed(2).padStart(15)} ${(tfRun.value !== undefined ? tfjs.toFixed(2) : tfRun.error!).padStart(21)} ${(tfRun.value !== undefined ? `${(ort / tfjs).toFixed(1)}×` : '—').padStart(12)} ${(fwd * 1000).toFixed(0).padStart(11)} ${fwdRate.toFixed(1).padStart(13)} ${trainRate.toFixed(1).padStart(23)} ${(trainRate / fwdRate).toFixed(2).padStart(18)}`,
    );
  }

  // The step's state I/O: preallocated double buffers against outputs ONNX Runtime allocates.
  const ioConfig: [ConfigName, number] = QUICK ? ['tiny', 8] : ['small', 1];
  const io: Record<string, number> = {};
  for (const mode of ['copy', 'bind'] as const)
    io[mode] = (await throughput(ioConfig[0], ioConfig[1], 'ort', QUICK ? 8 : 5, dirs.get(ioConfig[0])!, mode)).value ?? NaN;
  console.log(
    `\nstep state I/O on ${ioConfig[0]} (batch ${ioConfig[1]}): ONNX Runtime-allocated outputs ${io.copy.toFixed(2)} samples/s, preallocated double buffers ${io.bind.toFixed(2)} (bind / copy = ${(io.bind / io.copy).toFixed(2)})`,
  );

  // Peak memory of a training step, each configuration alone in a process.
  console.log('\npeak memory of ONNX Runtime training steps (a child process per row; peak RSS of the whole process):');
  console.log('config  batch   trainable   after model   after session   after steps   session   step');
  for (const [config, batch, steps] of (QUICK
    ? [['tiny', 8, 2]]
    : [
        ['small', 1, 2],
        ['small', 4, 2],
        ['base', 1, 1],
      ]) as [ConfigName, number, number][]) {
    const r = await stepChild(config, batch, steps);
    if ('stoppedAtMiB' in r) {
      console.log(
        `${config.padEnd(6)} ${String(batch).padStart(5)}   stopped at ${r.stoppedAtMiB.toFixed(0)} MiB (the limit: ${MEMORY_LIMIT_MIB} MiB), after "${r.lastPhase}"`,
      );
      continue;
    }
    console.log(
      `${config.padEnd(6)} ${String(batch).padStart(5)} ${(r.trainable / 1e6).toFixed(2).padStart(9)} M ${r.afterModelMiB.toFixed(0).padStart(9)} MiB ${r.afterSessionMiB.toFixed(0).padStart(11)} MiB ${r.peakMiB.toFixed(0).padStart(9)} MiB ${r.createSecs.toFixed(1).padStart(7)} s ${median(r.secs).toFixed(1).padStart(5)} s`,
    );
  }

  const tiny = getTask('tiny').model(new ParamStore(0)).graph;
  await forwardRatio(tf, tiny, 2, NaN, 'the tiny One-Prompt model, random inputs');
  if (QUICK) return;
  const [tokens, width, hidden, blocks] = [1024, 128, 512, 2];
  await forwardRatio(
    tf,
    mlpBlocks(tokens, width, hidden, blocks),
    4,
    2 * 4 * tokens * (2 * width * hidden) * blocks,
    `${tokens} tokens, width ${width}, hidden ${hidden}, ${blocks} blocks`,
  );
  const [size, ch] = [64, 32];
  await forwardRatio(tf, convStage(size, ch), 4, 2 * 4 * 2 * size * size * ch * ch * 9, `${ch} channels at ${size}×${size}, two 3×3 convs + max pool`);
}

await main();
