// issue 16 items 12 and 13: `compile` killed at any moment never leaves a manifest describing other bytes (and the
// next compile removes the killed one's temp files), with --split too (six files); `compile --weights` checks each
// tensor's shape, not its count, from a safetensors file or a compiled .onnx.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { onnx } from '../../src/onnx/proto.js';
import { f32, writeSafetensors, type SafeTensor } from '../../src/util/safetensors.js';
import { runCli, tempDir } from './run-cli.js';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('compile under kills and bad weights (issue 16)', () => {
  it('killed before, between or after its two renames: the manifest, when there is one, matches the model', () => {
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const script = join(import.meta.dirname, 'compile-kill.ts');
    for (const k of [0, 1, 2]) {
      const dir = tempDir(`compile-kill-${k}`);
      const out = join(dir, 'm.onnx');
      execFileSync(tsx, [script, out, '0', '99']);
      const killed = spawnSync(tsx, [script, out, '1', String(k)]);
      expect((killed.signal ?? killed.status) === 0, `k=${k}: finished`).toBe(k >= 2); // tsx reports the child's SIGKILL as exit 137
      const manifest = join(dir, 'm.json');
      if (existsSync(manifest)) expect((JSON.parse(readFileSync(manifest, 'utf8')) as { sha256: string }).sha256, `k=${k}`).toBe(sha(out));
      else expect(k, 'only a kill between removing the old manifest and renaming the new one leaves none').toBeLessThan(2);
      // The next compile cleans up the killed one's temp files.
      execFileSync(tsx, [script, out, '2', '99']);
      expect(readdirSync(dir).sort()).toEqual(['m.json', 'm.onnx']);
      expect((JSON.parse(readFileSync(manifest, 'utf8')) as { sha256: string }).sha256).toBe(sha(out));
    }
  }, 300_000);

  it('--split killed at each of its six renames: every manifest there matches its model, and the CLI never runs a pair of another NAME.onnx', async () => {
    const { modelFiles } = await import('../../src/app/inference/model-files.js');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const script = join(import.meta.dirname, 'compile-kill.ts');
    const all = ['m.decoder.json', 'm.decoder.onnx', 'm.encoder.json', 'm.encoder.onnx', 'm.json', 'm.onnx'];
    for (const k of [0, 1, 2, 3, 4, 5, 6]) {
      const dir = tempDir(`split-kill-${k}`);
      const out = join(dir, 'm.onnx');
      execFileSync(tsx, [script, out, '0', '99', 'split']);
      const killed = spawnSync(tsx, [script, out, '1', String(k), 'split']);
      expect((killed.signal ?? killed.status) === 0, `k=${k}: finished`).toBe(k >= 6);
      const manifests = readdirSync(dir).filter((f) => f.endsWith('.json'));
      // The old manifests go first and the new ones come after all three models: none, or only new ones.
      expect(manifests.length === 0 || k >= 3, `k=${k}: ${manifests.join(', ')}`).toBe(true);
      for (const f of manifests) {
        const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { sha256: string; pair?: { of: { sha256: string } } };
        expect(m.sha256, `k=${k}: ${f}`).toBe(sha(join(dir, f.replace(/\.json$/, '.onnx'))));
        if (m.pair) expect(m.pair.of.sha256, `k=${k}: ${f} names m.onnx's sha256`).toBe(sha(out));
      }
      // Half-renamed, the halves of the old pair are another m.onnx's: passed over for m.onnx with a note.
      const found = modelFiles(out);
      if (found.pair) expect(found.pair.encoder.summary.metadata['oneprompt.pair_of'], `k=${k}`).toBe(sha(out));
      else expect(found.note, `k=${k}`).toMatch(/compiled (with another|from different models)/);
      execFileSync(tsx, [script, out, '2', '99', 'split']);
      expect(readdirSync(dir).sort()).toEqual(all);
      expect(modelFiles(out).pair, `k=${k}: the next compile's pair is used`).toBeDefined();
    }
  }, 600_000);

  it('--weights from a compiled .onnx is checked as a safetensors file is: a transposed or float16 tensor, or a FIFO, is refused by name', async () => {
    const dir = tempDir('onnx-weights');
    const source = join(dir, 'src.onnx');
    expect((await runCli('compile', '--config', 'tiny', '--seed', '3', '--out', source)).code).toBe(0);
    const params = buildOnePrompt(configs.tiny, 0).graph.params;
    const victim = params.find((p) => p.shape.length === 2 && p.shape[0] !== p.shape[1])!;
    const m = onnx.ModelProto.decode(readFileSync(source));
    const t = m.graph!.initializer!.find((i) => i.name === victim.name)!;
    t.dims = [victim.shape[1], victim.shape[0]];
    const transposed = join(dir, 'transposed.onnx');
    writeFileSync(transposed, onnx.ModelProto.encode(m).finish());
    const r = await runCli('compile', '--config', 'tiny', '--weights', transposed, '--split', '--out', join(dir, 'm.onnx'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${transposed}: '${victim.name}' has shape [${victim.shape[1]}, ${victim.shape[0]}], the model declares [${victim.shape.join(', ')}]`,
    );
    expect(readdirSync(dir).sort()).toEqual(['src.json', 'src.onnx', 'transposed.onnx']);
    const half = await runCli('compile', '--config', 'tiny', '--dtype', 'float16', '--out', join(dir, 'half.onnx'));
    expect(half.code).toBe(0);
    const h = await runCli('compile', '--config', 'tiny', '--weights', join(dir, 'half.onnx'), '--out', join(dir, 'm.onnx'));
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/half\.onnx: '.+' is not float32/);
    // A model of another configuration is refused by the names it lacks or the shapes it has.
    expect((await runCli('compile', '--config', 'small', '--out', join(dir, 'small.onnx'))).code).toBe(0);
    const other = await runCli('compile', '--config', 'tiny', '--weights', join(dir, 'small.onnx'), '--out', join(dir, 'm.onnx'));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(join(dir, 'small.onnx'));
    expect(existsSync(join(dir, 'm.onnx'))).toBe(false);
    // Only a regular file is read: a FIFO is refused by name instead of blocking.
    const fifo = join(dir, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    const piped = await runCli('compile', '--config', 'tiny', '--weights', fifo, '--out', join(dir, 'm.onnx'));
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain(`${fifo}: is a named pipe (FIFO)`);
    // The untouched file re-emits the same weights, with the pair beside it.
    const ok = await runCli('compile', '--config', 'tiny', '--weights', source, '--split', '--out', join(dir, 'm.onnx'));
    expect(ok.code, ok.stderr).toBe(0);
    const weightsOf = (f: string) =>
      new Map((onnx.ModelProto.decode(readFileSync(f)).graph!.initializer ?? []).map((i) => [i.name!, Buffer.from(i.rawData ?? [])]));
    const [a, b] = [weightsOf(source), weightsOf(join(dir, 'm.onnx'))];
    for (const p of params) expect(b.get(p.name)?.equals(a.get(p.name)!), p.name).toBe(true);
  });

  it('--weights with a tensor of the right count but the wrong shape is refused, naming it', async () => {
    const dir = tempDir('weights');
    const params = buildOnePrompt(configs.tiny, 0).graph.params;
    const victim = params.find((p) => p.shape.length === 2 && p.shape[0] !== p.shape[1])!;
    const tensors = new Map<string, SafeTensor>(params.map((p) => [p.name, f32(p.values(), p === victim ? [p.shape[1], p.shape[0]] : [...p.shape])]));
    const file = join(dir, 'w.safetensors');
    writeSafetensors(file, tensors);
    const r = await runCli('compile', '--config', 'tiny', '--weights', file, '--out', join(dir, 'm.onnx'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: '${victim.name}' has shape [${victim.shape[1]}, ${victim.shape[0]}], the model declares [${victim.shape.join(', ')}]`);
    expect(existsSync(join(dir, 'm.onnx'))).toBe(false);
    // The same file with the right shapes compiles.
    tensors.set(victim.name, f32(victim.values(), [...victim.shape]));
    writeSafetensors(file, tensors);
    expect((await runCli('compile', '--config', 'tiny', '--weights', file, '--out', join(dir, 'm.onnx'))).code).toBe(0);
  });
});
