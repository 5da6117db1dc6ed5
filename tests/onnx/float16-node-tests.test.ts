// The float16 pass over ONNX's own backend node tests (Debian libonnx-testdata): for each op type the
// pass describes, the first test model using it is converted, checked by Debian's ONNX checker, run by
// ONNX Runtime, and compared with ONNX Runtime's float32 result on the test's own inputs.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { onnx as P } from 'onnx-proto';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { CONTROL_FLOW_OPS, FLOAT16_OPS } from '../../src/onnx/float16-ops.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import type { DType } from '../../src/dsl/dtype.js';

const ROOT = '/usr/share/libonnx-testdata/data/node';
const DTYPES: Partial<Record<number, DType>> = { 1: 'float32', 2: 'uint8', 6: 'int32', 7: 'int64', 9: 'bool' };
// Same tolerance as the graph tests: relative to the output's scale max(1, max|y32|).
const MAX_REL = 1e-2;

function hostTensorOf(t: P.ITensorProto): HostTensor | null {
  const dtype = DTYPES[t.dataType ?? 0];
  if (!dtype) return null;
  const dims = (t.dims ?? []).map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length ? new Uint8Array(t.rawData).buffer : null;
  const data =
    dtype === 'float32'
      ? raw
        ? new Float32Array(raw, 0, n)
        : Float32Array.from(t.floatData ?? [])
      : dtype === 'int64'
        ? raw
          ? new BigInt64Array(raw, 0, n)
          : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))))
        : dtype === 'int32'
          ? raw
            ? new Int32Array(raw, 0, n)
            : Int32Array.from(t.int32Data ?? [])
          : raw
            ? new Uint8Array(raw, 0, n)
            : Uint8Array.from(t.int32Data ?? []);
  return data.length === n ? { dtype, dims, data } : null;
}

interface NodeTest {
  readonly name: string;
  readonly model: P.IModelProto;
  readonly feeds: Record<string, HostTensor>;
}

/** One test per op type the pass describes (plus Cast/ConstantOfShape), first in alphabetical order. */
function selectTests(): NodeTest[] {
  const wanted = new Set([...Object.keys(FLOAT16_OPS), 'Cast', 'ConstantOfShape', 'Constant']);
  const chosen: NodeTest[] = [];
  for (const name of readdirSync(ROOT).sort()) {
    const dir = join(ROOT, name);
    if (!existsSync(join(dir, 'test_data_set_0'))) continue;
    let model: P.IModelProto;
    try {
      model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
    } catch {
      continue; // a few use proto features onnx-proto cannot decode
    }
    const ops = new Set((model.graph?.node ?? []).map((n) => n.opType ?? ''));
    const fresh = [...ops].filter((op) => wanted.has(op));
    const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
    // The pass refuses control flow and opsets before 7 by design (tested in float16.test.ts).
    if (fresh.length === 0 || opset < 7 || [...ops].some((op) => CONTROL_FLOW_OPS.has(op))) continue;
    if (!(model.graph?.input ?? []).some((i) => i.type?.tensorType?.elemType === 1)) continue;
    const feeds: Record<string, HostTensor> = {};
    const loaded = (model.graph?.input ?? []).every((inp, k) => {
      const p = join(dir, 'test_data_set_0', `input_${k}.pb`);
      const t = existsSync(p) ? hostTensorOf(onnx.TensorProto.decode(readFileSync(p))) : null;
      if (t) feeds[inp.name ?? ''] = t;
      return t !== null;
    });
    if (!loaded) continue;
    chosen.push({ name, model, feeds });
    for (const op of fresh) wanted.delete(op);
  }
  return chosen;
}

function compare(name: string, a: HostTensor, b: HostTensor): string | null {
  if (a.dtype !== b.dtype || a.dims.join() !== b.dims.join()) return `${name}: ${a.dtype}[${a.dims}] vs ${b.dtype}[${b.dims}]`;
  const x = a.data as ArrayLike<number | bigint>;
  const y = b.data as ArrayLike<number | bigint>;
  if (a.dtype !== 'float32') {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${name}[${i}]: ${x[i]} vs ${y[i]}`;
    return null;
  }
  let scale = 1;
  for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) scale = Math.max(scale, Math.abs(Number(y[i])));
  for (let i = 0; i < x.length; i++) {
    const [p, q] = [Number(x[i]), Number(y[i])];
    if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
    if (!(Math.abs(p - q) / scale <= MAX_REL)) return `${name}[${i}]: float16 model ${p}, float32 model ${q}`;
  }
  return null;
}

const run = (bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => Model.runOnce(bytes, feeds);

describe.skipIf(!existsSync(ROOT))('float16 pass on ONNX backend node tests', () => {
  it('converts, validates and matches float32 for one test per op type', async () => {
    const tests = selectTests();
    expect(tests.length).toBeGreaterThan(80);
    const failures: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'oneprompt-f16-node-'));
    const paths: string[] = [];
    try {
      for (const t of tests) {
        let ref: Record<string, HostTensor>;
        try {
          ref = await run(onnx.ModelProto.encode(t.model).finish(), t.feeds);
        } catch {
          continue; // ONNX Runtime does not run the float32 model either (training ops, layouts)
        }
        try {
          const bytes = onnx.ModelProto.encode(toFloat16(t.model)).finish();
          const path = join(dir, `${t.name}.onnx`);
          writeFileSync(path, bytes);
          paths.push(path);
          const out = await run(bytes, t.feeds);
          for (const o of t.model.graph?.output ?? []) {
            const diff = compare(o.name ?? '', out[o.name ?? ''], ref[o.name ?? '']);
            if (diff) failures.push(`${t.name}: ${diff}`);
          }
        } catch (e) {
          failures.push(`${t.name}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      if (onnxCheckerAvailable()) for (const r of checkModels(paths)) if (!r.ok) failures.push(`${r.path}: checker: ${r.error}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
    expect(paths.length).toBeGreaterThan(80);
  });
});
