// A stand-in for Triton in tests: serves a model repository written by writeTritonRepository over the
// KServe v2 HTTP protocol on loopback, checking requests the way the protocol specifies (names,
// datatypes and shapes against config.pbtxt, the binary extension's sizes), running the model with
// ONNX Runtime, and answering in JSON or binary as asked.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { DType } from '../../src/dsl/dtype.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import { readTritonConfig } from '../../src/compile/triton.js';
import { arrayFromBytes, arrayFromJson, HEADER_LENGTH, jsonData, kserveDatatype, tensorBytes } from '../../src/runtime/triton-client.js';

interface TensorConfig {
  name: string;
  data_type: string;
  dims: number[];
}
interface Served {
  readonly model: Model;
  readonly maxBatch: number;
  readonly inputs: TensorConfig[];
  readonly outputs: TensorConfig[];
  readonly platform: string;
}

const DTYPE_OF: Record<string, DType> = { FP32: 'float32', FP16: 'float16', INT32: 'int32', INT64: 'int64', BOOL: 'bool', UINT8: 'uint8' };

class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Emulator {
  readonly url: string;
  /** Requests seen, for assertions on what the client sent. */
  readonly requests: { path: string; contentType: string; headerLength: string | null }[];
  close(): Promise<void>;
}

export async function startEmulator(repository: string, models: readonly string[]): Promise<Emulator> {
  const served = new Map<string, Served>();
  for (const name of models) {
    const cfg = readTritonConfig(readFileSync(join(repository, name, 'config.pbtxt'), 'utf8')) as Record<string, unknown>;
    served.set(name, {
      model: await Model.load(join(repository, name, '1', 'model.onnx'), { threads: 1 }),
      maxBatch: Number(cfg.max_batch_size ?? 0),
      inputs: cfg.input as TensorConfig[],
      outputs: cfg.output as TensorConfig[],
      platform: String(cfg.platform),
    });
  }
  const requests: Emulator['requests'] = [];

  const fullShape = (s: Served, t: TensorConfig) => (s.maxBatch > 0 ? [-1, ...t.dims] : t.dims);
  const metadata = (name: string, s: Served) => ({
    name,
    versions: ['1'],
    platform: s.platform,
    inputs: s.inputs.map((t) => ({ name: t.name, datatype: t.data_type.replace('TYPE_', ''), shape: fullShape(s, t) })),
    outputs: s.outputs.map((t) => ({ name: t.name, datatype: t.data_type.replace('TYPE_', ''), shape: fullShape(s, t) })),
  });

  async function infer(name: string, s: Served, body: Buffer, headerLength: string | null): Promise<{ body: Buffer; headerLength?: number }> {
    const jsonLength = headerLength === null ? body.byteLength : Number(headerLength);
    if (!(jsonLength >= 0 && jsonLength <= body.byteLength)) throw new ProtocolError(400, `bad ${HEADER_LENGTH}`);
    const req = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as {
      inputs: { name: string; shape: number[]; datatype: string; data?: unknown; parameters?: { binary_data_size?: number } }[];
      outputs?: { name: string; parameters?: { binary_data?: boolean } }[];
      parameters?: { binary_data_output?: boolean };
    };
    let offset = jsonLength;
    const feeds: Record<string, HostTensor> = {};
    for (const i of req.inputs) {
      const cfg = s.inputs.find((t) => t.name === i.name);
      if (!cfg) throw new ProtocolError(400, `unexpected inference input '${i.name}' for model '${name}'`);
      if (`TYPE_${i.datatype}` !== cfg.data_type)
        throw new ProtocolError(400, `input '${i.name}' has datatype ${i.datatype}, the model expects ${cfg.data_type.replace('TYPE_', '')}`);
      const want = fullShape(s, cfg);
      if (i.shape.length !== want.length || i.shape.some((d, k) => want[k] !== -1 && d !== want[k]))
        throw new ProtocolError(400, `input '${i.name}' has shape [${i.shape}], the model expects [${want}]`);
      if (s.maxBatch > 0 && i.shape[0] > s.maxBatch) throw new ProtocolError(400, `batch ${i.shape[0]} exceeds max_batch_size ${s.maxBatch}`);
      const dtype = DTYPE_OF[i.datatype];
      const size = i.parameters?.binary_data_size;
      let data;
      if (size !== undefined) {
        if (offset + size > body.byteLength) throw new ProtocolError(400, `input '${i.name}': binary data runs past the request body`);
        data = arrayFromBytes(dtype, body.subarray(offset, offset + size));
        offset += size;
      } else data = arrayFromJson(dtype, i.data);
      if (data.length !== i.shape.reduce((a, b) => a * b, 1)) throw new ProtocolError(400, `input '${i.name}': ${data.length} values for shape [${i.shape}]`);
      feeds[i.name] = { dtype, dims: i.shape, data };
    }
    if (offset !== body.byteLength) throw new ProtocolError(400, `${body.byteLength - offset} unexpected bytes after the inputs`);
    const missing = s.inputs.filter((t) => !(t.name in feeds));
    if (missing.length) throw new ProtocolError(400, `expected ${s.inputs.length} inputs but got ${req.inputs.length}`);

    const results = await s.model.run(feeds);
    const wanted = req.outputs ?? s.outputs.map((t) => ({ name: t.name, parameters: { binary_data: req.parameters?.binary_data_output ?? false } }));
    const parts: Buffer[] = [];
    const outputs = wanted.map((w) => {
      const t = results[w.name];
      if (!t) throw new ProtocolError(400, `unexpected inference output '${w.name}' for model '${name}'`);
      const binary = w.parameters?.binary_data ?? req.parameters?.binary_data_output ?? false;
      if (binary) parts.push(Buffer.from(tensorBytes(t)));
      return {
        name: w.name,
        datatype: kserveDatatype(t.dtype),
        shape: t.dims,
        ...(binary ? { parameters: { binary_data_size: t.data.byteLength } } : { data: jsonData(w.name, t) }),
      };
    });
    const json = Buffer.from(JSON.stringify({ model_name: name, model_version: '1', outputs }));
    return parts.length ? { body: Buffer.concat([json, ...parts]), headerLength: json.byteLength } : { body: json };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '';
    requests.push({
      path,
      contentType: String(req.headers['content-type'] ?? ''),
      headerLength: (req.headers[HEADER_LENGTH.toLowerCase()] as string | undefined) ?? null,
    });
    const send = (status: number, payload: Buffer | object, headerLength?: number) => {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
      res.writeHead(status, {
        'Content-Type': headerLength !== undefined ? 'application/octet-stream' : 'application/json',
        'Content-Length': buf.byteLength,
        ...(headerLength !== undefined ? { [HEADER_LENGTH]: headerLength } : {}),
      });
      res.end(buf);
    };
    try {
      if (req.method === 'GET' && path === '/v2/health/ready') return send(200, {});
      const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/.exec(path);
      const s = m ? served.get(decodeURIComponent(m[1])) : undefined;
      if (!m || !s || (m[2] !== undefined && m[2] !== '1'))
        throw new ProtocolError(404, `Request for unknown model: '${m ? decodeURIComponent(m[1]) : path}' is not found`);
      const name = decodeURIComponent(m[1]);
      if (req.method === 'GET' && m[3] === '/ready') return send(200, {});
      if (req.method === 'GET' && m[3] === undefined) return send(200, metadata(name, s));
      if (req.method === 'POST' && m[3] === '/infer') {
        const r = await infer(name, s, body, (req.headers[HEADER_LENGTH.toLowerCase()] as string | undefined) ?? null);
        return send(200, r.body, r.headerLength);
      }
      throw new ProtocolError(405, `${req.method} ${path} is not supported`);
    } catch (e) {
      send(e instanceof ProtocolError ? e.status : 500, { error: (e as Error).message });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of served.values()) await s.model.release();
    },
  };
}
