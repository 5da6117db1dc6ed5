// Training on ONNX Runtime: the training-step model (step-graph.ts) run once per step, the trained parameters
// and Adam's moments fed in and their updates read out. Two ways to hold that state, measured by bench/train.ts:
// 'copy' (default) keeps the output arrays ONNX Runtime allocates as the next step's inputs (no copy by us);
// 'bind' keeps two sets of buffers and has ONNX Runtime write into the other set (preallocated outputs), the
// sets trading places each step. In onnxruntime-node 1.30 the two measured within the noise of this shared
// machine (bind/copy from 0.9 to 1.07 across runs on tiny and small): its binding copies into preallocated
// outputs rather than letting the kernels write there, so binding saves nothing; 'copy' is the simpler.
import type { Graph } from '../../dsl/build.js';
import type { Param } from '../../dsl/params.js';
import { Model, type Device, type HostTensor } from '../../runtime/session.js';
import { momentName, OPTIMIZER_PREFIX } from '../adam.js';
import type { Batch, EngineStepReport, TrainEngine } from '../engine.js';
import { emitTrainingStep } from './emit-step.js';
import { ADAM_STEP_INPUT, buildTrainingStep, REPORT_OUTPUTS, STEP_INPUT, TARGET_INPUT, type TrainingStep, type TrainingStepSpec } from './step-graph.js';

export interface OrtEngineOptions extends TrainingStepSpec {
  readonly device?: Device;
  /** ONNX Runtime threads inside an op (default: its choice, the number of cores). */
  readonly threads?: number;
  /** Idle threads spin-wait (default false: a training step usually shares its cores; see SessionOptions.spinning). */
  readonly spinning?: boolean;
  /**
   * The batch size the step is planned for with static shapes (ONNX Runtime's free-dimension override of
   * 'B'); a batch of another size gets a session of its own. Default: symbolic.
   */
  readonly batch?: number;
  /** 'copy' (default): ONNX Runtime allocates the outputs, kept as the next state; 'bind': preallocated double buffers. */
  readonly io?: 'bind' | 'copy';
  /** Where the CUDA fallback warning goes. */
  readonly warn?: (message: string) => void;
}

export class OrtEngineError extends Error {
  override name = 'OrtEngineError';
}

/** The ONNX training-step model for a graph and its settings (what OrtEngine runs). */
export function trainingStepModel(o: TrainingStepSpec): { step: TrainingStep; bytes: Uint8Array } {
  const step = buildTrainingStep(o);
  return { step, bytes: emitTrainingStep(step, { metadata: { purpose: 'training step', model: o.graph.name } }) };
}

const symbolicDims = (graph: Graph): Set<string> => new Set(graph.inputs.flatMap((i) => i.value.shape.filter((d): d is string => typeof d === 'string')));

export class OrtEngine implements TrainEngine {
  /** The state the next step reads: trained parameters and moments by input name. */
  private front = new Map<string, Float32Array>();
  /** Where the next step writes ('bind'). */
  private back = new Map<string, Float32Array>();
  private adamStep = 0;

  /** Sessions by the batch size they are planned for (0: symbolic). */
  private readonly models = new Map<number, Model>();

  private constructor(
    private readonly o: OrtEngineOptions,
    model: Model,
    private readonly bytes: Uint8Array,
    private readonly stepModel: TrainingStep,
    private readonly shapes: ReadonlyMap<string, readonly number[]>,
  ) {
    this.models.set(o.batch ?? 0, model);
    for (const p of stepModel.trainable) {
      const zeros = () => new Float32Array(p.size);
      this.front.set(p.name, Float32Array.from(p.values()));
      this.front.set(momentName('m', p.name), zeros());
      this.front.set(momentName('v', p.name), zeros());
    }
    if (this.io === 'bind') for (const [name, data] of this.front) this.back.set(name, new Float32Array(data.length));
  }

  static async create(o: OrtEngineOptions): Promise<OrtEngine> {
    const { step, bytes } = trainingStepModel(o);
    const model = await OrtEngine.session(o, bytes, o.batch ?? 0);
    const shapes = new Map<string, readonly number[]>();
    for (const p of step.trainable) for (const name of [p.name, momentName('m', p.name), momentName('v', p.name)]) shapes.set(name, p.shape);
    return new OrtEngine(o, model, bytes, step, shapes);
  }

  private static session(o: OrtEngineOptions, bytes: Uint8Array, batch: number): Promise<Model> {
    const dims = batch && symbolicDims(o.graph).has('B') ? { B: batch } : undefined;
    // No memory pattern: with it a step's peak memory was 1.7× (SessionOptions.memoryPattern), at the same speed.
    return Model.load(bytes, {
      device: o.device ?? 'cpu',
      threads: o.threads,
      optimization: 'all',
      dims,
      spinning: o.spinning ?? false,
      memoryPattern: false,
      warn: o.warn,
    });
  }

  private async modelFor(batch: number): Promise<Model> {
    const key = this.o.batch === undefined ? 0 : batch;
    let m = this.models.get(key);
    if (!m) this.models.set(key, (m = await OrtEngine.session(this.o, this.bytes, key)));
    return m;
  }

  private get io(): 'bind' | 'copy' {
    return this.o.io ?? 'copy';
  }

  /** The device the step runs on (after any CUDA fallback). */
  get device(): Device {
    return [...this.models.values()][0].device;
  }

  get trainable(): readonly Param[] {
    return this.stepModel.trainable;
  }

  /** Trained parameters the loss does not reach (no gradient): they keep their values. */
  get untouched(): readonly Param[] {
    return this.stepModel.untouched;
  }

  get optimizerStep(): number {
    return this.adamStep;
  }

  async step(batch: Batch, step: number): Promise<EngineStepReport> {
    const feeds: Record<string, HostTensor> = { ...batch.inputs, [TARGET_INPUT]: batch.target };
    feeds[STEP_INPUT] = { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(step)) };
    feeds[ADAM_STEP_INPUT] = { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(this.adamStep)) };
    const tensor = (name: string, data: Float32Array): HostTensor => ({ dtype: 'float32', dims: this.shapes.get(name)!, data });
    for (const [name, data] of this.front) feeds[name] = tensor(name, data);
    let into: Record<string, HostTensor> | undefined;
    if (this.io === 'bind') {
      into = {};
      for (const [name, data] of this.back) into[this.stepModel.updates.get(name)!] = tensor(name, data);
    }
    const out = await (await this.modelFor(batch.target.dims[0])).run(feeds, undefined, into);
    if (this.io === 'bind') [this.front, this.back] = [this.back, this.front];
    else for (const name of this.front.keys()) this.front.set(name, out[this.stepModel.updates.get(name)!].data as Float32Array);
    this.adamStep++;
    const [loss, crossEntropy, diceLoss, dice, lr] = REPORT_OUTPUTS.map((n) => (out[n].data as Float32Array)[0]);
    return { loss, crossEntropy, diceLoss, dice, lr };
  }

  readParams(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const p of this.o.graph.params) out.set(p.name, Float32Array.from(this.front.get(p.name) ?? p.values()));
    return out;
  }

  optimizerState(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, data] of this.front) if (name.startsWith(OPTIMIZER_PREFIX)) out.set(name, Float32Array.from(data));
    return out;
  }

  loadState(params: ReadonlyMap<string, Float32Array>, optimizer: ReadonlyMap<string, Float32Array>, optimizerStep: number): void {
    if (!Number.isInteger(optimizerStep) || optimizerStep < 0)
      throw new OrtEngineError(`loadState: the optimiser step must be a non-negative integer, got ${optimizerStep}`);
    const trained = new Set(this.stepModel.trainable.map((p) => p.name));
    for (const p of this.o.graph.params) {
      const data = params.get(p.name);
      if (!data) throw new OrtEngineError(`loadState: no values for parameter '${p.name}'`);
      if (data.length !== p.size) throw new OrtEngineError(`loadState: parameter '${p.name}' has ${p.size} values, got ${data.length}`);
      // Frozen parameters are constants of the step model: they must be the values it was built with.
      if (
        !trained.has(p.name) &&
        !Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.from(p.values().buffer, p.values().byteOffset, p.values().byteLength))
      )
        throw new OrtEngineError(`loadState: frozen parameter '${p.name}' differs from the value the training step was built with`);
    }
    for (const name of this.front.keys()) {
      const data = trained.has(name) ? params.get(name)! : optimizer.get(name);
      if (!data) throw new OrtEngineError(`loadState: the checkpoint has no '${name}' (was '${name.slice(OPTIMIZER_PREFIX.length + 2)}' frozen or renamed?)`);
      if (data.length !== this.front.get(name)!.length)
        throw new OrtEngineError(`loadState: '${name}' has ${data.length} values, expected ${this.front.get(name)!.length}`);
      this.front.set(name, Float32Array.from(data));
    }
    this.adamStep = optimizerStep;
  }

  syncParams(): void {
    for (const p of this.stepModel.trainable) p.set(Float32Array.from(this.front.get(p.name)!));
  }

  async dispose(): Promise<void> {
    for (const m of this.models.values()) await m.release();
    this.models.clear();
  }
}
