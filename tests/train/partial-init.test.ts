// `train --init FILE --init-partial / --init-exclude`: start a variant from another model's weights where names and
// shapes match (a different Prompt-Parser, a module the file lacks), the rest seeded; from safetensors or ONNX.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { configs, withVariant } from '../../graphs/oneprompt/config.js';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { writeSafetensors } from '../../src/util/safetensors.js';
import { loadPartialWeights } from '../../src/train/init-weights.js';
import { runTrainingJob } from '../../src/train/run.js';
import '../../src/app/train/tasks.js'; // the One-Prompt configurations' training tasks

const dir = mkdtempSync(join(tmpdir(), 'partial-init-'));
// A "trained" tiny: its seed-7 weights, saved as a weights file and as a compiled model.
const source = buildOnePrompt(configs.tiny, 7);
const file = join(dir, 'tiny.safetensors');
writeSafetensors(file, new Map(source.graph.params.map((p) => [p.name, { dtype: 'F32' as const, shape: p.shape, data: p.values() }])));
const onnxFile = compileOnePrompt({ config: 'tiny', weights: new Map(source.graph.params.map((p) => [p.name, p.values()])), out: join(dir, 'tiny.onnx') }).path;
const values = new Map(source.graph.params.map((p) => [p.name, Array.from(p.values())]));

describe('partial initialisation', () => {
  for (const [what, path] of [
    ['safetensors', file],
    ['ONNX', onnxFile],
  ] as const)
    it(`from ${what}: a concat-mlp variant takes every shared parameter and keeps its own parser seeded`, () => {
      const target = buildOnePrompt(withVariant(configs.tiny, { parser: 'concat-mlp' }), 0);
      const seeded = new Map(target.graph.params.map((p) => [p.name, Array.from(p.values())]));
      const r = loadPartialWeights(path, target.graph.params);
      expect(r.kept.length).toBeGreaterThan(0);
      for (const k of r.kept) {
        expect(k.name).toContain('.parser.');
        expect(k.why).toBe('missing');
      }
      for (const p of target.graph.params) expect(Array.from(p.values()), p.name).toEqual(r.loaded.includes(p.name) ? values.get(p.name) : seeded.get(p.name));
    });

  it('excludes prefixes, and keeps a parameter of another shape (tiny128 from tiny: the N×3N parser weight)', () => {
    const target = buildOnePrompt(configs.tiny128, 0);
    const r = loadPartialWeights(file, target.graph.params, { exclude: ['encoder.'] });
    expect(r.kept.filter((k) => k.why === 'shape').map((k) => k.name)).toEqual(['decoder.0.parser.w', 'decoder.1.parser.w']);
    expect(r.kept.filter((k) => k.why === 'excluded').every((k) => k.name.startsWith('encoder.'))).toBe(true);
    expect(r.loaded.some((n) => n.startsWith('encoder.'))).toBe(false);
    expect(r.loaded.some((n) => n.startsWith('head.coarse.'))).toBe(true);
  });

  it('train --init-exclude runs, and without --init it is refused', async () => {
    const quiet = { write: () => true };
    const lines: string[] = [];
    await runTrainingJob({
      config: 'tiny',
      data: 'samples',
      steps: 1,
      batch: 2,
      backend: 'ort',
      out: join(dir, 'run'),
      init: file,
      initPartial: { exclude: ['decoder.0.parser.'] },
      stderr: { write: (s: string) => lines.push(s) },
    });
    expect(lines.join('')).toMatch(
      /parameter tensors \(\d+ values\) from .*tiny\.safetensors; \d+ keep their seeded values \(\d+ excluded, 0 not in the file, 0 of another shape\): decoder\.0\.parser\./,
    );
    await expect(
      runTrainingJob({ config: 'tiny', data: 'samples', steps: 1, batch: 2, backend: 'ort', out: join(dir, 'run2'), initPartial: {}, stderr: quiet }),
    ).rejects.toThrow(/need --init FILE/);
  }, 120_000);
});
