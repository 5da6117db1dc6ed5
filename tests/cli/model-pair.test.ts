// The CLI runs the encoder/decoder pair beside a model (`compile --split`) and encodes each image once: `everything`
// one encoding for 64 clicks, an ensemble K + Q encodings for Q × K prompts, a label map each query once for all its
// prompts, a volume each slice once; the masks are the one-file model's. A pair compiled with another NAME.onnx is
// passed over with a warning; half a pair, or halves of two models, are refused with the files named. The pair's runs
// get the one-file model's checks: ONNX Runtime's errors and outputs of the wrong size name the file.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSegmenter } from '../../src/app/inference/load-segmenter.js';
import { onnx, type OnnxTypes } from '../../src/onnx/proto.js';
import { makeNifti } from '../data/fixtures.js';
import { MRI, listFiles, runCli, tempDir } from './run-cli.js';

/** A tiny model (seed 0) compiled twice: with its pair in `pair/`, alone in `one/`. */
async function models(): Promise<{ pair: string; one: string; dir: string }> {
  const dir = tempDir('pair');
  const pair = join(dir, 'pair', 'm.onnx');
  const r = await runCli('compile', '--config', 'tiny', '--split', '--out', pair);
  expect(r.code, r.stderr).toBe(0);
  expect(listFiles(join(dir, 'pair'))).toEqual(['m.decoder.json', 'm.decoder.onnx', 'm.encoder.json', 'm.encoder.onnx', 'm.json', 'm.onnx']);
  const one = join(dir, 'one', 'm.onnx');
  expect((await runCli('compile', '--config', 'tiny', '--out', one)).code).toBe(0);
  return { pair, one, dir };
}

const filesUnder = (dir: string) =>
  Object.fromEntries(
    listFiles(dir)
      .filter((f) => f.endsWith('.png') || f.endsWith('.gz') || f.endsWith('.json'))
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );

describe('the CLI encodes each image once with an encoder/decoder pair', () => {
  let m: Awaited<ReturnType<typeof models>>;
  beforeAll(async () => {
    m = await models();
  }, 60_000);

  it("everything: 64 clicks are one encoding and 64 decodes, with the one-file model's masks", async () => {
    const out = (k: string) => join(m.dir, `everything-${k}`);
    const args = (model: string, k: string) => ['everything', '--model', model, '--image', MRI.template, '--out', out(k), '--threads', '1'];
    const withPair = await runCli(...args(m.pair, 'pair'));
    expect(withPair.code, withPair.stderr).toBe(0);
    expect(withPair.stdout).toContain(
      `model: encoder/decoder pair (${join(m.dir, 'pair', 'm.encoder.onnx')}, ${join(m.dir, 'pair', 'm.decoder.onnx')}): 1 image encoded, 64 prompts decoded`,
    );
    const oneFile = await runCli(...args(m.one, 'one'));
    expect(oneFile.stdout).toContain('model: one-file model');
    expect(oneFile.stdout).toContain('64 forwards');
    expect(filesUnder(out('pair'))).toEqual(filesUnder(out('one')));
  });

  it('segment: an ensemble of 3 templates on 5 queries is 8 encodings for 15 decodes; a label map encodes each query once', async () => {
    const templates = join(m.dir, 'templates.json');
    writeFileSync(
      templates,
      JSON.stringify(
        [36, 46, 56].map((n) => ({ image: `${process.cwd()}/samples/mri/images/axial-0${n}.png`, prompt: { type: 'click', points: [{ x: 60, y: 45 }] } })),
      ),
    );
    const args = (model: string, out: string) => [
      'segment',
      '--model',
      model,
      '--templates',
      templates,
      '--ensemble',
      '3',
      '--query',
      ...MRI.queries,
      '--out',
      out,
      '--threads',
      '1',
      '--batch',
      '4',
    ];
    const pair = await runCli(...args(m.pair, join(m.dir, 'ens-pair')));
    expect(pair.code, pair.stderr).toBe(0);
    expect(pair.stdout).toMatch(/model: encoder\/decoder pair .*: 8 images encoded, 15 prompts decoded/);
    expect((await runCli(...args(m.one, join(m.dir, 'ens-one')))).code).toBe(0);
    expect(filesUnder(join(m.dir, 'ens-pair'))).toEqual(filesUnder(join(m.dir, 'ens-one')));

    const labels = (model: string, out: string) => [
      'segment',
      '--model',
      model,
      '--template',
      MRI.template,
      '--prompt',
      `${MRI.prompt}:1`,
      '--prompt',
      `${join(m.dir, 'click.json')}:2`,
      '--query',
      ...MRI.queries,
      '--out',
      out,
      '--threads',
      '1',
    ];
    writeFileSync(join(m.dir, 'click.json'), JSON.stringify({ type: 'click', points: [{ x: 30, y: 40 }] }));
    const two = await runCli(...labels(m.pair, join(m.dir, 'labels-pair')));
    expect(two.code, two.stderr).toBe(0);
    // One template image (both labels' prompts are on it) and 5 queries, each encoded once for both prompts.
    expect(two.stdout).toMatch(/: 6 images encoded, 10 prompts decoded/);
    expect((await runCli(...labels(m.one, join(m.dir, 'labels-one')))).code).toBe(0);
    expect(filesUnder(join(m.dir, 'labels-pair'))).toEqual(filesUnder(join(m.dir, 'labels-one')));
  });

  it("segment: a volume's slices are encoded once each, and the label volume is the one-file model's", async () => {
    const [W, H, D] = [24, 20, 6];
    const vol = join(m.dir, 'vol.nii');
    writeFileSync(vol, makeNifti({ dims: [3, W, H, D], datatype: 16, bitpix: 32, values: Array.from({ length: W * H * D }, (_, i) => (i * 37) % 251) }));
    writeFileSync(join(m.dir, 'p.json'), JSON.stringify({ type: 'click', points: [{ x: 1, y: 1 }] }));
    const args = (model: string, out: string) => [
      'segment',
      '--model',
      model,
      '--template',
      `${vol}#axial=2`,
      '--prompt',
      join(m.dir, 'p.json'),
      '--query',
      vol,
      '--out',
      out,
      '--threads',
      '1',
    ];
    const r = await runCli(...args(m.pair, join(m.dir, 'vol-pair')));
    expect(r.code, r.stderr).toBe(0);
    // One template slice and every query slice, each encoded once; one decode per query slice.
    const [, encoded, decoded] = (/: (\d+) images encoded, (\d+) prompts decoded/.exec(r.stdout) ?? []).map(Number);
    expect(decoded).toBeGreaterThan(1);
    expect(encoded).toBe(decoded + 1);
    expect((await runCli(...args(m.one, join(m.dir, 'vol-one')))).code).toBe(0);
    expect(filesUnder(join(m.dir, 'vol-pair'))).toEqual(filesUnder(join(m.dir, 'vol-one')));
  });

  it('a pair compiled with another NAME.onnx is passed over with a warning; --model NAME.encoder.onnx insists on the pair', async () => {
    const dir = tempDir('stale');
    const model = join(dir, 'm.onnx');
    expect((await runCli('compile', '--config', 'tiny', '--split', '--out', model)).code).toBe(0);
    // Recompiled (another seed) without --split: the pair beside it is another model's.
    expect((await runCli('compile', '--config', 'tiny', '--seed', '7', '--out', model)).code).toBe(0);
    const warnings: string[] = [];
    const s = await loadSegmenter(model, { threads: 1, warn: (l) => warnings.push(l) });
    await s.release();
    expect(s.kind).toBe('one-file');
    expect(warnings).toEqual([
      `warning: ${join(dir, 'm.encoder.onnx')} and ${join(dir, 'm.decoder.onnx')} were compiled with another ${model} (recompile it with --split): using ${model}`,
    ]);
    await expect(loadSegmenter(join(dir, 'm.encoder.onnx'))).rejects.toThrow(`were compiled with another ${model}`);
    await expect(loadSegmenter(model, { use: 'pair' })).rejects.toThrow('recompile it with --split');

    // The pair alone (no NAME.onnx) is used as it is; half a pair is refused by name.
    expect((await runCli('compile', '--config', 'tiny', '--split', '--out', model)).code).toBe(0);
    rmSync(model);
    const alone = await loadSegmenter(model, { threads: 1 });
    await alone.release();
    expect([alone.kind, alone.files]).toEqual(['pair', [join(dir, 'm.encoder.onnx'), join(dir, 'm.decoder.onnx')]]);
    rmSync(join(dir, 'm.decoder.onnx'));
    await expect(loadSegmenter(model)).rejects.toThrow(
      `no such model file '${model}' (${join(dir, 'm.encoder.onnx')} has no ${join(dir, 'm.decoder.onnx')} beside it)`,
    );
  });

  it('refuses two halves of different models, naming both files', async () => {
    const dir = tempDir('misfit');
    const model = join(dir, 'm.onnx');
    expect((await runCli('compile', '--config', 'tiny', '--split', '--out', model)).code).toBe(0);
    // small's decoder next to tiny's encoder.
    expect((await runCli('compile', '--config', 'small', '--split', '--out', join(dir, 's.onnx'))).code).toBe(0);
    copyFileSync(join(dir, 's.decoder.onnx'), join(dir, 'm.decoder.onnx'));
    rmSync(model);
    await expect(loadSegmenter(model, { threads: 1 })).rejects.toThrow(/m\.encoder\.onnx and .*m\.decoder\.onnx were compiled from different models/);
  });
});

describe("the pair's runs are checked as the one-file model's (issue 16)", () => {
  /** A tiny model compiled with its pair into a fresh folder; `edit` rewrites the decoder (its pair link kept). */
  async function pairWithDecoder(label: string, edit?: (m: OnnxTypes.ModelProto) => void): Promise<{ model: string; decoder: string; out: string }> {
    const dir = tempDir(label);
    const model = join(dir, 'm.onnx');
    expect((await runCli('compile', '--config', 'tiny', '--split', '--out', model)).code).toBe(0);
    const decoder = join(dir, 'm.decoder.onnx');
    if (edit) {
      const m = onnx.ModelProto.decode(readFileSync(decoder));
      edit(m);
      writeFileSync(decoder, onnx.ModelProto.encode(m).finish());
    }
    return { model, decoder, out: join(dir, 'out') };
  }
  const segment = (model: string, out: string) =>
    runCli('segment', '--model', model, '--template', MRI.template, '--prompt', MRI.prompt, '--query', MRI.queries[0], '--out', out, '--threads', '1');

  it("ONNX Runtime's error names the decoder, and nothing is written", async () => {
    // The decoder's prompt inputs fixed at batch 2: a batch of 1 is refused by ONNX Runtime.
    const { model, decoder, out } = await pairWithDecoder('pair-ort', (m) => {
      for (const i of m.graph!.input!) if (i.name!.startsWith('prompt_')) i.type!.tensorType!.shape!.dim![0] = { dimValue: 2 } as never;
    });
    const r = await segment(model, out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^oneprompt: ${decoder}: ONNX Runtime could not run the model on a batch of 1: .*(dimension|Expected).*\\n$`));
    expect(existsSync(out)).toBe(false);
  });

  it('a decoder output of another size than the contract declares is refused, naming the file', async () => {
    // mask_logits max-pooled to half the side (and declared so): ONNX Runtime runs it, the CLI must not use it.
    const { model, decoder, out } = await pairWithDecoder('pair-shape', (m) => {
      const g = m.graph!;
      for (const n of g.node!) n.output = n.output!.map((o: string) => (o === 'mask_logits' ? 'mask_logits_full' : o));
      g.node!.push({
        opType: 'MaxPool',
        input: ['mask_logits_full'],
        output: ['mask_logits'],
        attribute: [
          { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
          { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
        ],
      } as never);
      const dims = g.output!.find((o: OnnxTypes.IValueInfoProto) => o.name === 'mask_logits')!.type!.tensorType!.shape!.dim!;
      dims[2] = { dimValue: 32 } as never;
      dims[3] = { dimValue: 32 } as never;
    });
    const r = await segment(model, out);
    expect(r.stderr).toBe(`oneprompt: ${decoder}: mask_logits has shape [1, 1, 32, 32], expected [1, 1, 64, 64] (the model's declared output)\n`);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('a half that is a folder or a FIFO is refused by name, without hanging', async () => {
    const { model, decoder, out } = await pairWithDecoder('pair-fifo');
    rmSync(decoder);
    execFileSync('mkfifo', [decoder]);
    const fifo = await segment(model, out);
    expect(fifo.stderr).toBe(`oneprompt: model ${decoder}: is a named pipe (FIFO), not a regular file; refusing to read it (it could block forever)\n`);
    rmSync(decoder);
    mkdirSync(decoder);
    const folder = await segment(model, out);
    expect(folder.stderr).toBe(`oneprompt: model ${decoder}: is a folder, expected a file\n`);
    expect(existsSync(out)).toBe(false);
  });
});
