// Which GPUs a CUDA library's kernels run on, and whether this machine's GPU is among them.
// Usage: npx tsx scripts/cuda-archs.ts LIBRARY.so     (exit 0 covered or no GPU to compare; 1 not covered; 2 unreadable)
import { readFileSync } from 'node:fs';
import { CudaArchError, describeArchs, fatbinArchs, gpuCapability, runsOn } from '../src/runtime/cuda-archs.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: npx tsx scripts/cuda-archs.ts LIBRARY.so');
  process.exit(2);
}

try {
  const archs = fatbinArchs(readFileSync(path), path);
  const cc = gpuCapability();
  console.log(`${path}: ${describeArchs(archs, cc)}`);
  process.exit(cc !== undefined && archs.fatbins > 0 && !runsOn(archs, cc) ? 1 : 0);
} catch (e) {
  console.error(e instanceof CudaArchError ? e.message : `${path}: ${(e as Error).message}`);
  process.exit(2);
}
