import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Generous: on a busy shared machine a test may run several times slower; no test may fail only for that.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // ONNX Runtime and tfjs each want the two cores; run files one by one to keep timings sane.
    fileParallelism: false,
    reporters: ['default'],
  },
});
