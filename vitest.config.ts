import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // ONNX Runtime and tfjs each want the two cores; run files one by one to keep timings sane.
    fileParallelism: false,
    reporters: ['default'],
  },
});
