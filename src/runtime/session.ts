// A small typed wrapper over onnxruntime-node: load, run with named inputs, options, CPU fallback.
import type * as Ort from 'onnxruntime-node';
import type { DType, HostArray } from '../dsl/dtype.js';
import { cudaProviderStatus } from './cuda-libs.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  /** Threads inside one op (default: ONNX Runtime's choice, the number of cores). */
  readonly threads?: number;
  readonly interOpThreads?: number;
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Execution device; 'cuda' falls back to CPU with a one-line warning when unavailable. */
  readonly device?: Device;
  /** Called with the fallback warning (default: console.warn). */
  readonly warn?: (message: string) => void;
  /** Values for symbolic dims (e.g. { B: 8 }), so that ONNX Runtime plans with static shapes. */
  readonly dims?: Readonly<Record<string, number>>;
  /**
   * Whether idle pool threads spin-wait for work (ONNX Runtime's default: fastest on an idle machine; on a busy
   * one they take the cores the working threads need — a training step on 2 shared cores ran 2–3× slower).
   */
  readonly spinning?: boolean;
  /**
   * ONNX Runtime's memory pattern (default on): after the first run it allocates all intermediates as one planned
   * block — on top of what the first run left in its arena. Off, a training step of small peaked at 1.2 GB instead of 2.0.
   */
  readonly memoryPattern?: boolean;
}

export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: HostArray;
}

export interface IOInfo {
  readonly name: string;
}

// onnxruntime-node (its native binding) is loaded with the first model, not with this module: commands that run no
// model (`oneprompt --help`, compile, inspect) do not pay for it.
let ortModule: typeof Ort | undefined;
const loadOrt = async (): Promise<typeof Ort> => (ortModule ??= await import('onnxruntime-node'));

const ortType: Record<DType, Ort.Tensor.Type> = { float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64', bool: 'bool', uint8: 'uint8' };
const fromOrt: Partial<Record<string, DType>> = { float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64', bool: 'bool', uint8: 'uint8' };

export const hostTensor = (data: HostArray, dims: readonly number[], dtype: DType = 'float32'): HostTensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`hostTensor: ${data.length} values for dims [${dims.join(', ')}] (${n})`);
  return { data, dims, dtype };
};

export class Model {
  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    /** The device the session actually runs on after any fallback. */
    readonly device: Device,
  ) {}

  static async load(model: string | Uint8Array, opts: SessionOptions = {}): Promise<Model> {
    // onnxruntime-node rejects keys set to undefined, so only present options are passed.
    // Errors only: ONNX Runtime's warnings (e.g. constant folding skipped for float16 on the CPU) say nothing users can act on.
    const ort = await loadOrt();
    const base: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: opts.optimization ?? 'all', logSeverityLevel: 3 };
    if (opts.threads !== undefined) base.intraOpNumThreads = opts.threads;
    if (opts.interOpThreads !== undefined) base.interOpNumThreads = opts.interOpThreads;
    if (opts.dims !== undefined) base.freeDimensionOverrides = { ...opts.dims };
    if (opts.memoryPattern !== undefined) base.enableMemPattern = opts.memoryPattern;
    if (opts.spinning !== undefined)
      base.extra = { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' }, inter_op: { allow_spinning: opts.spinning ? '1' : '0' } } };
    if (opts.device === 'cuda') {
      const warn = (reason: string) =>
        (opts.warn ?? console.warn)(`warning: CUDA is not available (${reason}); running on CPU. See docs/cuda.md to enable it.`);
      // Without the provider libraries ONNX Runtime would fail anyway, after logging its own error.
      const { missing } = cudaProviderStatus();
      if (missing.length > 0) warn(`${missing.join(', ')} not installed; run npm run setup:cuda`);
      else
        try {
          const s = await create(ort, model, { ...base, executionProviders: ['cuda', 'cpu'] });
          return new Model(s, ort, 'cuda');
        } catch (e) {
          warn(
            String((e as Error).message ?? e)
              .split('\n')[0]
              .slice(0, 160),
          );
        }
    }
    return new Model(await create(ort, model, { ...base, executionProviders: ['cpu'] }), ort, 'cpu');
  }

  /** Load, run once and release: for a model run a single time (tests, probes). */
  static async runOnce(
    model: string | Uint8Array,
    feeds: Readonly<Record<string, HostTensor>>,
    opts: SessionOptions = { threads: 1 },
  ): Promise<Record<string, HostTensor>> {
    const m = await Model.load(model, opts);
    try {
      return await m.run(feeds);
    } finally {
      await m.release();
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Run with named inputs; returns every output by name, or those named in `outputs`. `into` gives outputs a
   * preallocated tensor each (ONNX Runtime writes there; the returned ones hold the same values).
   */
  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    outputs?: readonly string[],
    into?: Readonly<Record<string, HostTensor>>,
  ): Promise<Record<string, HostTensor>> {
    const missing = this.session.inputNames.filter((n) => !(n in feeds));
    if (missing.length)
      throw new Error(`run: missing input(s) ${missing.map((m) => `'${m}'`).join(', ')}; the model takes ${this.session.inputNames.join(', ')}`);
    const unknown = Object.keys(feeds).filter((n) => !this.session.inputNames.includes(n));
    if (unknown.length)
      throw new Error(`run: unknown input(s) ${unknown.map((m) => `'${m}'`).join(', ')}; the model takes ${this.session.inputNames.join(', ')}`);
    const { ort } = this;
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(ortType[t.dtype], t.data as never, [...t.dims]);
    const odd = (outputs ?? []).filter((n) => !this.session.outputNames.includes(n));
    if (odd.length) throw new Error(`run: unknown output(s) ${odd.map((m) => `'${m}'`).join(', ')}; the model gives ${this.session.outputNames.join(', ')}`);
    let res: Ort.InferenceSession.ReturnType;
    if (into) {
      const fetches: Record<string, Ort.Tensor | null> = {};
      for (const name of outputs ?? this.session.outputNames)
        fetches[name] = name in into ? new ort.Tensor(ortType[into[name].dtype], into[name].data as never, [...into[name].dims]) : null;
      res = await this.session.run(ortFeeds, fetches);
    } else res = outputs ? await this.session.run(ortFeeds, [...outputs]) : await this.session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(res)) {
      const dtype = fromOrt[t.type];
      if (!dtype) throw new Error(`run: output '${name}' has unsupported type ${t.type}`);
      out[name] = { dtype, dims: [...t.dims], data: t.data as HostArray };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

async function create(ort: typeof Ort, model: string | Uint8Array, opts: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}
