// issue 16: every bomb of the report stays under 1 GiB of memory (peak RSS of the whole `oneprompt` process, node and
// ONNX Runtime included) and ends in a clear error with exit code 1. The bombs too big for the repository are made
// here, streamed to disk. Bombs at the limits (the largest images and volumes accepted) are measured by
// bench/bombs.ts, which takes minutes; docs/limits.md has its numbers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gzipTo, niftiHeader, REPO, repeat, runChild } from './bombs.js';
import { tempDir } from '../cli/run-cli.js';

const GiB_IN_KIB = 2 ** 20;
const H = join(REPO, 'tests', 'fixtures', 'hostile');
let dir: string;
const seg = (query: string, ...more: string[]) => [
  'segment',
  '--model',
  'compiled/oneprompt-tiny.onnx',
  '--template',
  'samples/mri/images/axial-066.png',
  '--prompt',
  'samples/mri/prompt.json',
  '--query',
  query,
  '--out',
  join(dir, 'out'),
  '--threads',
  '1',
  ...more,
];

beforeAll(async () => {
  dir = tempDir('bombs');
  const MiB = new Uint8Array(2 ** 20);
  // The report's 1 MB .nii.gz: 1 GiB of zeros.
  await gzipTo(join(dir, 'z.nii.gz'), repeat(MiB, 1024));
  // A valid 1024×1024×512 all-zero volume (522 KB gzipped).
  await gzipTo(join(dir, 'big.nii.gz'), [niftiHeader([1024, 1024, 512]), ...repeat(MiB, 512)]);
  mkdirSync(join(dir, 'p'));
  writeFileSync(join(dir, 'p', 'zero.json'), JSON.stringify({ type: 'seglab', mask: '/dev/zero' }));
}, 300_000);

describe('bombs under 1 GiB (issue 16)', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a 66-byte PNG declaring 16384² as a query', () => seg(join(H, 'bomb.png')), /exceeds the pixel limit/],
    [
      'the same PNG as a template',
      () => [
        'segment',
        '--model',
        'compiled/oneprompt-tiny.onnx',
        '--template',
        join(H, 'bomb.png'),
        '--prompt',
        'samples/mri/prompt.json',
        '--query',
        'samples/mri/images/axial-046.png',
        '--out',
        join(dir, 'out'),
      ],
      /exceeds the pixel limit/,
    ],
    ['that PNG with the pixel limit raised past it', () => seg(join(H, 'bomb.png'), '--max-pixels', '300000000'), /can inflate to at most/],
    ['1 GiB of zeros as .nii.gz', () => seg(join(dir, 'z.nii.gz')), /not a NIfTI file: sizeof_hdr is 0/],
    ['a valid all-zero 1024×1024×512 volume', () => seg(join(dir, 'big.nii.gz')), /exceeds the voxel limit/],
    [
      '/dev/zero as a SegLab mask',
      () => [
        'segment',
        '--model',
        'compiled/oneprompt-tiny.onnx',
        '--template',
        'samples/mri/images/axial-066.png',
        '--prompt',
        join(dir, 'p', 'zero.json'),
        '--query',
        'samples/mri/images/axial-046.png',
        '--out',
        join(dir, 'out'),
      ],
      /is a character device/,
    ],
    [
      'everything on the PNG bomb',
      () => ['everything', '--model', 'compiled/oneprompt-tiny.onnx', '--image', join(H, 'bomb.png'), '--out', join(dir, 'out')],
      /exceeds the pixel limit/,
    ],
    ['inspect --dims B=100000', () => ['inspect', 'compiled/oneprompt-tiny.onnx', '--dims', 'B=100000'], /over the 2\.0 GiB budget/],
  ];
  for (const [what, args, error] of cases) {
    it(what, () => {
      const r = runChild(args());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(error);
      expect(r.maxRssKib, `${what}: peak ${(r.maxRssKib / 1024).toFixed(0)} MiB`).toBeLessThan(GiB_IN_KIB);
      console.log(`${what}: exit ${r.code}, peak RSS ${(r.maxRssKib / 1024).toFixed(0)} MiB`);
    });
  }
});
