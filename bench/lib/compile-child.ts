// Child process for bench/model.ts (and bench/prompt-reuse.ts, with --split: the encoder/decoder pair too): compile one
// configuration, report time and peak memory as JSON.
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import type { ConfigName } from '../../graphs/oneprompt/config.js';

const [config, out, flag] = process.argv.slice(2);
const t0 = performance.now();
const { manifest } = compileOnePrompt({ config: config as ConfigName, out, split: flag === '--split' });
const secs = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ secs, maxRssMiB: process.resourceUsage().maxRSS / 1024, bytes: manifest.bytes, parameters: manifest.parameters }));
