// Checks of the gradient rules (`vjp`) for any graph. For L = Σ_outputs Σ r ⊙ y with random r (so that a
// wrong gradient cannot hide behind a sum of ones), the backward graph made by src/autodiff is emitted to
// ONNX and run on ONNX Runtime, and run on tfjs through each op's kernel (the gradient ops included); both
// are compared with tfjs autodiff through the forward kernels and, optionally, with central differences.
import type { Graph } from '../dsl/build.js';
import { build } from '../dsl/build.js';
import type { TF, TFTensor, Value } from '../dsl/graph.js';
import { input, wrap, type Tensor } from '../dsl/tensor.js';
import { mulberry32 } from '../util/rng.js';
import { fmtShape } from '../dsl/dim.js';
import { emit } from '../onnx/emit.js';
import { Model, type HostTensor } from '../runtime/session.js';
import { TfjsExecutor, toTfTensor } from '../train/tfjs/executor.js';
import { gradients, paramValues } from '../autodiff/grad.js';
import { gradOps } from '../autodiff/grad-ops.js';

export interface VjpCheckSpec {
  readonly tf: TF;
  readonly graph: Graph;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Also compare with central differences of the tfjs forward (default false: slower). */
  readonly finiteDifferences?: boolean | { readonly eps?: number; readonly atol?: number; readonly rtol?: number; readonly maxElements?: number };
  /** max |ours − tfjs autodiff| ≤ tolerance · max(1, max |tfjs autodiff|) per tensor (default 1e-4). */
  readonly tolerance?: number;
  readonly seed?: number;
}

export interface VjpCheckResult {
  /** Tensors (inputs and parameters) whose gradients were compared. */
  readonly tensors: readonly string[];
  /** Worst error relative to the tensor's scale, of ONNX Runtime and of the tfjs-run backward graph. */
  readonly worstOrt: number;
  readonly worstTfjs: number;
  /** Elements compared with central differences. */
  readonly fdChecked: number;
}

export class VjpCheckFailure extends Error {
  override name = 'VjpCheckFailure';
}

const gradName = (what: string) => `grad:${what}`;
/** Dims an input can declare: numbers and names. */
const plain = (v: Value) => v.shape.every((d) => typeof d === 'number' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(d));

export async function checkVjp(spec: VjpCheckSpec): Promise<VjpCheckResult> {
  const { tf, graph } = spec;
  const tol = spec.tolerance ?? 1e-4;
  const rnd = mulberry32(spec.seed ?? 7);
  const floatOutputs = graph.outputs.filter((o) => o.value.dtype === 'float32');
  if (!floatOutputs.length) throw new VjpCheckFailure(`graph '${graph.name}' has no float32 output`);
  const forward = new TfjsExecutor(tf, graph);
  try {
    // Output shapes of this instance, and the readout weights r.
    const outs = await forward.runHost(
      spec.feeds,
      floatOutputs.map((o) => o.name),
    );
    const readout: Record<string, HostTensor> = {};
    for (const o of floatOutputs) {
      const dims = outs[o.name].dims;
      readout[`readout_${o.name}`] = {
        dtype: 'float32',
        dims: plain(o.value) ? dims : [outs[o.name].data.length],
        data: Float32Array.from({ length: outs[o.name].data.length }, () => rnd() * 2 - 1),
      };
    }

    // The backward graph: L from readout inputs shaped like the outputs (symbolic dims stay symbolic).
    // A readout shaped like its output; flat and reshaped at run time where the output has dims like 'H+2' (not names).
    const rs = floatOutputs.map((o, k) => input(`readout_${o.name}`, plain(o.value) ? o.value.shape : [`R${k}`]));
    const shaped = (o: Value, r: Value) => (plain(o) ? r : gradOps.reshapeLike(r, o));
    const terms = floatOutputs.map((o, i) => gradOps.reduceSum(gradOps.mul(o.value, shaped(o.value, rs[i].value)), [...o.value.shape.keys()], false));
    const loss = terms.reduce((a, b) => gradOps.add(a, b));
    const inputsWrt = graph.inputs.filter((i) => i.value.dtype === 'float32');
    const params = new Map([...paramValues(graph)].map(([p, v]) => [p.name, v]));
    const wrt = [
      ...inputsWrt.map((i) => ({ name: `input '${i.name}'`, value: i.value })),
      ...[...params].map(([name, value]) => ({ name: `parameter '${name}'`, value })),
    ];
    const grads = gradients(
      loss,
      wrt.map((w) => w.value),
    );
    const outputs: Record<string, Tensor> = {};
    wrt.forEach((w, i) => {
      const g = grads[i];
      if (g) outputs[gradName(w.name)] = wrap(g);
    });
    const allInputs: Record<string, Tensor> = {};
    for (const i of graph.inputs) allInputs[i.name] = wrap(i.value);
    floatOutputs.forEach((o, i) => (allInputs[`readout_${o.name}`] = rs[i]));
    const feeds = { ...spec.feeds, ...readout };

    // Reference: tfjs autodiff through the forward kernels.
    const reference = new Map<string, Float32Array>();
    tf.engine().startScope();
    try {
      const lossOf = (f: Record<string, TFTensor | HostTensor>) => {
        for (const i of inputsWrt) if (!('dataId' in f[i.name])) f = { ...f, [i.name]: toTfTensor(tf, f[i.name] as HostTensor, i.name) };
        const ys = forward.run(
          f,
          floatOutputs.map((o) => o.name),
        );
        const l = floatOutputs
          .map((o) => tf.sum(tf.mul(ys[o.name], tf.reshape(toTfTensor(tf, readout[`readout_${o.name}`], 'readout'), ys[o.name].shape))))
          .reduce((a, b) => tf.add(a, b));
        // 0·Σx for each float input, so that tfjs accepts inputs read only for their shape (a zero gradient).
        return inputsWrt.reduce((s, i) => tf.add(s, tf.mul(tf.sum(f[i.name] as TFTensor), 0)), l);
      };
      if (inputsWrt.length) {
        const xs = inputsWrt.map((i) => toTfTensor(tf, spec.feeds[i.name], i.name));
        const gs = tf.grads((...vs: TFTensor[]) => lossOf({ ...spec.feeds, ...Object.fromEntries(inputsWrt.map((i, k) => [i.name, vs[k]])) }))(xs);
        inputsWrt.forEach((i, k) => reference.set(`input '${i.name}'`, gs[k].dataSync() as Float32Array));
      }
      if (params.size) {
        const vars = [...params.keys()].map((n) => forward.variables.get(n)!);
        const { grads: pg } = tf.variableGrads(() => lossOf({ ...spec.feeds }) as never, vars);
        for (const [name] of params) reference.set(`parameter '${name}'`, pg[forward.variables.get(name)!.name].dataSync() as Float32Array);
      }
    } finally {
      tf.engine().endScope();
    }

    const compare = (who: string, got: Record<string, HostTensor>): number => {
      let worst = 0;
      for (const w of wrt) {
        const ref = reference.get(w.name)!;
        const g = got[gradName(w.name)];
        let scale = 1;
        for (const v of ref) scale = Math.max(scale, Math.abs(v));
        let err = 0;
        if (!g) for (const v of ref) err = Math.max(err, Math.abs(v));
        else {
          if (g.data.length !== ref.length)
            throw new VjpCheckFailure(`graph '${graph.name}': ${who} gives d/d${w.name} ${g.data.length} values ${fmtShape(g.dims)}, tfjs ${ref.length}`);
          const data = g.data as Float32Array;
          for (let k = 0; k < ref.length; k++) err = Math.max(err, Math.abs(data[k] - ref[k]));
        }
        const rel = err / scale;
        if (!(rel <= tol))
          throw new VjpCheckFailure(
            `graph '${graph.name}': d/d${w.name} by ${who} differs from tfjs autodiff by ${err.toExponential(2)} (scale ${scale.toPrecision(3)}; allowed ${tol} of it)`,
          );
        worst = Math.max(worst, rel);
      }
      return worst;
    };

    // Nothing flows (floor): tfjs autodiff must say zero as well.
    let [worstOrt, worstTfjs] = [0, 0];
    if (Object.keys(outputs).length === 0) compare('autodiff (no gradient flows)', {});
    else {
      const backward = build({ name: `${graph.name}_grad`, inputs: allInputs, outputs });
      const model = await Model.load(emit(backward), { threads: 1 });
      try {
        worstOrt = compare('ONNX Runtime', await model.run(feeds));
      } finally {
        await model.release();
      }
      const tfBackward = new TfjsExecutor(tf, backward);
      try {
        worstTfjs = compare('the backward graph on tfjs', await tfBackward.runHost(feeds));
      } finally {
        tfBackward.dispose();
      }
    }

    const fdChecked = spec.finiteDifferences
      ? finiteDifferences(
          spec,
          forward,
          floatOutputs.map((o) => o.name),
          readout,
          reference,
          inputsWrt.map((i) => i.name),
          [...params.keys()],
        )
      : 0;
    return { tensors: wrt.map((w) => w.name), worstOrt, worstTfjs, fdChecked };
  } finally {
    forward.dispose();
  }
}

/** Central differences of L (float64 sums of the tfjs forward) against `reference` at evenly spread elements. */
function finiteDifferences(
  spec: VjpCheckSpec,
  ex: TfjsExecutor,
  outputs: readonly string[],
  readout: Readonly<Record<string, HostTensor>>,
  reference: ReadonlyMap<string, Float32Array>,
  inputs: readonly string[],
  params: readonly string[],
): number {
  const o = typeof spec.finiteDifferences === 'object' ? spec.finiteDifferences : {};
  const [eps, atol, rtol, maxEl] = [o.eps ?? 5e-3, o.atol ?? 5e-3, o.rtol ?? 2e-2, o.maxElements ?? 24];
  const loss = (feeds: Readonly<Record<string, HostTensor>>) => {
    const ys = ex.run(feeds, outputs);
    let sum = 0;
    for (const name of outputs) {
      const y = ys[name].dataSync() as Float32Array;
      const r = readout[`readout_${name}`].data as Float32Array;
      for (let i = 0; i < y.length; i++) sum += r[i] * y[i];
      ys[name].dispose();
    }
    return sum;
  };
  let checked = 0;
  const check = (what: string, n: number, at: (i: number, delta: number) => number) => {
    const analytic = reference.get(what)!;
    const picks = n <= maxEl ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: maxEl }, (_, k) => Math.floor((k * n) / maxEl));
    for (const i of picks) {
      const numeric = (at(i, eps) - at(i, -eps)) / (2 * eps);
      checked++;
      if (!(Math.abs(analytic[i] - numeric) <= atol + rtol * Math.max(Math.abs(analytic[i]), Math.abs(numeric))))
        throw new VjpCheckFailure(
          `graph '${spec.graph.name}': d/d${what}[${i}] is ${analytic[i]} (tfjs autodiff, equal to both backward graphs) but ${numeric} by central differences`,
        );
    }
  };
  for (const name of inputs) {
    const base = spec.feeds[name];
    check(`input '${name}'`, base.data.length, (i, d) => {
      const data = Float32Array.from(base.data as Float32Array);
      data[i] += d;
      return loss({ ...spec.feeds, [name]: { ...base, data } });
    });
  }
  for (const name of params) {
    const base = ex.variables.get(name)!.dataSync() as Float32Array;
    check(`parameter '${name}'`, base.length, (i, d) => {
      const data = Float32Array.from(base);
      data[i] += d;
      ex.loadParams(new Map([[name, data]]), { partial: true });
      const l = loss(spec.feeds);
      ex.loadParams(new Map([[name, base]]), { partial: true });
      return l;
    });
  }
  return checked;
}
