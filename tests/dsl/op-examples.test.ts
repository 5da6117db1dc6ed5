// Every op's own examples (the `examples` of its OpDef, src/dsl/examples.ts), found by reading the op modules:
// ONNX Runtime gives the declared shapes, tfjs agrees with ONNX Runtime, the tfjs gradient agrees with central
// differences, and the backward graph built from the op's vjp agrees with tfjs autodiff on ONNX Runtime and tfjs. So
// an op that declares examples is tested from its own file (docs/contributing.md, "How to add an op").
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/dsl/build.js';
import { evalShape } from '../../src/dsl/dim.js';
import type { OpExample } from '../../src/dsl/examples.js';
import type { OpDef, TF } from '../../src/dsl/graph.js';
import { Tensor, input } from '../../src/dsl/tensor.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import { emit } from '../../src/onnx/emit.js';
import { Model, type HostTensor } from '../../src/runtime/session.js';
import { checkGradients } from '../../src/testing/gradcheck.js';
import { checkVjp } from '../../src/testing/vjp-check.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { hashSeed, mulberry32 } from '../../src/util/rng.js';

const OPS_DIR = new URL('../../src/dsl/ops/', import.meta.url);
const isOpDef = (v: unknown): v is OpDef<unknown> => typeof v === 'object' && v !== null && 'type' in v && 'infer' in v && 'onnx' in v && 'tfjs' in v;

/** Every OpDef exported by src/dsl/ops/*.ts, with its examples. */
async function opsWithExamples(): Promise<{ file: string; op: OpDef<unknown> }[]> {
  const found: { file: string; op: OpDef<unknown> }[] = [];
  for (const file of readdirSync(OPS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(new URL(file, OPS_DIR).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isOpDef(v) && v.examples?.length) found.push({ file, op: v });
  }
  return found;
}

/** The example's graph and seeded float32 feeds. */
function instance(op: OpDef<unknown>, ex: OpExample) {
  const inputs = Object.fromEntries(Object.entries(ex.inputs).map(([name, shape]) => [name, input(name, [...shape])])) as Record<
    string,
    Tensor<Shape, 'float32'>
  >;
  const made = ex.apply(inputs);
  const outputs = made instanceof Tensor ? { y: made } : made;
  const graph = build({ name: `${op.type}: ${ex.name}`, inputs, outputs });
  const r = mulberry32(hashSeed(0, `${op.type}/${ex.name}`));
  const [lo, hi, positive] = ex.values === 'positive' ? [0.5, 2, true] : [0.2, 1.2, false];
  const feeds: Record<string, HostTensor> = Object.fromEntries(
    Object.entries(ex.inputs).map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return [
        name,
        { dtype: 'float32', dims: [...shape], data: Float32Array.from({ length: n }, () => (lo + (hi - lo) * r()) * (positive || r() < 0.5 ? 1 : -1)) },
      ];
    }),
  );
  return { graph, feeds };
}

const ops = await opsWithExamples();
let tf: TF;
beforeAll(async () => {
  tf = (await useBackend('wasm')).tf;
});

describe('op examples', () => {
  it('are found beside the ops (every op with a vjp among them is checked below)', () => {
    expect(ops.map(({ op }) => op.type)).toEqual(expect.arrayContaining(['Softmax', 'Flip', 'Pad', 'Expand', 'ReshapeLike']));
  });

  for (const { file, op } of ops)
    for (const ex of op.examples ?? [])
      describe(`${op.type} (${file}): ${ex.name}`, () => {
        it('ONNX Runtime gives the declared shapes, and tfjs the same values', async () => {
          const { graph, feeds } = instance(op, ex);
          const ort = await Model.runOnce(emit(graph), feeds);
          const exec = new TfjsExecutor(tf, graph);
          try {
            const viaTfjs = await exec.runHost(feeds);
            for (const o of graph.outputs) {
              expect(ort[o.name].dims, o.name).toEqual(evalShape(o.value.shape, {}));
              const [a, b] = [ort[o.name].data as Float32Array, viaTfjs[o.name].data as Float32Array];
              expect(b.length).toBe(a.length);
              for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${o.name}[${i}]`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(a[i]));
            }
          } finally {
            exec.dispose();
          }
        });

        it.skipIf(!op.vjp)("its gradient: tfjs == central differences; its vjp's backward graph on ONNX Runtime and tfjs == tfjs autodiff", async () => {
          const { graph, feeds } = instance(op, ex);
          const g = checkGradients({ tf, graph, feeds, wrt: ex.wrt });
          expect(g.checked).toBeGreaterThan(0);
          if (ex.noVjp) return;
          const v = await checkVjp({ tf, graph, feeds, finiteDifferences: { maxElements: 24 } });
          expect(v.fdChecked).toBeGreaterThan(0);
          expect(v.worstOrt).toBeLessThanOrEqual(1e-4);
          expect(v.worstTfjs).toBeLessThanOrEqual(1e-4);
        });
      });
});
