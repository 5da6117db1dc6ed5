// Training checkpoints in safetensors: parameters under their DSL module paths (so the file doubles as a
// weights file for `compile --weights`), Adam's moments under `__optimizer__.adam.{m,v}.<path>`, and the
// step, optimiser step and data-order RNG state in `__metadata__`.
import type { Param } from '../dsl/params.js';
import { OPTIMIZER_PREFIX } from './adam.js';
import { f32, readSafetensors, writeSafetensors, SafetensorsError, type SafeTensor } from '../util/safetensors.js';

export const CHECKPOINT_FORMAT = 'oneprompt-checkpoint/1';

export interface TrainingState {
  /** Steps completed. */
  readonly step: number;
  /** The data-order generator's state after `step` steps. */
  readonly rngState: number;
  readonly optimizerStep: number;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly optimizer: ReadonlyMap<string, Float32Array>;
  /** Anything else the caller wants to check on resume (config name, batch size, ...). */
  readonly extra: Readonly<Record<string, string>>;
}

const RESERVED = ['format', 'step', 'data_rng_state', 'optimizer', 'optimizer_step'];

export function saveCheckpoint(path: string, state: TrainingState, shapes: ReadonlyMap<string, readonly number[]>): void {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, data] of state.params) {
    const shape = shapes.get(name);
    if (!shape) throw new SafetensorsError(`saveCheckpoint: no shape known for parameter '${name}'`);
    tensors.set(name, f32(data, shape));
  }
  for (const [name, data] of state.optimizer) {
    const param = name.slice(OPTIMIZER_PREFIX.length + 2);
    tensors.set(name, f32(data, shapes.get(param) ?? [data.length]));
  }
  for (const k of Object.keys(state.extra)) if (RESERVED.includes(k)) throw new SafetensorsError(`saveCheckpoint: metadata key '${k}' is reserved`);
  writeSafetensors(path, tensors, {
    ...state.extra,
    format: CHECKPOINT_FORMAT,
    step: String(state.step),
    data_rng_state: String(state.rngState >>> 0),
    optimizer: 'adam',
    optimizer_step: String(state.optimizerStep),
  });
}

const int = (meta: Record<string, string>, key: string, path: string): number => {
  const v = Number(meta[key]);
  if (meta[key] === undefined || !Number.isSafeInteger(v) || v < 0)
    throw new SafetensorsError(`${path}: metadata '${key}' is ${JSON.stringify(meta[key])}, expected a non-negative integer`);
  return v;
};

export function loadCheckpoint(path: string): TrainingState {
  const file = readSafetensors(path);
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT)
    throw new SafetensorsError(
      `${path}: not a training checkpoint (metadata format is ${JSON.stringify(meta.format)}, expected '${CHECKPOINT_FORMAT}'); a weights-only file can be loaded with loadWeights`,
    );
  const params = new Map<string, Float32Array>();
  const optimizer = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new SafetensorsError(`${path}: tensor '${name}' is ${t.dtype}, checkpoints hold F32`);
    (name.startsWith(OPTIMIZER_PREFIX) ? optimizer : params).set(name, t.data as Float32Array);
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (!RESERVED.includes(k)) extra[k] = v;
  return {
    step: int(meta, 'step', path),
    rngState: int(meta, 'data_rng_state', path),
    optimizerStep: int(meta, 'optimizer_step', path),
    params,
    optimizer,
    extra,
  };
}

/**
 * Parameter values from a safetensors file (a checkpoint or a weights-only file) into a model's Params,
 * so that emitting the graph afterwards writes these weights into ONNX. Names are DSL module paths;
 * every Param must be present with its shape; optimiser entries are ignored.
 */
export function loadWeights(path: string, params: readonly Param[]): void {
  const file = readSafetensors(path);
  const byName = new Map(params.map((p) => [p.name, p]));
  const missing = params.filter((p) => !file.tensors.has(p.name)).map((p) => p.name);
  if (missing.length)
    throw new SafetensorsError(
      `${path}: no weights for ${missing
        .slice(0, 5)
        .map((m) => `'${m}'`)
        .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
    );
  const unknown = [...file.tensors.keys()].filter((n) => !n.startsWith('__') && !byName.has(n));
  if (unknown.length)
    throw new SafetensorsError(
      `${path}: weights ${unknown
        .slice(0, 5)
        .map((m) => `'${m}'`)
        .join(', ')} match no parameter of this model (a different config?)`,
    );
  for (const p of params) {
    const t = file.tensors.get(p.name)!;
    if (t.dtype !== 'F32') throw new SafetensorsError(`${path}: '${p.name}' is ${t.dtype}, expected F32`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new SafetensorsError(`${path}: '${p.name}' has shape [${t.shape.join(', ')}], the model declares [${p.shape.join(', ')}]`);
    p.set(t.data as Float32Array);
  }
}
