// GPU check: each model on CPU and CUDA, in float32 and float16 (made by src/onnx/float16.ts):
// outputs compared with CPU float32, and images/s for each. Run through bench/gpu.sh on a machine
// with an NVIDIA GPU; `--cpu-only` runs the CPU half anywhere (to check this script itself).
//
// Usage: npx tsx bench/gpu.ts [--seconds S] [--cpu-batch N] [--cuda-batch N] [--cpu-only] [MODEL.onnx ...]
// Default models: compiled/oneprompt-small.onnx and compiled/oneprompt-base.onnx, those that exist.
// Exit: 0 all agree, 1 a disagreement, 2 usage/no models, 3 CUDA unavailable.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { onnx as P } from 'onnx-proto';
import { onnx } from '../src/onnx/proto.js';
import { toFloat16 } from '../src/onnx/float16.js';
import { Model, type Device, type HostTensor } from '../src/runtime/session.js';
import { cudaProviderStatus } from '../src/runtime/cuda-libs.js';
import { mulberry32 } from '../src/util/rng.js';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '4' },
    'cpu-batch': { type: 'string', default: '1' },
    'cuda-batch': { type: 'string', default: '8' },
    'check-batch': { type: 'string', default: '2' },
    'cpu-only': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opt.seconds);
const CHECK_BATCH = Number(opt['check-batch']);
const BATCH: Record<Device, number> = { cpu: Number(opt['cpu-batch']), cuda: Number(opt['cuda-batch']) };

/**
 * Agreement with CPU float32, per float output: max |Δ| / max(1, max|ref|) within the tolerance, and
 * the sign (the mask decision for logits) the same on ≥ 99% of elements whose |ref| is above 1% of scale.
 * CUDA float32 may use TF32 matrix products (10-bit mantissa), hence 1e-2 rather than 1e-5.
 */
const TOLERANCE: Record<string, number> = { 'cpu float32': 0, 'cpu float16': 5e-2, 'cuda float32': 1e-2, 'cuda float16': 5e-2 };
const MIN_SIGN_AGREEMENT = 0.99;

const DEFAULT_MODELS = ['compiled/oneprompt-small.onnx', 'compiled/oneprompt-base.onnx'];
const models = positionals.length > 0 ? positionals : DEFAULT_MODELS.filter(existsSync);
if (models.length === 0) {
  console.error(`gpu: no models: compile them first (oneprompt compile --config small / base) or pass .onnx paths; looked for ${DEFAULT_MODELS.join(', ')}`);
  process.exit(2);
}
for (const m of models) if (!existsSync(m)) console.error(`gpu: ${m} does not exist`), process.exit(2);

const devices: Device[] = opt['cpu-only'] ? ['cpu'] : ['cpu', 'cuda'];
if (!opt['cpu-only']) {
  const status = cudaProviderStatus();
  if (status.missing.length > 0) {
    console.error(`gpu: CUDA provider libraries missing (${status.missing.join(', ')}); run npm run setup:cuda (docs/cuda.md), or pass --cpu-only`);
    process.exit(3);
  }
}

/** Deterministic inputs in [0, 1) (integers 0..1 for integer inputs), batch dim B = batch. */
function feedsFor(m: P.IModelProto, batch: number): Record<string, HostTensor> {
  const rnd = mulberry32(12345);
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, HostTensor> = {};
  for (const i of m.graph?.input ?? []) {
    if (inits.has(i.name)) continue;
    const t = i.type?.tensorType;
    const dims = (t?.shape?.dim ?? []).map((d) => {
      if (d.dimParam === 'B') return batch;
      if (d.dimParam) throw new Error(`gpu: input '${i.name}' has symbolic dim '${d.dimParam}'; only 'B' (batch) is bound here`);
      return Number(d.dimValue);
    });
    const n = dims.reduce((a, b) => a * b, 1);
    const elem = t?.elemType;
    if (elem === 1) feeds[i.name!] = { dtype: 'float32', dims, data: Float32Array.from({ length: n }, rnd) };
    else if (elem === 7) feeds[i.name!] = { dtype: 'int64', dims, data: BigInt64Array.from({ length: n }, () => BigInt(rnd() < 0.5 ? 0 : 1)) };
    else throw new Error(`gpu: input '${i.name}' has element type ${elem}; float32 and int64 inputs are generated`);
  }
  return feeds;
}

async function load(bytes: Uint8Array, device: Device): Promise<Model> {
  let fellBack = '';
  const model = await Model.load(bytes, { device, warn: (w) => (fellBack = w) });
  if (fellBack) {
    console.error(`gpu: ${fellBack}`);
    console.error('gpu: CUDA did not load; see docs/cuda.md (LD_LIBRARY_PATH, matching onnxruntime-node and provider versions)');
    process.exit(3);
  }
  return model;
}

interface Agreement {
  readonly maxRel: number;
  readonly signAgreement: number;
}

function agreement(out: Record<string, HostTensor>, ref: Record<string, HostTensor>): Agreement {
  let maxRel = 0;
  let same = 0;
  let counted = 0;
  for (const [name, r] of Object.entries(ref)) {
    if (r.dtype !== 'float32') continue;
    const a = out[name].data as Float32Array;
    const b = r.data as Float32Array;
    let scale = 1;
    for (const v of b) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i] - b[i]) / scale;
      maxRel = Number.isNaN(d) ? Infinity : Math.max(maxRel, d);
      if (Math.abs(b[i]) > 0.01 * scale) {
        counted++;
        if (Math.sign(a[i]) === Math.sign(b[i])) same++;
      }
    }
  }
  return { maxRel, signAgreement: counted ? same / counted : 1 };
}

/** images/s: warm-up runs, then timed runs until SECONDS have passed (at least one). */
async function throughput(model: Model, feeds: Record<string, HostTensor>, batch: number, warmups: number): Promise<number> {
  for (let i = 0; i < warmups; i++) await model.run(feeds);
  let runs = 0;
  const t0 = performance.now();
  while (runs === 0 || performance.now() - t0 < SECONDS * 1000) {
    await model.run(feeds);
    runs++;
  }
  return (runs * batch) / ((performance.now() - t0) / 1000);
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toExponential(digits - 1) : String(x));
let failed = false;
console.log(
  `gpu: tolerances vs cpu float32 (max|Δ|/max(1,max|ref|)): ${Object.entries(TOLERANCE)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}; sign agreement ≥ ${MIN_SIGN_AGREEMENT * 100}%`,
);
console.log(
  `gpu: inputs are seeded uniform [0, 1); agreement at batch ${CHECK_BATCH}; throughput at batch cpu ${BATCH.cpu}, cuda ${BATCH.cuda}; ${SECONDS} s per measurement`,
);
for (const path of models) {
  const m32 = onnx.ModelProto.decode(readFileSync(path));
  const variants: Record<string, Uint8Array> = { float32: onnx.ModelProto.encode(m32).finish(), float16: onnx.ModelProto.encode(toFloat16(m32)).finish() };
  const checkFeeds = feedsFor(m32, CHECK_BATCH);
  let ref: Record<string, HostTensor> | undefined;
  const rows: string[][] = [];
  for (const device of devices)
    for (const [dtype, bytes] of Object.entries(variants)) {
      const label = `${device} ${dtype}`;
      const model = await load(bytes, device);
      const out = await model.run(checkFeeds);
      ref ??= out;
      const a = agreement(out, ref);
      const ok = a.maxRel <= TOLERANCE[label] && a.signAgreement >= MIN_SIGN_AGREEMENT;
      failed ||= !ok;
      const ips = await throughput(model, feedsFor(m32, BATCH[device]), BATCH[device], device === 'cuda' ? 3 : 1);
      await model.release();
      rows.push([
        label,
        String(BATCH[device]),
        ips.toFixed(2),
        fmt(a.maxRel),
        `${(a.signAgreement * 100).toFixed(2)}%`,
        ok ? 'ok' : `FAIL (> ${TOLERANCE[label]})`,
      ]);
      console.error(`gpu: ${path}: ${label} done`);
    }
  console.log(
    `\n${path} (${(readFileSync(path).byteLength / 2 ** 20).toFixed(1)} MiB float32, ${(variants.float16.byteLength / 2 ** 20).toFixed(1)} MiB float16)`,
  );
  const head = ['variant', 'batch', 'images/s', 'max rel Δ', 'same sign', 'agreement'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log('  ' + r.map((c, i) => c.padEnd(widths[i])).join('  '));
  const cpu = rows.find((r) => r[0] === 'cpu float32');
  for (const r of rows) if (r[0].startsWith('cuda') && cpu) console.log(`  ${r[0]} vs cpu float32: ${(Number(r[2]) / Number(cpu[2])).toFixed(1)}× images/s`);
}
process.exit(failed ? 1 : 0);
