// Where onnxruntime-node looks for its CUDA provider libraries, and whether they are there.
// Checking the files first lets a CPU-only machine fall back with one line of warning instead of
// ONNX Runtime's own multi-line load error on stderr.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The two libraries `npm run setup:cuda` puts beside onnxruntime-node's binding. */
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

export interface CudaProviderStatus {
  /** onnxruntime-node's native folder (bin/napi-v6/<platform>/<arch>). */
  readonly binDir: string;
  /** onnxruntime-node's version. */
  readonly ortVersion: string;
  /** Provider libraries not found in binDir. */
  readonly missing: readonly string[];
}

export function cudaProviderStatus(): CudaProviderStatus {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(dirname(require.resolve('onnxruntime-node')));
  const binDir = join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
  const ortVersion = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  return { binDir, ortVersion, missing: CUDA_PROVIDER_LIBS.filter((lib) => !existsSync(join(binDir, lib))) };
}
