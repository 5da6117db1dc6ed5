// Child process of variants.property.test.ts: the `base` configuration (1024², 198 M parameters) compiled to a file
// (weights streamed from the parameters, no second copy in memory) and run by ONNX Runtime at each batch size given,
// one session per size, released before the next. ONNX Runtime's CPU memory arena and memory patterns are off: they
// keep the largest run's buffers for the session's life, and were most of the 15 GB this test used to peak at, which
// starved other work on the machine and timed the test out under load.
// Measured on the 2-core machine: peak 5.1 GB at B = 1, 9.2 GB at B = 2 (ONNX Runtime needs about 4 GB per 1024²
// image here: attention over 4096 tokens and full-resolution encoder maps), against 15 GB for B = 1 and 3 in-process.
// Usage: tsx base-run.ts B... ; prints one JSON line per batch size: {"B", "dims", "finite", "seconds", "peakKib"}.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { configs } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { saveModel } from '../../src/onnx/save.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';

const batches = process.argv.slice(2).map(Number);
/** Peak resident memory so far (KiB), from /proc where there is one. */
const peakKib = (): number | undefined => {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
};
const dir = mkdtempSync(join(tmpdir(), 'op-base-run-'));
try {
  const file = join(dir, 'base.onnx');
  const model = buildOnePrompt(configs.base, 0);
  saveModel(model.graph, file);
  for (const p of model.graph.params) p.release();
  for (const B of batches) {
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(file, {
      enableCpuMemArena: false,
      enableMemPattern: false,
      intraOpNumThreads: 2,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    const feeds = Object.fromEntries(
      Object.entries(randomModelInputs(configs.base, B, 5)).map(([n, t]) => [n, new ort.Tensor('float32', t.data as Float32Array, [...t.dims])]),
    );
    const out = (await session.run(feeds))[OUTPUT_NAME];
    const data = out.data as Float32Array;
    console.log(JSON.stringify({ B, dims: out.dims, finite: data.every(Number.isFinite), seconds: (performance.now() - t0) / 1000, peakKib: peakKib() }));
    await session.release();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
