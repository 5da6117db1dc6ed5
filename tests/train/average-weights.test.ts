import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { averageWeights, writeAveragedWeights } from '../../src/train/average-weights.js';
import { f32, readSafetensors, writeSafetensors } from '../../src/util/safetensors.js';
import { loadWeights } from '../../src/train/checkpoint.js';
import { Param, init } from '../../src/dsl/params.js';

const dir = mkdtempSync(join(tmpdir(), 'avg-'));
const file = (name: string, a: number[], b: number[], extra: Record<string, ReturnType<typeof f32>> = {}) => {
  const path = join(dir, name);
  writeSafetensors(path, { 'm.w': f32(Float32Array.from(a), [2, 2]), 'm.b': f32(Float32Array.from(b), [2]), ...extra }, { step: '1' });
  return path;
};

describe('averageWeights', () => {
  const p1 = file('1.safetensors', [1, 2, 3, 4], [0, 10], { '__optimizer__.adam.m.m.w': f32(new Float32Array(4).fill(9), [4]) });
  const p2 = file('2.safetensors', [3, 2, 1, 0], [4, -10]);

  it('takes the mean of every parameter and leaves the optimiser state out', () => {
    const avg = averageWeights([p1, p2]);
    expect([...avg.keys()].sort()).toEqual(['m.b', 'm.w']);
    expect([...(avg.get('m.w')!.data as Float32Array)]).toEqual([2, 2, 2, 2]);
    expect([...(avg.get('m.b')!.data as Float32Array)]).toEqual([2, 0]);
    expect(avg.get('m.w')!.shape).toEqual([2, 2]);
  });

  it('weights are normalised: 3:1 gives three quarters of the first', () => {
    const avg = averageWeights([p1, p2], [3, 1]);
    expect([...(avg.get('m.b')!.data as Float32Array)]).toEqual([1, 5]);
  });

  it('one file averages to itself', () => {
    expect([...(averageWeights([p2]).get('m.w')!.data as Float32Array)]).toEqual([3, 2, 1, 0]);
  });

  it('refuses files whose parameters differ, naming the file and the parameter', () => {
    const other = join(dir, 'other.safetensors');
    writeSafetensors(other, { 'm.w': f32(new Float32Array(4), [2, 2]), 'm.c': f32(new Float32Array(2), [2]) });
    expect(() => averageWeights([p1, other])).toThrow(/other\.safetensors: parameters differ .*missing 'm\.b'.*extra 'm\.c'/);
    const reshaped = join(dir, 'reshaped.safetensors');
    writeSafetensors(reshaped, { 'm.w': f32(new Float32Array(4), [4]), 'm.b': f32(new Float32Array(2), [2]) });
    expect(() => averageWeights([p1, reshaped])).toThrow(/'m\.w' has shape \[4\], .* has \[2, 2\]/);
    expect(() => averageWeights([])).toThrow(/no files/);
    expect(() => averageWeights([p1, p2], [1])).toThrow(/1 weights for 2 files/);
    expect(() => averageWeights([p1, p2], [0, 0])).toThrow(/not all zero/);
  });

  it('writes a weights file that loadWeights reads into a model', () => {
    const out = join(dir, 'avg.safetensors');
    writeAveragedWeights(out, [p1, p2]);
    expect(readSafetensors(out).metadata.averaged_from).toBe(`${p1},${p2}`);
    const w = new Param('m.w', [2, 2], init.zeros, 0);
    const b = new Param('m.b', [2], init.zeros, 0);
    loadWeights(out, [w, b]);
    expect([...w.values()]).toEqual([2, 2, 2, 2]);
  });
});
