// Gradient checks for any graph: tfjs autodiff through our kernels vs central finite differences of
// the same forward, for a random linear functional L = Σ r·y of the outputs (random weights so that a
// wrong gradient cannot hide behind a sum of ones). Inputs and parameters both get checked.
import type { Graph } from '../dsl/build.js';
import type { TF, TFTensor } from '../dsl/graph.js';
import { mulberry32 } from '../util/rng.js';
import type { HostTensor } from '../runtime/session.js';
import { TfjsExecutor, toTfTensor } from '../train/tfjs/executor.js';

export interface GradCheckSpec {
  readonly tf: TF;
  readonly graph: Graph;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Float inputs to differentiate (default: every float32 input). */
  readonly wrt?: readonly string[];
  /** Also check parameter gradients (default true). */
  readonly params?: boolean;
  /** Finite-difference step (default 5e-3: float32 forwards need a coarse step). */
  readonly eps?: number;
  /** |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) (defaults 5e-3 and 2e-2). */
  readonly atol?: number;
  readonly rtol?: number;
  /** At most this many elements per tensor are perturbed (spread evenly; default 48). */
  readonly maxElements?: number;
  readonly seed?: number;
}

export interface GradCheckResult {
  /** Elements compared. */
  readonly checked: number;
  /** The worst element: its tensor, index, both gradients and error/allowed. */
  readonly worst: { readonly tensor: string; readonly index: number; readonly analytic: number; readonly numeric: number; readonly ratio: number };
}

export class GradCheckFailure extends Error {
  override name = 'GradCheckFailure';
}

export function checkGradients(spec: GradCheckSpec): GradCheckResult {
  const { tf, graph } = spec;
  const eps = spec.eps ?? 5e-3;
  const atol = spec.atol ?? 5e-3;
  const rtol = spec.rtol ?? 2e-2;
  const maxEl = spec.maxElements ?? 48;
  const rnd = mulberry32(spec.seed ?? 11);
  const wrt = spec.wrt ?? graph.inputs.filter((i) => i.value.dtype === 'float32').map((i) => i.name);
  const floatOutputs = graph.outputs.filter((o) => o.value.dtype === 'float32').map((o) => o.name);
  if (floatOutputs.length === 0) throw new GradCheckFailure(`graph '${graph.name}' has no float32 output to differentiate`);

  const ex = new TfjsExecutor(tf, graph);
  const weights = new Map<string, Float64Array>();
  // L in float64 from a host forward, and the same L as a tfjs scalar for autodiff.
  const hostLoss = (feeds: Readonly<Record<string, HostTensor>>): number => {
    const outs = ex.run(feeds, floatOutputs);
    let sum = 0;
    for (const name of floatOutputs) {
      const y = outs[name].dataSync() as Float32Array;
      let r = weights.get(name);
      if (!r) weights.set(name, (r = Float64Array.from({ length: y.length }, () => rnd() * 2 - 1)));
      for (let i = 0; i < y.length; i++) sum += r[i] * y[i];
      outs[name].dispose();
    }
    return sum;
  };
  const tfLoss = (feeds: Record<string, TFTensor | HostTensor>): TFTensor => {
    const outs = ex.run(feeds, floatOutputs);
    return floatOutputs
      .map((name) => tf.sum(tf.mul(outs[name], tf.tensor(Float32Array.from(weights.get(name)!), outs[name].shape))))
      .reduce((a, b) => tf.add(a, b));
  };

  let checked = 0;
  let worst: GradCheckResult['worst'] = { tensor: '', index: -1, analytic: 0, numeric: 0, ratio: 0 };
  const compare = (tensor: string, analytic: Float32Array, perturbed: (index: number, delta: number) => number) => {
    const n = analytic.length;
    const picks = n <= maxEl ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: maxEl }, (_, k) => Math.floor((k * n) / maxEl));
    for (const i of picks) {
      const numeric = (perturbed(i, eps) - perturbed(i, -eps)) / (2 * eps);
      const a = analytic[i];
      const ratio = Math.abs(a - numeric) / (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
      checked++;
      if (ratio > worst.ratio || worst.index < 0) worst = { tensor, index: i, analytic: a, numeric, ratio };
      if (!(ratio <= 1))
        throw new GradCheckFailure(
          `graph '${graph.name}': dL/d${tensor}[${i}] is ${a} by tfjs autodiff but ${numeric} by central differences (eps ${eps}); error ${Math.abs(a - numeric).toExponential(2)} exceeds ${atol} + ${rtol}·|g|`,
        );
    }
  };

  try {
    hostLoss(spec.feeds); // draws the output weights
    // Inputs.
    if (wrt.length) {
      const xs = wrt.map((name) => {
        const f = spec.feeds[name];
        if (!f || f.dtype !== 'float32') throw new GradCheckFailure(`checkGradients: '${name}' is not a float32 feed`);
        return toTfTensor(tf, f, name);
      });
      const g = tf.grads((...vs: TFTensor[]) => tfLoss({ ...spec.feeds, ...Object.fromEntries(wrt.map((n, k) => [n, vs[k]])) }))(xs);
      const analytic = g.map((t) => t.dataSync() as Float32Array);
      tf.dispose([...xs, ...g]);
      wrt.forEach((name, k) => {
        const base = spec.feeds[name];
        compare(`input '${name}'`, analytic[k], (i, d) => {
          const data = Float32Array.from(base.data as Float32Array);
          data[i] += d;
          return hostLoss({ ...spec.feeds, [name]: { ...base, data } });
        });
      });
    }
    // Parameters.
    if (spec.params !== false && ex.variables.size) {
      const vars = [...ex.variables];
      const { value, grads } = tf.variableGrads(
        () => tfLoss({ ...spec.feeds }) as never,
        vars.map(([, v]) => v),
      );
      const analytic = new Map(vars.map(([name, v]) => [name, grads[v.name].dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);
      for (const [name] of vars) {
        const base = ex.variables.get(name)!.dataSync() as Float32Array;
        compare(`parameter '${name}'`, analytic.get(name)!, (i, d) => {
          const data = Float32Array.from(base);
          data[i] += d;
          ex.loadParams(new Map([[name, data]]), { partial: true });
          const l = hostLoss(spec.feeds);
          ex.loadParams(new Map([[name, base]]), { partial: true });
          return l;
        });
      }
    }
  } finally {
    ex.dispose();
  }
  return { checked, worst };
}
