// Runs a built Graph on tfjs with each op's own `tfjs` kernel: the same IR that compiles to ONNX.
// Parameters live in tf.Variables (trainable unless frozen); intermediates are freed as soon as the
// last node reading them has run, so a training step's memory is the tape's, not the graph's.
import type { Graph } from '../../dsl/build.js';
import { describeValue, type Node, type TF, type TFTensor, type Value } from '../../dsl/graph.js';
import type { DType } from '../../dsl/dtype.js';
import type { Param } from '../../dsl/params.js';
import { fmtShape } from '../../dsl/dim.js';
import { fromHalfArray } from '../../util/float16.js';
import type { HostTensor } from '../../runtime/session.js';
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsKernels } from './kernels.js';

export interface ExecutorOptions {
  /** Parameter-name prefixes kept fixed in training (e.g. 'encoder.'); `Param.trainable = false` also freezes. */
  readonly freeze?: readonly string[];
}

/** What a graph input can be fed with: a tfjs tensor (left to its owner) or host data (freed after the run). */
export type Feed = TFTensor | HostTensor;

export class ExecutorError extends Error {
  override name = 'ExecutorError';
}

const isTfTensor = (f: Feed): f is TFTensor => typeof (f as TFTensor).dataId === 'object' && typeof (f as TFTensor).dispose === 'function';

/** tfjs has no int64/float16/uint8: they compute as int32/float32/int32. */
export function tfjsDType(d: DType): 'float32' | 'int32' | 'bool' {
  return d === 'float32' || d === 'float16' ? 'float32' : d === 'bool' ? 'bool' : 'int32';
}

/** Host data → a tfjs tensor of the dtype tfjs uses for `dtype`. */
export function toTfTensor(tf: TF, t: HostTensor, what: string): TFTensor {
  const dims = [...t.dims];
  switch (t.dtype) {
    case 'float32':
      return tf.tensor(t.data as Float32Array, dims, 'float32');
    case 'float16':
      return tf.tensor(fromHalfArray(t.data as Uint16Array), dims, 'float32');
    case 'int64': {
      const src = t.data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > 2147483647n || v < -2147483648n) throw new ExecutorError(`${what}: int64 value ${v} at [${i}] does not fit tfjs's int32`);
        out[i] = Number(v);
      }
      return tf.tensor(out, dims, 'int32');
    }
    case 'int32':
      return tf.tensor(t.data as Int32Array, dims, 'int32');
    case 'uint8':
      return tf.tensor(Int32Array.from(t.data as Uint8Array), dims, 'int32');
    case 'bool':
      return tf.tensor(t.data as Uint8Array, dims, 'bool');
  }
}

/** A tfjs tensor → host data in the graph's declared dtype (int64 back to BigInt64Array, float16 stays float32 data). */
export async function toHostTensor(t: TFTensor, declared: DType): Promise<HostTensor> {
  const data = await t.data();
  const dims = [...t.shape];
  switch (declared) {
    case 'int64':
      return { dtype: 'int64', dims, data: BigInt64Array.from(data as Int32Array, (v) => BigInt(v)) };
    case 'uint8':
      return { dtype: 'uint8', dims, data: Uint8Array.from(data as Int32Array) };
    case 'bool':
      return { dtype: 'bool', dims, data: Uint8Array.from(data as Uint8Array) };
    case 'int32':
      return { dtype: 'int32', dims, data: data as Int32Array };
    default:
      return { dtype: 'float32', dims, data: data as Float32Array };
  }
}

export class TfjsExecutor {
  private readonly vars = new Map<string, tfjs.Variable>();
  private readonly constTensors = new Map<number, TFTensor>();
  /** Variables and constants: read by runs, never freed by them. */
  private readonly external = new Set<TFTensor>();
  /** For each node (by position), the values whose last reader it is. */
  private readonly deadAfter: number[][];
  private readonly outputIds: ReadonlySet<number>;
  private disposed = false;

  constructor(
    readonly tf: TF,
    readonly graph: Graph,
    opts: ExecutorOptions = {},
  ) {
    const freeze = opts.freeze ?? [];
    for (const p of graph.params) {
      const trainable = p.trainable && !freeze.some((prefix) => p.name.startsWith(prefix));
      const initial = tf.tensor(p.values(), [...p.shape], 'float32');
      this.vars.set(p.name, tf.variable(initial, trainable));
      initial.dispose();
    }
    for (const c of graph.constants) {
      if (c.origin.kind !== 'const') continue;
      this.constTensors.set(c.id, toTfTensor(tf, { dtype: c.dtype, dims: c.shape.map(Number), data: c.origin.data }, 'constant'));
    }
    for (const t of [...this.vars.values(), ...this.constTensors.values()]) this.external.add(t);
    this.outputIds = new Set(graph.outputs.map((o) => o.value.id));
    const lastUse = new Map<number, number>();
    graph.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v.id, i)));
    this.deadAfter = graph.nodes.map(() => []);
    for (const [id, i] of lastUse) if (!this.outputIds.has(id)) this.deadAfter[i].push(id);
  }

  /** Parameter variables by DSL module path. */
  get variables(): ReadonlyMap<string, tfjs.Variable> {
    return this.vars;
  }

  /** The variables an optimiser should update (frozen ones left out), in graph order. */
  trainableVariables(): tfjs.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  params(): readonly Param[] {
    return this.graph.params;
  }

  /**
   * Forward pass. Returns the requested outputs (default: all) as fresh tensors the caller disposes;
   * everything else made here is freed before returning. Differentiable: call it inside tf.grads or an
   * optimiser's loss closure.
   */
  run(feeds: Readonly<Record<string, Feed>>, outputs?: readonly string[]): Record<string, TFTensor> {
    if (this.disposed) throw new ExecutorError(`executor for graph '${this.graph.name}' was disposed`);
    const tf = this.tf;
    const wanted = outputs ?? this.graph.outputs.map((o) => o.name);
    for (const name of wanted)
      if (!this.graph.outputs.some((o) => o.name === name))
        throw new ExecutorError(`run: graph '${this.graph.name}' has no output '${name}'; it has ${this.graph.outputs.map((o) => o.name).join(', ')}`);

    // Tensors we made and must free, with how many live values still point at each (kernels may alias).
    const owned = new Map<TFTensor, number>();
    const env = new Map<number, TFTensor>();
    const bind = (v: Value, t: TFTensor, own: boolean) => {
      env.set(v.id, t);
      if (own) owned.set(t, (owned.get(t) ?? 0) + 1);
    };
    const release = (id: number) => {
      const t = env.get(id);
      env.delete(id);
      if (!t) return;
      const refs = owned.get(t);
      if (refs === undefined) return;
      if (refs > 1) owned.set(t, refs - 1);
      else {
        owned.delete(t);
        t.dispose();
      }
    };

    try {
      this.bindInputs(feeds, bind);
      const lookup = (v: Value, reader: string): TFTensor => {
        const o = v.origin;
        const t = o.kind === 'param' ? this.vars.get(o.param.name) : o.kind === 'const' ? this.constTensors.get(v.id) : env.get(v.id);
        if (!t) throw new ExecutorError(`run: ${reader} reads ${describeValue(v)} which has no value (graph not in topological order?)`);
        return t;
      };
      this.graph.nodes.forEach((node, i) => {
        const ins = node.inputs.map((v) => lookup(v, `node '${node.name}'`));
        const outs = runKernel(tf, node, ins);
        node.outputs.forEach((v, k) => {
          const t = outs[k];
          // A kernel that returns one of its inputs (or a variable) does not give us a tensor to own.
          const aliased = ins.includes(t) || this.external.has(t);
          bind(v, t, !aliased || owned.has(t));
        });
        for (const id of this.deadAfter[i]) release(id);
      });
      const result: Record<string, TFTensor> = {};
      for (const name of wanted) {
        const v = this.graph.outputs.find((o) => o.name === name)!.value;
        const t = lookup(v, `output '${name}'`);
        // The caller owns what we return: hand over our tensor, or a clone of a variable/constant/feed.
        if (owned.has(t) && !Object.values(result).includes(t)) {
          const refs = owned.get(t)!;
          if (refs > 1) owned.set(t, refs - 1);
          else owned.delete(t);
          result[name] = t;
        } else result[name] = tf.clone(t);
      }
      return result;
    } finally {
      for (const t of owned.keys()) t.dispose();
    }
  }

  /** Forward on host data, returning host data in the declared dtypes (for parity with ONNX Runtime). */
  async runHost(feeds: Readonly<Record<string, Feed>>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    const outs = this.run(feeds, outputs);
    try {
      const host: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(outs)) host[name] = await toHostTensor(t, this.graph.outputs.find((o) => o.name === name)!.value.dtype);
      return host;
    } finally {
      for (const t of Object.values(outs)) t.dispose();
    }
  }

  /** Current parameter values, by module path (copies). */
  readParams(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.vars) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  /** Copy trained values back into the graph's Params, so `emit(graph)` writes what was trained. */
  syncParams(): void {
    for (const p of this.graph.params) p.set(new Float32Array(this.vars.get(p.name)!.dataSync() as Float32Array));
  }

  /** Assign parameter values (e.g. from a checkpoint). Unknown names and size mismatches are errors. */
  loadParams(values: ReadonlyMap<string, Float32Array>, opts: { partial?: boolean } = {}): void {
    for (const [name, data] of values) {
      const v = this.vars.get(name);
      if (!v) throw new ExecutorError(`loadParams: graph '${this.graph.name}' has no parameter '${name}'`);
      if (data.length !== v.size) throw new ExecutorError(`loadParams: parameter '${name}' has ${v.size} values ${fmtShape(v.shape)}, got ${data.length}`);
    }
    if (!opts.partial) {
      const missing = [...this.vars.keys()].filter((n) => !values.has(n));
      if (missing.length)
        throw new ExecutorError(
          `loadParams: no values for parameter(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
        );
    }
    for (const [name, data] of values) {
      const v = this.vars.get(name)!;
      const t = this.tf.tensor(data, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    for (const t of this.constTensors.values()) t.dispose();
    this.vars.clear();
    this.constTensors.clear();
  }

  private bindInputs(feeds: Readonly<Record<string, Feed>>, bind: (v: Value, t: TFTensor, own: boolean) => void): void {
    const names = new Set(this.graph.inputs.map((i) => i.name));
    const unknown = Object.keys(feeds).filter((n) => !names.has(n));
    if (unknown.length)
      throw new ExecutorError(`run: unknown input(s) ${unknown.map((n) => `'${n}'`).join(', ')}; graph '${this.graph.name}' takes ${[...names].join(', ')}`);
    const bindings = new Map<string, number>();
    for (const { name, value } of this.graph.inputs) {
      const f = feeds[name];
      if (!f) throw new ExecutorError(`run: missing input '${name}' ${fmtShape(value.shape)}`);
      const dims = isTfTensor(f) ? f.shape : f.dims;
      checkFeedShape(name, value, dims, bindings);
      if (isTfTensor(f)) {
        if (f.dtype !== tfjsDType(value.dtype))
          throw new ExecutorError(`run: input '${name}' is ${f.dtype}, the graph declares ${value.dtype} (tfjs ${tfjsDType(value.dtype)})`);
        bind(value, f, false);
      } else {
        if (f.dtype !== value.dtype) throw new ExecutorError(`run: input '${name}' is ${f.dtype}, the graph declares ${value.dtype}`);
        bind(value, toTfTensor(this.tf, f, `input '${name}'`), true);
      }
    }
  }
}

/** Feed shapes must match the declared ones; a symbolic dim must take one value across all inputs. */
function checkFeedShape(name: string, v: Value, dims: readonly number[], bindings: Map<string, number>): void {
  const bad = () => new ExecutorError(`run: input '${name}' has shape ${fmtShape(dims)} but the graph declares ${fmtShape(v.shape)}`);
  if (dims.length !== v.shape.length) throw bad();
  v.shape.forEach((d, i) => {
    if (typeof d === 'number') {
      if (d !== dims[i]) throw bad();
    } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) {
      const seen = bindings.get(d);
      if (seen !== undefined && seen !== dims[i])
        throw new ExecutorError(`run: input '${name}' gives symbolic dim '${d}' = ${dims[i]}, an earlier input gave ${seen}`);
      bindings.set(d, dims[i]);
    }
  });
}

const isFloat = (d: string) => d === 'float32' || d === 'float16';

/** A node with one non-float output (a comparison, a cast to int) passes no gradient back. */
const carriesNoGradient = (node: Node, ins: readonly TFTensor[]): boolean => ins.length > 0 && node.outputs.length === 1 && !isFloat(node.outputs[0].dtype);

/**
 * tfjs registers no gradient for comparisons (Greater, Equal, ...) and its backprop throws when one lies
 * on a path from a trained tensor to the loss, e.g. `where(greater(x, 0), ...)`. Such an output carries
 * no gradient, so run the kernel inside a custom gradient that gives zeros (float32, as tfjs requires).
 */
function withZeroGradient(tf: TF, node: Node, ins: readonly TFTensor[]): TFTensor {
  const f = tf.customGrad(((...args: TFTensor[]) => {
    const xs = args.slice(0, ins.length);
    return { value: node.op.tfjs(tf, xs, node.attrs, node, tfjsKernels(tf))[0], gradFunc: () => xs.map((x) => tf.zeros(x.shape, 'float32')) };
  }) as never);
  return f(...(ins as TFTensor[])) as TFTensor;
}

function runKernel(tf: TF, node: Node, ins: TFTensor[]): TFTensor[] {
  let outs: TFTensor[];
  try {
    // tidy frees a kernel's own temporaries; the returned tensors survive.
    outs = tf.tidy(() => (carriesNoGradient(node, ins) ? [withZeroGradient(tf, node, ins)] : node.op.tfjs(tf, ins, node.attrs, node, tfjsKernels(tf))));
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    throw new ExecutorError(
      `tfjs kernel of ${node.op.type} '${node.name}' failed on ${tf.getBackend()}: ${msg}\n  inputs: ${node.inputs.map(describeValue).join(', ')} (actual ${ins.map((t) => fmtShape(t.shape)).join(', ')})\n  at ${node.source}`,
    );
  }
  if (outs.length !== node.outputs.length)
    throw new ExecutorError(
      `tfjs kernel of ${node.op.type} '${node.name}' returned ${outs.length} tensors for ${node.outputs.length} outputs\n  at ${node.source}`,
    );
  return outs;
}
