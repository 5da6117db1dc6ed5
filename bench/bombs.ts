// Peak memory of `oneprompt` on bombs: the report's (issue 16) and the largest inputs the default limits accept
// (all zeros, so a small file inflates to the most the limits allow). Each command runs in its own process; its peak
// RSS is the whole process (node, the decoders, ONNX Runtime). Prints a table; asserts nothing (tests/fuzz/bombs.test.ts
// holds the report's bombs to 1 GiB). Usage: npx tsx bench/bombs.ts [--keep DIR]
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { encodePngRaw } from '../src/app/data/png.js';
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_VOXELS } from '../src/app/data/limits.js';
import { gzipTo, niftiHeader, repeat, runChild } from '../tests/fuzz/bombs.js';

const dir = mkdtempSync(join(tmpdir(), 'oneprompt-bombs-'));
const out = join(dir, 'out');
const MiB = new Uint8Array(2 ** 20);
const side = Math.floor(Math.sqrt(DEFAULT_MAX_PIXELS)); // 5792: the largest square under the pixel limit

writeFileSync(join(dir, 'limit-grey8.png'), encodePngRaw({ width: side, height: side, colorType: 0, bitDepth: 8, scanlines: new Uint8Array(side * side) }));
writeFileSync(
  join(dir, 'limit-rgba16.png'),
  encodePngRaw({ width: side, height: side, colorType: 6, bitDepth: 16, scanlines: new Uint8Array(side * side * 8) }),
);
const [vx, vy] = [512, 512];
const vz = DEFAULT_MAX_VOXELS / (vx * vy); // 256
await gzipTo(join(dir, 'limit-f32.nii.gz'), [niftiHeader([vx, vy, vz], 16), ...repeat(MiB, (vx * vy * vz * 4) / 2 ** 20)]);
await gzipTo(join(dir, 'z.nii.gz'), repeat(MiB, 1024));
await gzipTo(join(dir, 'big.nii.gz'), [niftiHeader([1024, 1024, 512]), ...repeat(MiB, 512)]);
mkdirSync(join(dir, 'p'));
writeFileSync(join(dir, 'p', 'zero.json'), JSON.stringify({ type: 'seglab', mask: '/dev/zero' }));

const H = 'tests/fixtures/hostile';
const model = ['--model', 'compiled/oneprompt-default.onnx'];
const seg = (query: string, ...more: string[]) => [
  'segment',
  ...model,
  '--template',
  'samples/mri/images/axial-066.png',
  '--prompt',
  'samples/mri/prompt.json',
  '--query',
  query,
  '--out',
  out,
  ...more,
];
const size = (f: string): string => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
const cases: [string, string[]][] = [
  [`bomb.png (66 B, declares 16384²) as query`, seg(`${H}/bomb.png`)],
  [
    `bomb.png as template`,
    ['segment', ...model, '--template', `${H}/bomb.png`, '--prompt', 'samples/mri/prompt.json', '--query', 'samples/mri/images/axial-046.png', '--out', out],
  ],
  [`short.png (item 1) as query`, seg(`${H}/short.png`)],
  [`z.nii.gz (${size(join(dir, 'z.nii.gz'))}, 1 GiB of zeros)`, seg(join(dir, 'z.nii.gz'))],
  [`big.nii.gz (${size(join(dir, 'big.nii.gz'))}, valid 1024×1024×512)`, seg(join(dir, 'big.nii.gz'))],
  [
    `/dev/zero as SegLab mask`,
    [
      'segment',
      ...model,
      '--template',
      'samples/mri/images/axial-066.png',
      '--prompt',
      join(dir, 'p', 'zero.json'),
      '--query',
      'samples/mri/images/axial-046.png',
      '--out',
      out,
    ],
  ],
  [`inspect --dims B=100000`, ['inspect', 'compiled/oneprompt-default.onnx', '--dims', 'B=100000']],
  [`at the limit: ${side}² grey PNG (${size(join(dir, 'limit-grey8.png'))}) as query`, seg(join(dir, 'limit-grey8.png'))],
  [
    `at the limit: ${side}² grey PNG as template`,
    [
      'segment',
      ...model,
      '--template',
      join(dir, 'limit-grey8.png'),
      '--prompt',
      'samples/mri/prompt.json',
      '--query',
      'samples/mri/images/axial-046.png',
      '--out',
      out,
    ],
  ],
  [`at the limit: ${side}² 16-bit RGBA PNG (${size(join(dir, 'limit-rgba16.png'))}) as query`, seg(join(dir, 'limit-rgba16.png'))],
  [`at the limit: ${vx}×${vy}×${vz} float32 .nii.gz (${size(join(dir, 'limit-f32.nii.gz'))}) as query, ${vz} slices`, seg(join(dir, 'limit-f32.nii.gz'))],
  [`at the limit: everything --grid 3 on the ${side}² PNG`, ['everything', ...model, '--image', join(dir, 'limit-grey8.png'), '--out', out, '--grid', '3']],
];
console.log('| input | exit | peak RSS | time |\n| --- | --- | --- | --- |');
for (const [what, args] of cases) {
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const r = runChild(args, { timeoutMs: 900_000 });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const err = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('oneprompt:'))
    .join(' ');
  console.log(`| ${what} | ${r.code} | ${(r.maxRssKib / 1024).toFixed(0)} MiB | ${secs} s |${err ? ` ${err.slice(0, 160)}` : ''}`);
}
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
