// issue 16 items 12 and 13: `compile` killed at any moment never leaves a manifest describing other bytes (and the
// next compile removes the killed one's temp files); `compile --weights` checks each tensor's shape, not its count.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { configs } from '../../graphs/oneprompt/config.js';
import { f32, writeSafetensors, type SafeTensor } from '../../src/train/safetensors.js';
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
