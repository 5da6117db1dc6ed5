// Does onnxruntime-node's CUDA execution provider load and run here? Builds a tiny model, runs it on
// CUDA and on CPU, and compares. Exit 0 and one line when it works; exit 1 and the reason when not.
// Usage: npx tsx scripts/cuda-probe.ts
import * as ort from 'onnxruntime-node';
import { input } from '../src/dsl/tensor.js';
import { build } from '../src/dsl/build.js';
import { ParamStore } from '../src/dsl/params.js';
import { linear } from '../src/dsl/layers/linear.js';
import { emit } from '../src/onnx/emit.js';
import { cudaProviderStatus } from '../src/runtime/cuda-libs.js';
import { describeArchs, fatbinArchs, gpuCapability, runsOn } from '../src/runtime/cuda-archs.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const status = cudaProviderStatus();
if (status.missing.length > 0) {
  console.error(`cuda-probe: ${status.missing.join(', ')} missing in ${status.binDir}; run npm run setup:cuda`);
  process.exit(1);
}
// A library without kernels for this GPU loads fine and fails at the first launch; say so plainly first.
const cc = gpuCapability();
const archs = fatbinArchs(readFileSync(join(status.binDir, 'libonnxruntime_providers_cuda.so')), 'libonnxruntime_providers_cuda.so');
if (cc !== undefined && !runsOn(archs, cc)) {
  console.error(`cuda-probe: libonnxruntime_providers_cuda.so has ${describeArchs(archs, cc)}`);
  process.exit(1);
}
const x = input('x', [4, 64]);
const y = linear(new ParamStore(1).root().at('fc'), x, 32);
const bytes = emit(build({ inputs: { x }, outputs: { y } }));
const feed = {
  x: new ort.Tensor(
    'float32',
    Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)),
    [4, 64],
  ),
};
try {
  const cuda = await ort.InferenceSession.create(bytes, { executionProviders: ['cuda'], logSeverityLevel: 3 });
  const cpu = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const a = (await cuda.run(feed)).y.data as Float32Array;
  const b = (await cpu.run(feed)).y.data as Float32Array;
  const maxDiff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  console.log(`cuda-probe: CUDA execution provider works with onnxruntime-node ${status.ortVersion} (max |cuda − cpu| = ${maxDiff.toExponential(2)})`);
} catch (e) {
  console.error(`cuda-probe: the CUDA execution provider did not load or run: ${String((e as Error).message ?? e).split('\n')[0]}`);
  console.error('cuda-probe: see docs/cuda.md (LD_LIBRARY_PATH for the CUDA 13 / cuDNN 9 libraries, matching versions)');
  process.exit(1);
}
