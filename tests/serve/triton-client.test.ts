import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, toModelProto } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { toFloat16 } from '../../src/onnx/float16.js';
import { mulberry32 } from '../../src/util/rng.js';
import { Model, hostTensor, type HostTensor } from '../../src/runtime/session.js';
import { manifestFromModel, writeTritonRepository } from '../../src/compile/triton.js';
import { tritonClient, TritonError } from '../../src/runtime/triton-client.js';
import { fromHalfArray, toHalfArray } from '../../src/util/float16.js';
import { startEmulator, type Emulator } from './kserve-emulator.js';
import { smallGraph } from './small-graph.js';

const random = (n: number, seed: number) => {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
};
const feeds = (batch: number): Record<string, HostTensor> => ({
  image: hostTensor(random(batch * 64, 1), [batch, 1, 8, 8]),
  prompt: hostTensor(random(batch * 4, 2), [batch, 1, 1, 4]),
});

let dir: string;
let server: Emulator;
const fp32 = emit(smallGraph());
const fp16 = onnx.ModelProto.encode(toFloat16(toModelProto(smallGraph()), { io: 'float16' })).finish();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oneprompt-kserve-'));
  writeTritonRepository(dir, { name: 'small', modelBytes: fp32, manifest: manifestFromModel(fp32), device: 'cpu', maxBatch: 4, instances: 1 });
  writeTritonRepository(dir, { name: 'small-fp16', modelBytes: fp16, manifest: manifestFromModel(fp16), device: 'gpu', maxBatch: 4, instances: 1 });
  server = await startEmulator(dir, ['small', 'small-fp16']);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function direct(bytes: Uint8Array, f: Record<string, HostTensor>) {
  const m = await Model.load(bytes, { threads: 1 });
  try {
    return await m.run(f);
  } finally {
    await m.release();
  }
}

describe('Triton HTTP/JSON (KServe v2) client against a local emulation of the protocol', () => {
  it('health, readiness and metadata', async () => {
    const client = tritonClient({ url: server.url });
    expect(await client.serverReady()).toBe(true);
    expect(await client.modelReady('small')).toBe(true);
    expect(await client.modelReady('small', '1')).toBe(true);
    expect(await client.modelReady('missing')).toBe(false);
    const meta = await client.modelMetadata('small');
    expect(meta.platform).toBe('onnxruntime_onnx');
    expect(meta.inputs).toEqual([
      { name: 'image', datatype: 'FP32', shape: [-1, 1, 8, 8] },
      { name: 'prompt', datatype: 'FP32', shape: [-1, 1, 1, 4] },
    ]);
    expect(meta.outputs.map((o) => o.name)).toEqual(['logits', 'gate']);
    await expect(client.modelMetadata('missing')).rejects.toThrow(/metadata of model 'missing' failed \(HTTP 404\): Request for unknown model/);
  });

  it('binary tensors (the default) give exactly what ONNX Runtime gives locally', async () => {
    const client = tritonClient({ url: server.url });
    const f = feeds(3);
    const [remote, local] = [await client.infer('small', f), await direct(fp32, f)];
    expect(Object.keys(remote).sort()).toEqual(['gate', 'logits']);
    for (const name of ['logits', 'gate']) {
      expect(remote[name].dims).toEqual(local[name].dims);
      expect(Array.from(remote[name].data as Float32Array)).toEqual(Array.from(local[name].data as Float32Array));
    }
    const sent = server.requests.at(-1)!;
    expect(sent.contentType).toBe('application/octet-stream');
    expect(Number(sent.headerLength)).toBeGreaterThan(0);
  });

  it('JSON tensors give the same values, and only the outputs asked for', async () => {
    const client = tritonClient({ url: server.url });
    const f = feeds(2);
    const remote = await client.infer('small', f, { binary: false, outputs: ['gate'] });
    expect(Object.keys(remote)).toEqual(['gate']);
    expect(server.requests.at(-1)!.contentType).toBe('application/json');
    const local = await direct(fp32, f);
    expect(Array.from(remote.gate.data as Float32Array)).toEqual(Array.from(local.gate.data as Float32Array));
  });

  it('FP16 models: binary data works; JSON is refused by the client (the protocol has no JSON FP16)', async () => {
    const client = tritonClient({ url: server.url });
    const f = feeds(1);
    const half = Object.fromEntries(Object.entries(f).map(([k, t]) => [k, hostTensor(toHalfArray(t.data as Float32Array), t.dims, 'float16')]));
    const remote = await client.infer('small-fp16', half);
    expect(remote.logits.dtype).toBe('float16');
    const reference = (await direct(fp32, f)).logits.data as Float32Array;
    const got = fromHalfArray(remote.logits.data as Uint16Array);
    got.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-2));
    await expect(client.infer('small-fp16', half, { binary: false })).rejects.toThrow(/FP16 has no JSON form/);
  });

  it("server errors surface with the status and the server's message", async () => {
    const client = tritonClient({ url: server.url });
    const bad = { ...feeds(1), extra: hostTensor(Float32Array.of(1), [1, 1]) };
    const err = await client.infer('small', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TritonError);
    expect((err as TritonError).status).toBe(400);
    expect((err as Error).message).toMatch(/inference on model 'small' failed \(HTTP 400\): unexpected inference input 'extra'/);
    await expect(client.infer('small', feeds(5))).rejects.toThrow(/batch 5 exceeds max_batch_size 4/);
    await expect(tritonClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }).serverReady()).rejects.toThrow(TritonError);
  });
});
