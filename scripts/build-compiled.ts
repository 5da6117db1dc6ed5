// Rebuilds the models shipped in compiled/ that are pure functions of the code:
// compiled/oneprompt-tiny.onnx (+ .json), the tiny configuration at seed 0 (untrained).
// (compiled/oneprompt-default.onnx holds trained weights: `npx tsx scripts/default-model.ts train` rebuilds it.)
import { compileOnePrompt } from '../graphs/oneprompt/compile.js';

const { path, manifest } = compileOnePrompt({ config: 'tiny', seed: 0, out: 'compiled/oneprompt-tiny.onnx' });
console.log(`wrote ${path} (${manifest.bytes} bytes, sha256 ${manifest.sha256})`);
