// Build + emit of a graph with ~100 M parameters: time, throughput and peak memory.
// Targets (issue 2): emit ≥ 1 GB/s of weights; build+emit under 3 s; at most two copies of the weights held.
import { input } from '../src/dsl/tensor.js';
import { ParamStore } from '../src/dsl/params.js';
import { linear } from '../src/dsl/layers/linear.js';
import { gelu } from '../src/dsl/ops/elementwise.js';
import { build } from '../src/dsl/build.js';
import { emit, emitChunks } from '../src/onnx/emit.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WIDTH = 2048;
const LAYERS = 24; // 24 × (2048² + 2048) ≈ 100.7 M parameters

let peakExternal = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakExternal = Math.max(peakExternal, m.arrayBuffers);
};
const timer = setInterval(sample, 5);

const t0 = performance.now();
const store = new ParamStore(1);
const x = input('x', ['B', WIDTH]);
let h = x;
for (let i = 0; i < LAYERS; i++) h = gelu(linear(store.root().at('layers').at(i), h, WIDTH));
const graph = build({ name: 'mlp100m', inputs: { x }, outputs: { y: h } });
const params = graph.params.reduce((a, p) => a + p.size, 0);
const t1 = performance.now();
for (const p of graph.params) p.values(); // initialise the weights (part of build)
sample();
const t2 = performance.now();
const chunks = emitChunks(graph);
sample();
const t3 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'emit-'));
writeFileAtomic(join(dir, 'm.onnx'), chunks);
const t4 = performance.now();
sample();
const t5 = performance.now();
const bytes = emit(graph); // one contiguous buffer, as for loading from memory
const t6 = performance.now();
sample();
clearInterval(timer);
sample();

const weightBytes = params * 4;
console.log(`parameters:                ${(params / 1e6).toFixed(1)} M (${(weightBytes / 2 ** 20).toFixed(0)} MiB of float32)`);
console.log(`graph construction:        ${(t1 - t0).toFixed(0)} ms`);
console.log(`weight initialisation:     ${(t2 - t1).toFixed(0)} ms`);
console.log(`emit (encode, weights by reference): ${(t3 - t2).toFixed(0)} ms`);
console.log(`build + emit to disk:      ${(t4 - t0).toFixed(0)} ms (target < 3000)`);
console.log(
  `emit to disk (atomic, fsync'd): ${(t4 - t3).toFixed(0)} ms = ${(weightBytes / 1e9 / ((t4 - t3) / 1000)).toFixed(2)} GB/s of weights (target ≥ 1), file ${(statSync(join(dir, 'm.onnx')).size / 2 ** 20).toFixed(0)} MiB`,
);
console.log(
  `emit to one buffer:        ${(t6 - t5).toFixed(0)} ms = ${(weightBytes / 1e9 / ((t6 - t5) / 1000)).toFixed(2)} GB/s (${bytes.length} bytes; for loading from memory)`,
);
// The disk's own speed for the same bytes (plain write + fsync), so the emitter's share can be told apart.
const t7 = performance.now();
const fd = openSync(join(dir, 'plain.bin'), 'w');
writeSync(fd, bytes);
fsyncSync(fd);
closeSync(fd);
const t8 = performance.now();
console.log(
  `disk baseline (plain write + fsync of the same bytes): ${(t8 - t7).toFixed(0)} ms = ${(weightBytes / 1e9 / ((t8 - t7) / 1000)).toFixed(2)} GB/s; the atomic emit runs at ${((t8 - t7) / (t4 - t3)).toFixed(2)}× the disk's speed`,
);
console.log(`peak ArrayBuffer memory:   ${(peakExternal / weightBytes).toFixed(2)} × the weights (target ≤ 2)`);
rmSync(dir, { recursive: true, force: true });
