// Parity of the two executions of one graph: the tfjs forward (our kernels, what trains) and the ONNX
// Runtime forward of the emitted model (what deploys), on the same weights and inputs. Generic over a
// graph factory, so a model's parity test is one call:
//   await checkParity({ params: seedsAndBatches(), graph: ({ seed, batch }) => ({ graph: myModel(seed), bindings: { B: batch } }) });
import fc from 'fast-check';
import * as tfjs from '@tensorflow/tfjs';
import type { Graph } from '../dsl/build.js';
import type { TF } from '../dsl/graph.js';
import { emit } from '../onnx/emit.js';
import { Model, type HostTensor } from '../runtime/session.js';
import { TfjsExecutor } from '../train/tfjs/executor.js';
import { randomFeeds, type GraphInstance } from './shape-property.js';

export interface ParityInstance extends GraphInstance {
  /** Seed of the random feeds when `feeds` is not given (default 1). */
  readonly feedSeed?: number;
}

export interface ParitySpec<P> {
  readonly params: fc.Arbitrary<P>;
  readonly graph: (p: P) => ParityInstance | Graph;
  /** Allowed max |tfjs − ORT| / scale per output, scale = max(max |ORT output|, scaleFloor) (default 1e-4). */
  readonly tolerance?: number;
  /** Lower bound of the output scale, so near-zero outputs are compared absolutely (default 1e-3). */
  readonly scaleFloor?: number;
  /** tfjs with its backend already chosen (default: the imported tfjs, on whatever backend is active). */
  readonly tf?: TF;
  readonly numRuns?: number;
  readonly seed?: number;
  /** ONNX Runtime intra-op threads (default 1: tests share the machine). */
  readonly threads?: number;
}

export interface OutputDiff {
  readonly output: string;
  readonly maxAbsDiff: number;
  /** Where the largest difference is (flat index). */
  readonly at: number;
  readonly scale: number;
  /** maxAbsDiff / scale. */
  readonly relative: number;
}

export class ParityFailure extends Error {
  override name = 'ParityFailure';
}

/** Seeds and batch sizes: the usual parameters of a model parity test. */
export const seedsAndBatches = (maxBatch = 4): fc.Arbitrary<{ seed: number; batch: number }> =>
  fc.record({ seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), batch: fc.integer({ min: 1, max: maxBatch }) });

function diff(name: string, ort: HostTensor, tf: HostTensor, floor: number): OutputDiff {
  if (ort.dims.length !== tf.dims.length || ort.dims.some((d, i) => d !== tf.dims[i]))
    throw new ParityFailure(`output '${name}': ONNX Runtime returns shape [${ort.dims.join(', ')}], tfjs [${tf.dims.join(', ')}]`);
  let maxAbs = 0;
  let maxDiff = 0;
  let at = -1;
  for (let i = 0; i < ort.data.length; i++) {
    const a = Number(ort.data[i]);
    const b = Number(tf.data[i]);
    maxAbs = Math.max(maxAbs, Math.abs(a));
    const d = Math.abs(a - b);
    // NaN in one and not the other is a failure; NaN in both agrees.
    if (Number.isNaN(a) !== Number.isNaN(b)) return { output: name, maxAbsDiff: Infinity, at: i, scale: 1, relative: Infinity };
    if (d > maxDiff) {
      maxDiff = d;
      at = i;
    }
  }
  const scale = Math.max(maxAbs, floor);
  return { output: name, maxAbsDiff: maxDiff, at, scale, relative: maxDiff / scale };
}

/** Run one graph both ways on the same feeds; the differences per output. */
export async function compareForwards(
  graph: Graph,
  feeds: Readonly<Record<string, HostTensor>>,
  opts: { tf?: TF; scaleFloor?: number; threads?: number } = {},
): Promise<OutputDiff[]> {
  const tf = opts.tf ?? tfjs;
  const model = await Model.load(emit(graph), { threads: opts.threads ?? 1 });
  let ort: Record<string, HostTensor>;
  try {
    ort = await model.run(feeds);
  } finally {
    await model.release();
  }
  const ex = new TfjsExecutor(tf, graph);
  try {
    const mine = await ex.runHost(feeds);
    return graph.outputs.map((o) => diff(o.name, ort[o.name], mine[o.name], opts.scaleFloor ?? 1e-3));
  } finally {
    ex.dispose();
  }
}

/**
 * The property: for random parameters, every output of the tfjs forward agrees with ONNX Runtime's within
 * `tolerance` relative to the output's scale. Throws fast-check's counterexample with the worst output;
 * returns the worst difference seen (for printing).
 */
export async function checkParity<P>(spec: ParitySpec<P>): Promise<OutputDiff> {
  const tol = spec.tolerance ?? 1e-4;
  let worst: OutputDiff = { output: '', maxAbsDiff: 0, at: -1, scale: 1, relative: 0 };
  await fc.assert(
    fc.asyncProperty(spec.params, async (p) => {
      const made = spec.graph(p);
      const inst: ParityInstance = 'nodes' in made ? { graph: made } : made;
      const feeds = inst.feeds ?? randomFeeds(inst.graph, inst.bindings ?? {}, inst.feedSeed ?? 1);
      const diffs = await compareForwards(inst.graph, feeds, { tf: spec.tf, scaleFloor: spec.scaleFloor, threads: spec.threads });
      for (const d of diffs) {
        if (d.relative > worst.relative) worst = d;
        if (!(d.relative <= tol))
          throw new ParityFailure(
            `output '${d.output}' of graph '${inst.graph.name}': tfjs and ONNX Runtime differ by ${d.maxAbsDiff.toExponential(3)} at flat index ${d.at}, ${d.relative.toExponential(2)} of the output scale ${d.scale.toExponential(2)} (allowed ${tol})`,
          );
      }
    }),
    { numRuns: spec.numRuns ?? 8, seed: spec.seed ?? 42, endOnFailure: true },
  );
  return worst;
}
