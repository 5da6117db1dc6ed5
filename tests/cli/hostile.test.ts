// issue 16: the reproductions of the hostile-input report, through the command line. Each gives a clear error naming
// the file (exit code 1) or a correct result (exit 0), and writes nothing when it fails. Memory caps of the bombs are
// in tests/fuzz/bombs.test.ts; output folders in outputs.test.ts; serve in tests/serve/hostile.test.ts; training run
// folders in tests/train/run-folder.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { onnx } from '../../src/onnx/proto.js';
import { readDataset } from '../../src/app/data/dataset.js';
import { formatDataError } from '../../src/app/data/errors.js';
import { readDicomSeries, readImage } from '../../src/app/data/load.js';
import { parseJson } from '../../src/util/json.js';
import { parsePromptSpec } from '../../src/app/data/prompt.js';
import { makeDicom } from '../data/fixtures.js';
import { MRI, TINY_MODEL, listFiles, readPng, runCli, tempDir } from './run-cli.js';

const H = 'tests/fixtures/hostile';
const seg = (...args: string[]) => ['segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', MRI.prompt, '--threads', '1', ...args];
const message = (r: E.Either<Parameters<typeof formatDataError>[0], unknown>): string => (E.isLeft(r) ? formatDataError(r.left) : 'no error');

describe('hostile inputs on the command line (issue 16)', () => {
  it('1: a PNG with less image data than its header declares is an error every time, never heap bytes', async () => {
    for (let i = 0; i < 5; i++) {
      const out = join(tempDir('short'), 'o');
      const r = await runCli(...seg('--query', `${H}/short.png`, '--out', out));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`oneprompt: ${H}/short.png: truncated PNG data: the image data inflates to 11997 bytes, but the 128×94 header declares 12126\n`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('2, 3: bombs are refused by the limits, which say what they are', async () => {
    const out = join(tempDir('bombs'), 'o');
    const png = await runCli(...seg('--query', `${H}/bomb.png`, '--out', out));
    expect(png.code).toBe(1);
    expect(png.stderr).toContain(
      'bomb.png (offset 16): image size 16384×16384 (268435456 pixels) exceeds the pixel limit: the limit is 33.6 M pixels (33554432); raise it with --max-pixels',
    );
    // Raising the limit does not make the 66-byte file hold 256 M pixels.
    const raised = await runCli(...seg('--query', `${H}/bomb.png`, '--out', out, '--max-pixels', '300000000'));
    expect(raised.stderr).toMatch(
      /bomb\.png: truncated PNG data: the 16384×16384 header declares 268451840 bytes of scanlines, but its \d+ bytes of compressed data can inflate to at most \d+/,
    );
    const under = await runCli(...seg('--query', `${H}/bomb-under-limit.png`, '--out', out));
    expect(under.stderr).toContain('can inflate to at most');
    const zeros = await runCli(...seg('--query', `${H}/zeros.nii.gz`, '--out', out));
    expect(zeros.stderr).toBe(`oneprompt: ${H}/zeros.nii.gz (offset 0): not a NIfTI file: sizeof_hdr is 0 (expected 348 for NIfTI-1 or 540 for NIfTI-2)\n`);
    const volume = await runCli(...seg('--query', `${H}/big-volume.nii.gz`, '--out', out));
    expect(volume.stderr).toContain(
      'big-volume.nii.gz (offset 42): volume 1024×1024×512 (536870912 voxels) exceeds the voxel limit: the limit is 67.1 M voxels (67108864); raise it with --max-voxels',
    );
    const truncated = await runCli(...seg('--query', `${H}/big-volume.nii.gz`, '--out', out, '--max-voxels', '600000000'));
    expect(truncated.stderr).toMatch(/big-volume\.nii\.gz \(offset 352\): truncated voxel data: .* \(\d+ bytes of gzip data cannot hold more than \d+\)/);
    for (const r of [png, raised, under, zeros, volume, truncated]) expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('4: devices, FIFOs and folders are refused by name, never read', async () => {
    const dir = tempDir('fifo');
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(join(dir, 'fifo-mask.json'), JSON.stringify({ type: 'seglab', mask: 'pipe.png' }));
    const out = join(dir, 'o');
    const cases: [string[], string][] = [
      [
        ['segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', `${H}/devzero.json`, '--query', MRI.queries[0], '--out', out],
        'devzero.json (mask): SegLab mask /dev/zero: is a character device, not a regular file; refusing to read it',
      ],
      [
        ['segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', join(dir, 'fifo-mask.json'), '--query', MRI.queries[0], '--out', out],
        'SegLab mask pipe.png: is a named pipe (FIFO), not a regular file',
      ],
      [seg('--query', fifo, '--out', out), `${fifo}: is a named pipe (FIFO), not a regular file; refusing to read it (it could block forever)`],
      [
        ['segment', '--model', TINY_MODEL, '--template', fifo, '--prompt', MRI.prompt, '--query', MRI.queries[0], '--out', out],
        `${fifo}: is a named pipe (FIFO)`,
      ],
      [
        ['segment', '--model', TINY_MODEL, '--template', MRI.template, '--prompt', fifo, '--query', MRI.queries[0], '--out', out],
        `${fifo}: is a named pipe (FIFO)`,
      ],
      [seg('--query', '/dev/zero', '--out', out), '/dev/zero: is a character device'],
      [['segment', '--model', TINY_MODEL, '--templates', fifo, '--query', MRI.queries[0], '--out', out], `${fifo}: is a named pipe (FIFO)`],
    ];
    for (const [args, text] of cases) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(text);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('6: NaN and ±Inf voxels are replaced and counted; the slices segment as if they were not there', async () => {
    const out = join(tempDir('nan'), 'o');
    const r = await runCli(...seg('--query', `${H}/nan-inf.nii`, '--out', out));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${H}/nan-inf.nii: 3 of 48 values are NaN or ±Inf; read NaN as 0 and ±Inf as the largest/smallest finite value`);
    expect(r.stderr.match(/NaN or ±Inf/g)).toHaveLength(1); // once per file, not per slice
    const v = E.getOrElseW(() => undefined)(readImage(`${H}/nan-inf.nii`, { slice: 1 }))!;
    expect(v.data.every(Number.isFinite)).toBe(true);
    expect(Math.max(...v.data)).toBe(16); // +Inf → the largest finite value
    expect(listFiles(out)).toEqual(['labels.json', 'segment.json', 'volumes/nan-inf.nii.gz']);
  });

  it('9, 17: inspect refuses a run over its memory budget, and names broken and odd files', async () => {
    const big = await runCli('inspect', TINY_MODEL, '--dims', 'B=100000');
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(
      /inspect: counting FLOPs runs compiled\/oneprompt-tiny\.onnx once at B=100000, which needs about [\d.]+ GiB .* over the 2\.0 GiB budget: use smaller --dims, --no-flops to skip the run, or --force/,
    );
    expect((await runCli('inspect', TINY_MODEL, '--dims', 'B=100000', '--no-flops')).code).toBe(0);
    const dir = tempDir('inspect');
    writeFileSync(
      join(dir, 'broken.onnx'),
      Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff),
    );
    const broken = await runCli('inspect', join(dir, 'broken.onnx'));
    expect(broken.stderr).toMatch(new RegExp(`inspect: ${join(dir, 'broken.onnx')}: not a readable ONNX model \\(.+\\)`));
    expect((await runCli('inspect', dir)).stderr).toBe(`oneprompt: inspect: ${dir}: is a folder, expected a file\n`);
    expect((await runCli('inspect', join(dir, 'none.onnx'))).stderr).toBe(`oneprompt: inspect: ${join(dir, 'none.onnx')}: file not found\n`);
  });

  it('15: a JPEG with 5 KB after its end marker is read', async () => {
    const img = E.getOrElseW((e) => {
      throw new Error(formatDataError(e as never));
    })(readImage(`${H}/trailing.jpg`));
    expect([img.width, img.height]).toEqual([32, 24]);
  });

  it('16: prompt JSON: __proto__ is an unknown key, 1e999 out of range, a BOM is fine, invisible characters named', () => {
    const proto = parsePromptSpec(readFileSync(`${H}/proto.json`, 'utf8'), 'proto.json');
    expect(message(proto)).toBe('proto.json: unexpected key "__proto__" in a bbox prompt (expected "type", "box")');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(message(parsePromptSpec(readFileSync(`${H}/huge-number.json`, 'utf8'), 'n.json'))).toBe(
      'n.json (line 1, column 26, offset 25): malformed JSON: the number 1e999 is too large (beyond ±1.8e308)',
    );
    expect(E.isRight(parsePromptSpec(readFileSync(`${H}/bom.json`, 'utf8'), 'bom.json'))).toBe(true);
    const zw = parseJson('{"type":\u200b"bbox"}');
    expect(E.isLeft(zw) && zw.left.message).toBe('expected a value, found the invisible character U+200B');
  });

  it('16: the BOM read from a file, through the CLI', async () => {
    const out = join(tempDir('bom'), 'o');
    const r = await runCli(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      `${H}/bom.json`,
      '--query',
      MRI.queries[0],
      '--out',
      out,
      '--threads',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it("17: errors name the file: a folder as --model, a broken model, ONNX Runtime's shape errors, NIfTI-2", async () => {
    const dir = tempDir('names');
    const out = join(dir, 'o');
    const folder = await runCli('segment', '--model', 'compiled', '--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[0], '--out', out);
    expect(folder.stderr).toBe('oneprompt: model compiled: is a folder, expected a file\n');
    // A model whose query input is fixed at batch 2: ONNX Runtime refuses a batch of 1, and the error says which model.
    const m = onnx.ModelProto.decode(readFileSync(TINY_MODEL));
    for (const i of m.graph!.input!) if (i.type?.tensorType?.shape?.dim?.[0]?.dimParam === 'B') i.type.tensorType.shape.dim[0] = { dimValue: 2 } as never;
    const fixed = join(dir, 'batch2.onnx');
    writeFileSync(fixed, onnx.ModelProto.encode(m).finish());
    const ort = await runCli('segment', '--model', fixed, '--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[0], '--out', out);
    expect(ort.code).toBe(1);
    expect(ort.stderr).toMatch(new RegExp(`^oneprompt: ${fixed}: ONNX Runtime could not run the model on a batch of 1: .*(dimension|Expected).*\\n$`));
    // A NIfTI-2 header of zeros is held to the same rules as NIfTI-1 (field and offset named).
    const n2 = await runCli(...seg('--query', `${H}/nifti2.nii`, '--out', out));
    expect(n2.stderr).toBe(`oneprompt: ${H}/nifti2.nii (offset 16): NIfTI-2 dim[0] = 0 must be between 1 and 7\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('17: a dangling symbolic link in a DICOM folder or a dataset is named, with its target', () => {
    const dir = tempDir('links');
    const series = join(dir, 'series');
    mkdirSync(series);
    writeFileSync(join(series, 'a.dcm'), makeDicom({ rows: 2, cols: 2, pixels: [1, 2, 3, 4] }));
    symlinkSync(join(dir, 'gone.dcm'), join(series, 'b.dcm'));
    expect(message(readDicomSeries(series))).toBe(
      `${join(series, 'b.dcm')}: is a symbolic link to ${join(dir, 'gone.dcm')}, which does not exist (a dangling link)`,
    );
    const ds = join(dir, 'ds');
    mkdirSync(join(ds, 't', 'images'), { recursive: true });
    mkdirSync(join(ds, 't', 'masks'));
    symlinkSync('/nowhere.png', join(ds, 't', 'images', 'x.png'));
    expect(message(readDataset(ds))).toBe(`${join(ds, 't', 'images', 'x.png')}: is a symbolic link to /nowhere.png, which does not exist (a dangling link)`);
    symlinkSync('/nowhere', join(ds, 'u'));
    expect(message(readDataset(ds))).toContain(`${join(ds, 'u')}: is a symbolic link to /nowhere`);
  });

  it('17: a 5 MB mask name is clipped in the message, its length said', async () => {
    const dir = tempDir('longname');
    const name = 'm'.repeat(5 * 2 ** 20) + '.png';
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ type: 'seglab', mask: name }));
    const r = await runCli(
      'segment',
      '--model',
      TINY_MODEL,
      '--template',
      MRI.template,
      '--prompt',
      join(dir, 'p.json'),
      '--query',
      MRI.queries[0],
      '--out',
      join(dir, 'o'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(r.stderr).toContain(`(a name of ${name.length} characters)`);
  });

  it('17: a read-only or full disk is reported as such, naming the file, and leaves nothing', async () => {
    const dir = tempDir('disks');
    const ro = join(dir, 'ro');
    const small = join(dir, 'small');
    mkdirSync(ro);
    mkdirSync(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { stdio: 'ignore' });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      console.warn('skipped: mounting a tmpfs needs root (mount)');
      return;
    }
    try {
      const r = await runCli(...seg('--query', ...MRI.queries, '--out', join(ro, 'o')));
      expect(r.stderr).toBe(`oneprompt: cannot write ${join(ro, 'o')}: the file system is read-only (EROFS)\n`);
      const full = await runCli(...seg('--query', ...MRI.queries, '--out', join(small, 'o')));
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(
        new RegExp(`\noneprompt: cannot write ${join(small, 'o')}/(masks|overlays)/axial-\\d+\\.png: no space left on the device \\(ENOSPC\\)\\n$`),
      );
      expect(execFileSync('ls', ['-A', small]).toString()).toBe('');
    } finally {
      execFileSync('umount', [ro]);
      execFileSync('umount', [small]);
    }
  });

  it('18: everything --grid has an upper bound', async () => {
    const r = await runCli('everything', '--model', TINY_MODEL, '--image', MRI.template, '--out', join(tempDir('grid'), 'o'), '--grid', '1000');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("argument '1000' is invalid. expected at most 64");
  });

  it('overlays stay readable PNGs (the encoder path the staging uses)', async () => {
    const out = join(tempDir('png'), 'o');
    expect((await runCli(...seg('--query', MRI.queries[0], '--out', out))).code).toBe(0);
    expect(readPng(join(out, 'overlays', 'axial-036.png')).colorType).toBe(2);
  });
});

describe('a DICOM series is a volume (issue 16)', () => {
  it('is held to the voxel limit as a whole', async () => {
    const { setLoadLimits } = await import('../../src/app/data/limits.js');
    const series = join(tempDir('series-limit'), 's');
    mkdirSync(series);
    for (let i = 0; i < 4; i++) writeFileSync(join(series, `${i}.dcm`), makeDicom({ rows: 4, cols: 4, pixels: Array.from({ length: 16 }, (_, k) => k + i) }));
    const before = setLoadLimits({ maxVoxels: 40 });
    try {
      expect(message(readDicomSeries(series))).toBe(
        `${series}: the series holds more than 40 voxels (at 2.dcm): the limit is 40 voxels (40); raise it with --max-voxels if the volume is real`,
      );
    } finally {
      setLoadLimits(before);
    }
    expect(E.isRight(readDicomSeries(series))).toBe(true);
  });
});
