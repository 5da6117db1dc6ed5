import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { BackendUnavailableError, useBackend, wasmFilePaths } from '../../src/train/tfjs/backend.js';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

describe('tfjs backend choice', () => {
  it('finds the wasm binaries inside node_modules (nothing to download)', () => {
    const paths = wasmFilePaths();
    expect(Object.keys(paths).sort()).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm']);
    for (const p of Object.values(paths)) {
      expect(p).toContain('node_modules');
      expect(existsSync(p)).toBe(true);
    }
  });

  it('an explicit choice is used, and computes', async () => {
    for (const name of ['cpu', 'wasm'] as const) {
      const b = await useBackend(name);
      expect(b.name).toBe(name);
      expect(b.tf.getBackend()).toBe(name);
      expect(Array.from(b.tf.matMul(b.tf.tensor2d([[1, 2]]), b.tf.tensor2d([[3], [4]])).dataSync())).toEqual([11]);
    }
  });

  it.skipIf(installed('@tensorflow/tfjs-node'))('an explicit node backend that is not installed fails clearly', async () => {
    await expect(useBackend('node')).rejects.toThrow(BackendUnavailableError);
    await expect(useBackend('node')).rejects.toThrow(/@tensorflow\/tfjs-node is not installed/);
  });

  it.skipIf(installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node'))(
    'auto falls through node-gpu and node to wasm, saying why',
    async () => {
      const b = await useBackend('auto');
      expect(b.name).toBe('wasm');
      expect(b.skipped.map((s) => s.split(':')[0])).toEqual(['node-gpu', 'node']);
    },
  );

  it('rejects an unknown name', async () => {
    await expect(useBackend('webgpu' as never)).rejects.toThrow("unknown backend 'webgpu'; choose one of node-gpu, node, wasm, cpu");
  });
});
