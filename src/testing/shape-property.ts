// Property-based shape testing, for our own ops and for users' graphs:
// build random instances of a graph factory and check that the shapes the DSL declares are
// the shapes ONNX Runtime returns (and, where Debian's python3-onnx is present, what ONNX's
// strict shape inference says), optionally with values against a plain reference.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../dsl/build.js';
import { evalShape, fmtShape } from '../dsl/dim.js';
import type { DType } from '../dsl/dtype.js';
import { mulberry32 } from '../util/rng.js';
import { emit } from '../onnx/emit.js';
import { checkModels, onnxCheckerAvailable } from '../onnx/check.js';
import { Model, type HostTensor } from '../runtime/session.js';

export interface GraphInstance {
  readonly graph: Graph;
  /** Values for the graph's symbolic dims in this instance (e.g. { B: 3 }). */
  readonly bindings?: Readonly<Record<string, number>>;
  /** Inputs to feed; default: seeded random values of the declared shapes. */
  readonly feeds?: Readonly<Record<string, HostTensor>>;
}

export interface ShapePropertySpec<P> {
  /** Random parameters of an instance (dims, options). */
  readonly params: fc.Arbitrary<P>;
  /** Build one instance. */
  readonly graph: (p: P) => GraphInstance | Graph;
  /** Expected output values from a plain reference, compared within `tolerance`. */
  readonly reference?: (p: P, feeds: Readonly<Record<string, HostTensor>>) => Record<string, ArrayLike<number>>;
  /** Max |actual − expected| allowed, relative to max(1, |expected|) (default 1e-5). */
  readonly tolerance?: number;
  readonly numRuns?: number;
  readonly seed?: number;
  /** Also run Debian's ONNX checker and strict shape inference (default: when installed). */
  readonly onnxChecker?: boolean;
}

/** Seeded random inputs in [-1, 1) (integers 0..3 for integer types, random bools). */
export function randomFeeds(graph: Graph, bindings: Readonly<Record<string, number>> = {}, seed = 1): Record<string, HostTensor> {
  const rnd = mulberry32(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const { name, value } of graph.inputs) {
    const dims = evalShape(value.shape, bindings);
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = { dtype: value.dtype, dims, data: randomArray(value.dtype, n, rnd) };
  }
  return feeds;
}

function randomArray(dtype: DType, n: number, rnd: () => number) {
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rnd() * 4)));
    case 'int32':
      return Int32Array.from({ length: n }, () => Math.floor(rnd() * 4));
    case 'bool':
    case 'uint8':
      return Uint8Array.from({ length: n }, () => (rnd() < 0.5 ? 0 : 1));
    case 'float16':
      throw new Error('randomFeeds: float16 inputs are not generated; pass feeds');
  }
}

export class ShapePropertyFailure extends Error {}

/** Check one instance now; returns the ONNX bytes for a later batch check. */
export async function checkInstance<P>(spec: ShapePropertySpec<P>, p: P): Promise<{ bytes: Uint8Array; graph: Graph }> {
  const made = spec.graph(p);
  const inst: GraphInstance = 'nodes' in made ? { graph: made } : made;
  const { graph } = inst;
  const bindings = inst.bindings ?? {};
  const bytes = emit(graph);
  const model = await Model.load(bytes, { threads: 1 });
  try {
    const feeds = inst.feeds ?? randomFeeds(graph, bindings);
    const out = await model.run(feeds);
    const expected = spec.reference?.(p, feeds);
    for (const o of graph.outputs) {
      const declared = evalShape(o.value.shape, bindings);
      const actual = out[o.name].dims;
      if (declared.length !== actual.length || declared.some((d, i) => d !== actual[i]))
        throw new ShapePropertyFailure(
          `output '${o.name}': the DSL declares ${fmtShape(o.value.shape)} = ${fmtShape(declared)} but ONNX Runtime returned ${fmtShape(actual)}`,
        );
      const exp = expected?.[o.name];
      if (exp) compareValues(o.name, out[o.name].data as ArrayLike<number>, exp, spec.tolerance ?? 1e-5);
    }
  } finally {
    await model.release();
  }
  return { bytes, graph };
}

function compareValues(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  if (actual.length !== expected.length) throw new ShapePropertyFailure(`output '${name}': ${actual.length} values, reference has ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= tol) && !(Number.isNaN(a) && Number.isNaN(e)))
      throw new ShapePropertyFailure(`output '${name}'[${i}]: ONNX Runtime gives ${a}, the reference ${e} (relative error ${err.toExponential(2)} > ${tol})`);
  }
}

/**
 * The property: for random parameters, declared output shapes == ONNX Runtime's shapes
 * (== ONNX strict shape inference's, where the checker is installed), and values == reference.
 * Throws with fast-check's counterexample on failure.
 */
export async function checkShapes<P>(spec: ShapePropertySpec<P>): Promise<void> {
  const useChecker = spec.onnxChecker ?? onnxCheckerAvailable();
  const dir = useChecker ? mkdtempSync(join(tmpdir(), 'oneprompt-prop-')) : '';
  const written: { path: string; graph: Graph }[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(spec.params, async (p) => {
        const { bytes, graph } = await checkInstance(spec, p);
        if (useChecker) {
          const path = join(dir, `m${written.length}.onnx`);
          writeFileSync(path, bytes);
          written.push({ path, graph });
        }
      }),
      { numRuns: spec.numRuns ?? 12, seed: spec.seed ?? 42, endOnFailure: true },
    );
    if (useChecker) {
      const results = checkModels(written.map((w) => w.path));
      results.forEach((r, i) => {
        const g = written[i].graph;
        if (!r.ok) throw new ShapePropertyFailure(`ONNX checker rejects the model of instance ${i}: ${r.error}`);
        for (const o of g.outputs) {
          const inferred = r.outputs[o.name];
          const declared = o.value.shape;
          if (!inferred || inferred.length !== declared.length || inferred.some((d, j) => d !== null && d !== declared[j]))
            throw new ShapePropertyFailure(
              `output '${o.name}': the DSL declares ${fmtShape(declared)} but ONNX shape inference says ${JSON.stringify(inferred)}`,
            );
        }
      });
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
