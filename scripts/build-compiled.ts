// Rebuilds the models shipped in compiled/ from the code:
// - compiled/oneprompt-tiny.onnx (+ .json), the tiny configuration at seed 0 (untrained);
// - compiled/oneprompt-default.onnx re-emitted from its own trained weights, with its encoder/decoder pair
//   (oneprompt-default.encoder.onnx, .decoder.onnx + manifests) for the CLI and the browser tool. The weights are the
//   shipped ones, byte for byte, in the configuration (and calibration) its manifest records; training them again is
//   `npx tsx scripts/train-default.ts train --ship`.
import { existsSync } from 'node:fs';
import { compileOnePrompt, compiledConfig } from '../graphs/oneprompt/compile.js';
import { buildOnePrompt } from '../graphs/oneprompt/model.js';
import { loadInitialWeights } from '../src/train/init-weights.js';

const tiny = compileOnePrompt({ config: 'tiny', seed: 0, out: 'compiled/oneprompt-tiny.onnx' });
console.log(`wrote ${tiny.path} (${tiny.manifest.bytes} bytes, sha256 ${tiny.manifest.sha256})`);

const DEFAULT = 'compiled/oneprompt-default.onnx';
if (existsSync(DEFAULT)) {
  // The configuration the shipped weights were trained in, and their calibration, as its manifest records them.
  const config = compiledConfig(DEFAULT);
  const params = buildOnePrompt(config, 0).graph.params;
  loadInitialWeights(DEFAULT, params);
  const weights = new Map(params.map((p) => [p.name, p.values()]));
  const d = compileOnePrompt({ config, weights, out: DEFAULT, split: true });
  for (const f of [d, d.pair!.encoder, d.pair!.decoder]) console.log(`wrote ${f.path} (${f.manifest.bytes} bytes, sha256 ${f.manifest.sha256})`);
}
