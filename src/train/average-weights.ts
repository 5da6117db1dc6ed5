// Weight averaging ("model soups", Wortsman et al., ICML 2022): runs fine-tuned from one starting point often lie in
// one basin of the loss, so the mean of their parameters can score above each of them, at no cost at inference.
// Only parameters are averaged; optimiser state (`__optimizer__…`) is left out, so the result is a weights file
// for `compile --weights` or `train --init`, not a checkpoint to resume.
import { OPTIMIZER_PREFIX } from './adam.js';
import { f32, readSafetensors, writeSafetensors, SafetensorsError, type SafeTensor } from '../util/safetensors.js';

/**
 * The weighted mean of the parameters in several safetensors files (each a checkpoint or a weights file).
 * Every file must hold the same parameter names with the same shapes, all F32; `weights` (default: equal)
 * are normalised to sum to 1.
 */
export function averageWeights(paths: readonly string[], weights?: readonly number[]): Map<string, SafeTensor> {
  if (paths.length === 0) throw new SafetensorsError('averageWeights: no files to average');
  const w = weights ?? paths.map(() => 1);
  if (w.length !== paths.length) throw new SafetensorsError(`averageWeights: ${w.length} weights for ${paths.length} files`);
  if (w.some((x) => !(x >= 0) || !Number.isFinite(x)) || w.every((x) => x === 0))
    throw new SafetensorsError(`averageWeights: weights must be finite, non-negative and not all zero; got ${w.join(', ')}`);
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  paths.forEach((path, k) => {
    const file = readSafetensors(path);
    const names = [...file.tensors.keys()].filter((n) => !n.startsWith(OPTIMIZER_PREFIX));
    if (k > 0) {
      const missing = [...out.keys()].filter((n) => !file.tensors.has(n));
      const extra = names.filter((n) => !out.has(n));
      if (missing.length || extra.length)
        throw new SafetensorsError(
          `${path}: parameters differ from ${paths[0]}${missing.length ? `; missing '${missing[0]}'${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}` : ''}${extra.length ? `; extra '${extra[0]}'${extra.length > 1 ? ` and ${extra.length - 1} more` : ''}` : ''} (a different config?)`,
        );
    }
    for (const name of names) {
      const t = file.tensors.get(name)!;
      if (t.dtype !== 'F32') throw new SafetensorsError(`${path}: '${name}' is ${t.dtype}, averaging reads F32`);
      let acc = out.get(name);
      if (!acc) out.set(name, (acc = { shape: t.shape, data: new Float32Array(t.data.length) }));
      else if (acc.shape.length !== t.shape.length || acc.shape.some((d, i) => d !== t.shape[i]))
        throw new SafetensorsError(`${path}: '${name}' has shape [${t.shape.join(', ')}], ${paths[0]} has [${acc.shape.join(', ')}]`);
      const share = w[k] / total;
      const src = t.data as Float32Array;
      for (let i = 0; i < src.length; i++) acc.data[i] += share * src[i];
    }
  });
  return new Map([...out].map(([name, t]) => [name, f32(t.data, t.shape)]));
}

/** Average `paths` into a weights file at `out` (written atomically), its metadata naming the sources. */
export function writeAveragedWeights(out: string, paths: readonly string[], weights?: readonly number[]): void {
  writeSafetensors(out, averageWeights(paths, weights), {
    averaged_from: paths.join(','),
    ...(weights ? { averaged_weights: weights.join(',') } : {}),
  });
}
