// FLOPs and time per op type (or per module) of one ONNX Runtime run on zeros, from ONNX Runtime's own profile and
// the FLOP counts of src/onnx/inspect.ts. Node-only.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFlops, summariseModel, type OpCost, type Shapes } from '../onnx/inspect.js';

/**
 * Run the model once on zeros at the given symbolic dim values and count FLOPs per op type.
 * `bindings` gives values for symbolic input dims (e.g. { B: 1 }); missing ones default to 1.
 * `groupBy` keys the costs by something else than the op type, e.g. the module of the node's name
 * (`(op, node) => moduleOf(node, 1)`: how much of a forward is the image encoder).
 */
export async function profileFlops(
  bytes: Uint8Array,
  bindings: Readonly<Record<string, number>> = {},
  groupBy: (op: string, node: string) => string = (op) => op,
): Promise<Record<string, OpCost>> {
  const summary = summariseModel(bytes);
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(join(tmpdir(), 'oneprompt-prof-'));
  try {
    const session = await ort.InferenceSession.create(bytes, { enableProfiling: true, profileFilePrefix: join(dir, 'p'), graphOptimizationLevel: 'disabled' });
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const i of summary.inputs) {
      const dims = i.shape.map((d) => (typeof d === 'number' ? d : (bindings[d] ?? 1)));
      feeds[i.name] = zeros(ort, i.dtype, dims);
    }
    await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('inspect: ONNX Runtime wrote no profile');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: Record<string, unknown> }[];
    const costs: Record<string, { count: number; flops: number; micros: number }> = {};
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const op = String(e.args.op_name);
      const shapes = (k: string): Shapes => ((e.args[k] as Record<string, number[]>[]) ?? []).map((o) => Object.values(o)[0] ?? []);
      const c = (costs[groupBy(op, e.name.slice(0, -'_kernel_time'.length))] ??= { count: 0, flops: 0, micros: 0 });
      c.count++;
      c.flops += nodeFlops(op, shapes('input_type_shape'), shapes('output_type_shape'));
      c.micros += e.dur;
    }
    return costs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function zeros(ort: typeof import('onnxruntime-node'), dtype: string, dims: number[]): import('onnxruntime-node').Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  switch (dtype) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(n), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(n), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(n), dims);
    default:
      throw new Error(`inspect: cannot make a zero input of type ${dtype}`);
  }
}
