import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { onnx as P } from 'onnx-proto';
import { input } from '../../src/dsl/tensor.js';
import { add, gelu, matmul, exp } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { mulberry32 } from '../../src/util/rng.js';
import { toModelProto } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { Float16Error, modelDtype, toFloat16, toHalfSaturated } from '../../src/onnx/float16.js';
import { checkModels, onnxCheckerAvailable } from '../../src/onnx/check.js';
import { Model, hostTensor, type HostTensor } from '../../src/runtime/session.js';
import { fromHalfArray, fromHalfBits, toHalfArray, toHalfBits } from '../../src/util/float16.js';
import { convBlockModel } from './conv-block-model.js';

const FLOAT = 1;
const FLOAT16 = 10;
const INT64 = 7;

const encode = (m: P.IModelProto): Uint8Array => onnx.ModelProto.encode(m).finish();
const randomInput = (n: number, seed: number): Float32Array => {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
};

async function runModel(m: P.IModelProto, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const model = await Model.load(encode(m), { threads: 1 });
  try {
    return await model.run(feeds);
  } finally {
    await model.release();
  }
}

/** Largest |a − b| relative to the output's scale max(1, max|b|), and the mean |a − b|. */
function deviation(a: ArrayLike<number>, b: ArrayLike<number>): { maxRel: number; mean: number } {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { maxRel: max / scale, mean: sum / a.length };
}

function expectCheckerAccepts(models: Record<string, P.IModelProto>): void {
  if (!onnxCheckerAvailable()) return;
  const dir = mkdtempSync(join(tmpdir(), 'oneprompt-f16-'));
  try {
    const paths = Object.entries(models).map(([name, m]) => {
      const p = join(dir, `${name}.onnx`);
      writeFileSync(p, encode(m));
      return p;
    });
    for (const r of checkModels(paths)) expect(r.error, r.path).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mlpModel(): P.IModelProto {
  const store = new ParamStore(11);
  const x = input('x', ['B', 6, 32]);
  const h = gelu(linear(store.root().at('fc1'), x, 64));
  const y = add(linear(store.root().at('fc2'), h, 16), exp(matmul(h, store.root().at('gate').param('weight', [64, 16], { kind: 'uniform', bound: 0.05 }))));
  return toModelProto(build({ name: 'mlp', inputs: { x }, outputs: { y } }));
}

// Stated tolerance for these small graphs: every fp16 output within 1e-2 of the fp32 output,
// relative to the output's scale max(1, max|y32|), and a mean absolute deviation under 2e-3.
const MAX_REL = 1e-2;
const MEAN_ABS = 2e-3;

describe('float16 pass: fp16 vs fp32 outputs', () => {
  it('MLP (linear, gelu, exp) with float32 inputs/outputs agrees within the stated tolerance', async () => {
    const m32 = mlpModel();
    const m16 = toFloat16(m32);
    const x = hostTensor(randomInput(3 * 6 * 32, 1), [3, 6, 32]);
    const [y32, y16] = [(await runModel(m32, { x })).y, (await runModel(m16, { x })).y];
    expect(y16.dtype).toBe('float32');
    expect(y16.dims).toEqual([3, 6, 16]);
    const d = deviation(y16.data as Float32Array, y32.data as Float32Array);
    expect(d.maxRel).toBeLessThan(MAX_REL);
    expect(d.mean).toBeLessThan(MEAN_ABS);
    // It is really half precision: not bit-identical to float32.
    expect(d.mean).toBeGreaterThan(0);
    expectCheckerAccepts({ mlp16: m16 });
  });

  it('conv block (conv, pool, resize, layer norm, softmax, reduce) agrees within the stated tolerance', async () => {
    const m32 = convBlockModel();
    const m16 = toFloat16(m32);
    const x = hostTensor(randomInput(2 * 3 * 16 * 16, 2), [2, 3, 16, 16]);
    const [o32, o16] = [await runModel(m32, { x }), await runModel(m16, { x })];
    for (const name of ['y', 'm']) {
      expect(o16[name].dims).toEqual(o32[name].dims);
      const d = deviation(o16[name].data as Float32Array, o32[name].data as Float32Array);
      expect(d.maxRel, name).toBeLessThan(MAX_REL);
      expect(d.mean, name).toBeLessThan(MEAN_ABS);
    }
    expectCheckerAccepts({ conv16: m16 });
  });

  it('float16 inputs and outputs (io: float16) run on float16 arrays', async () => {
    const m32 = convBlockModel();
    const m16 = toFloat16(m32, { io: 'float16' });
    expect(m16.graph!.input!.map((i) => i.type!.tensorType!.elemType)).toEqual([FLOAT16]);
    expect(m16.graph!.output!.map((o) => o.type!.tensorType!.elemType)).toEqual([FLOAT16, FLOAT16]);
    const data = randomInput(3 * 16 * 16, 3);
    const o32 = await runModel(m32, { x: hostTensor(data, [1, 3, 16, 16]) });
    const o16 = await runModel(m16, { x: hostTensor(toHalfArray(data), [1, 3, 16, 16], 'float16') });
    expect(o16.y.dtype).toBe('float16');
    const d = deviation(fromHalfArray(o16.y.data as Uint16Array), o32.y.data as Float32Array);
    expect(d.maxRel).toBeLessThan(MAX_REL);
    expectCheckerAccepts({ io16: m16 });
  });
});

describe('float16 pass: what stays float32 or int64', () => {
  const m16 = toFloat16(convBlockModel());
  const g = m16.graph!;
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const producer = new Map(g.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  const elemOf = (name: string): number | undefined => {
    const t = inits.get(name);
    if (t) return t.dataType!;
    const n = producer.get(name);
    if (n?.opType === 'Cast') return Number(n.attribute![0].i);
    return g.valueInfo!.find((v) => v.name === name)?.type?.tensorType?.elemType ?? undefined;
  };
  const node = (op: string) => g.node!.find((n) => n.opType === op)!;

  it('weights of float16 ops become float16; Resize scales stay float32; Reshape shape stays int64', () => {
    const conv = node('Conv');
    expect(elemOf(conv.input![1])).toBe(FLOAT16);
    expect(elemOf(conv.input![2])).toBe(FLOAT16);
    expect(elemOf(node('MatMul').input![1])).toBe(FLOAT16);
    const resize = node('Resize');
    expect(elemOf(resize.input![0])).toBe(FLOAT16);
    expect(elemOf(resize.input![2])).toBe(FLOAT);
    expect(elemOf(node('Reshape').input![1])).toBe(INT64);
  });

  it('Softmax, LayerNormalization and ReduceMean read float32 (Casts in), and float16 consumers read a Cast of their output', () => {
    for (const op of ['Softmax', 'LayerNormalization', 'ReduceMean']) for (const i of node(op).input!) expect(elemOf(i), `${op} input ${i}`).toBe(FLOAT);
    const softmaxOut = node('Softmax').output![0];
    const castOut = g.node!.find((n) => n.opType === 'Cast' && n.input![0] === softmaxOut)!;
    expect(Number(castOut.attribute![0].i)).toBe(FLOAT16);
    expect(node('Where').input).toContain(castOut.output![0]);
    // An exact op whose computed inputs are all float32 (Greater on the softmax) stays in float32, without a Cast.
    expect(node('Greater').input![0]).toBe(softmaxOut);
    expect(elemOf(node('Greater').input![1])).toBe(FLOAT);
  });

  it('value_info follows the new element types', () => {
    const vi = (name: string) => g.valueInfo!.find((v) => v.name === name)!.type!.tensorType!.elemType;
    expect(vi('conv')).toBe(FLOAT16);
    expect(vi('pool')).toBe(FLOAT16); // MaxPool follows its float16 input
    expect(vi('probs')).toBe(FLOAT); // made by Softmax, in float32
  });

  it('ConstantOfShape makes float16 and a Cast to float becomes a Cast to float16', () => {
    expect(node('ConstantOfShape').attribute![0].t!.dataType).toBe(FLOAT16);
    const cast = g.node!.find((n) => n.opType === 'Cast' && n.input![0] === 'probsShape')!;
    expect(Number(cast.attribute![0].i)).toBe(FLOAT16);
  });

  it('leaves the input model untouched', () => {
    const m32 = convBlockModel();
    const before = encode(m32);
    toFloat16(m32);
    expect(Buffer.from(encode(m32)).equals(Buffer.from(before))).toBe(true);
  });
});

describe('float16 pass: edges', () => {
  it('an op it does not know runs in float32, with a warning, and the model still runs', async () => {
    const m32 = mlpModel();
    const g = m32.graph!;
    // Route the output through Det, which the pass does not describe: y2 = y + det(y[..., :1, :1])... kept simple: Det of a 1×1 slice.
    const y = g.output![0].name!;
    g.node!.push({ opType: 'Slice', input: [y, 'starts', 'ends', 'axes'], output: ['corner'] }, { opType: 'Det', input: ['corner'], output: ['det'] });
    g.initializer!.push(
      { name: 'starts', dims: [2], dataType: INT64, int64Data: [0, 0] },
      { name: 'ends', dims: [2], dataType: INT64, int64Data: [1, 1] },
      { name: 'axes', dims: [2], dataType: INT64, int64Data: [-2, -1] },
    );
    g.valueInfo!.push({ name: 'det', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'B' }] } } } });
    g.output!.push({ name: 'det', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'B' }] } } } });
    const warnings: string[] = [];
    const m16 = toFloat16(m32, { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringContaining("'Det'")]);
    const det = m16.graph!.node!.find((n) => n.opType === 'Det')!;
    const castIn = m16.graph!.node!.find((n) => n.output![0] === det.input![0])!;
    expect(castIn.opType).toBe('Cast');
    expect(Number(castIn.attribute![0].i)).toBe(FLOAT);
    const x = hostTensor(randomInput(2 * 6 * 32, 4), [2, 6, 32]);
    const [o32, o16] = [await runModel(m32, { x }), await runModel(m16, { x })];
    expect(deviation(o16.det.data as Float32Array, o32.det.data as Float32Array).maxRel).toBeLessThan(MAX_REL);
    expectCheckerAccepts({ unknown: m16 });
  });

  it('an unknown op whose output type nothing tells is an error naming the node and tensor', () => {
    const m = mlpModel();
    m.graph!.node!.push({ opType: 'MysteryOp', domain: 'com.example', name: 'mystery', input: [m.graph!.output![0].name!], output: ['z'] });
    expect(() => toFloat16(m)).toThrow(/'z', made by node 'mystery' \(MysteryOp\)/);
  });

  it('control flow is refused rather than converted wrongly', () => {
    const m = mlpModel();
    m.graph!.node!.push({ opType: 'If', input: ['cond'], output: ['z'], name: 'branch', attribute: [{ name: 'then_branch', type: 5, g: { name: 'then' } }] });
    expect(() => toFloat16(m)).toThrow(Float16Error);
  });

  it('weights beyond float16 range saturate at ±65504 instead of becoming infinite', () => {
    const bits = toHalfSaturated([1e6, -1e6, Infinity, 1.5, 65519, 6e-8, -0]);
    expect(Array.from(bits, fromHalfBits)).toEqual([65504, -65504, Infinity, 1.5, 65504, 2 ** -24, -0]);
  });

  it('the bit-level weight conversion rounds exactly like the reference conversion, over all exponents', () => {
    // 2^20 float32 bit patterns: every sign/exponent pair, mantissas spread over their range.
    const patterns = Uint32Array.from({ length: 1 << 20 }, (_, k) => ((k >>> 11) << 23) | (((k & 0x7ff) * 4093 + (k >>> 11)) & 0x7fffff));
    const values = new Float32Array(patterns.buffer);
    const fast = toHalfSaturated(values);
    const mismatches: string[] = [];
    values.forEach((v, i) => {
      if (Number.isNaN(v)) return expect(fast[i] & 0x7c00).toBe(0x7c00);
      const reference = toHalfBits(Number.isFinite(v) && Math.abs(v) > 65504 ? Math.sign(v) * 65504 : v);
      if (fast[i] !== reference && mismatches.length < 3) mismatches.push(`${v}: ${fast[i]} vs ${reference}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('modelDtype reports float16 for converted models, from metadata or from weights', () => {
    const m32 = mlpModel();
    const m16 = toFloat16(m32);
    expect(modelDtype(m32)).toBe('float32');
    expect(modelDtype(m16)).toBe('float16');
    expect(modelDtype({ ...m16, metadataProps: [] })).toBe('float16');
    // Survives encoding.
    expect(modelDtype(onnx.ModelProto.decode(encode(m16)))).toBe('float16');
  });
});
