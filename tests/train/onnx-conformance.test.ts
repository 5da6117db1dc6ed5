// Our tfjs kernels against ONNX's backend node tests (Debian libonnx-testdata): for every ONNX op type
// with an entry in ONNX_TO_DSL, build the one-node DSL graph, run it on tfjs and compare with the
// expected outputs. Prints the ops covered and each skipped test with its reason.
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { build } from '../../src/dsl/build.js';
import { BuildShapeError } from '../../src/dsl/graph.js';
import { RuleError } from '../../src/dsl/dim.js';
import { input, type Tensor } from '../../src/dsl/tensor.js';
import type { Shape } from '../../src/dsl/types/shape.js';
import type { DType } from '../../src/dsl/dtype.js';
import type { HostTensor } from '../../src/runtime/session.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import type { TF } from '../../src/dsl/graph.js';
import { listNodeTests, loadNodeTest, NodeAttributes, nodeTestOpTypes, ONNX_NODE_TEST_DIR, type NodeTestCase } from '../../src/testing/onnx-node-tests.js';
import { ONNX_TO_DSL, Unsupported, type NodeInput } from './onnx-conformance-table.js';

const RTOL = 1e-3;
const ATOL = 1e-6;

type Outcome = { kind: 'pass' } | { kind: 'skip'; reason: string } | { kind: 'fail'; reason: string };

function numbers(h: HostTensor): number[] {
  return Array.from(h.data as ArrayLike<number | bigint>, (v) => Number(v));
}

function compare(name: string, got: HostTensor, want: HostTensor): string | undefined {
  if (got.dims.join() !== want.dims.join()) return `${name}: shape [${got.dims.join(', ')}], expected [${want.dims.join(', ')}]`;
  if (got.dtype !== want.dtype) return `${name}: dtype ${got.dtype}, expected ${want.dtype}`;
  const a = numbers(got);
  const b = numbers(want);
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) continue; // also equal infinities
    if (!(Math.abs(a[i] - b[i]) <= ATOL + RTOL * Math.abs(b[i]))) return `${name}[${i}] = ${a[i]}, expected ${b[i]}`;
  }
  return undefined;
}

async function runCase(tf: TF, c: NodeTestCase): Promise<Outcome> {
  const e = ONNX_TO_DSL[c.opType];
  if (c.nodeCount !== 1) return { kind: 'skip', reason: `expanded function body (${c.nodeCount} nodes)` };
  if (c.domain && c.domain !== 'ai.onnx') return { kind: 'skip', reason: `domain ${c.domain}` };
  const at = new NodeAttributes(c.node.attribute ?? []);
  const unknown = at.names().filter((n) => !e.attrs.includes(n));
  if (unknown.length) return { kind: 'skip', reason: `attribute ${unknown.join(', ')} is not supported by the DSL op` };
  for (const [i, x] of c.inputs.entries()) if (x && !x.ok) return { kind: 'skip', reason: `input ${i}: ${x.reason}` };
  for (const [i, x] of c.outputs.entries()) if (!x.ok) return { kind: 'skip', reason: `output ${i}: ${x.reason}` };

  const graphInputs: Record<string, Tensor<Shape, DType>> = {};
  const feeds: Record<string, HostTensor> = {};
  const ins: (NodeInput | undefined)[] = c.inputs.map((x, i) => {
    if (!x || !x.ok) return undefined;
    const host = x.tensor;
    let t: Tensor<Shape, DType> | undefined;
    return {
      host,
      t: () => {
        if (!t) {
          t = input(`in${i}`, host.dims as Shape, host.dtype);
          graphInputs[`in${i}`] = t;
          feeds[`in${i}`] = host;
        }
        return t;
      },
      numbers: () => numbers(host),
    };
  });
  let outs: Tensor<Shape, DType>[];
  try {
    const made = e.make({ ins, at, nOutputs: c.outputs.length, opset: c.opset });
    outs = Array.isArray(made) ? made : [made];
  } catch (err) {
    if (err instanceof Unsupported) return { kind: 'skip', reason: err.message };
    if (err instanceof BuildShapeError || err instanceof RuleError) return { kind: 'skip', reason: `the DSL rejects it: ${err.message.split('\n')[0]}` };
    throw err;
  }
  if (outs.length > c.outputs.length || (outs.length < c.outputs.length && !e.fewerOutputs))
    return { kind: 'fail', reason: `the DSL call made ${outs.length} outputs, ONNX expects ${c.outputs.length}` };
  const graph = build({ name: c.name, inputs: graphInputs, outputs: Object.fromEntries(outs.map((o, k) => [`out${k}`, o])) });
  const ex = new TfjsExecutor(tf, graph);
  try {
    const got = await ex.runHost(feeds);
    for (const [k, want] of c.outputs.slice(0, outs.length).entries()) {
      if (!want.ok) continue;
      const problem = compare(`output ${k}`, got[`out${k}`], want.tensor);
      if (problem) return { kind: 'fail', reason: problem };
    }
    return { kind: 'pass' };
  } catch (err) {
    return { kind: 'fail', reason: String((err as Error).message).split('\n')[0] };
  } finally {
    ex.dispose();
  }
}

/** DSL op types whose files declare `type: 'X'` (a hint for ops that landed without a table entry). */
function dslOpTypes(): Set<string> {
  const dir = new URL('../../src/dsl/ops/', import.meta.url);
  const types = new Set<string>();
  for (const f of readdirSync(dir))
    if (f.endsWith('.ts')) for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/\btype: '([A-Z][A-Za-z]+)'/g)) types.add(m[1]);
  return types;
}

describe.skipIf(!existsSync(ONNX_NODE_TEST_DIR))('tfjs kernels pass ONNX backend node tests (libonnx-testdata)', () => {
  let tf: TF;
  beforeAll(async () => {
    tf = (await useBackend('wasm')).tf;
  });

  it('every mapped op type: our kernel output == ONNX expected output', async () => {
    const results = new Map<string, { op: string; outcome: Outcome }>();
    const withTests = new Set<string>();
    for (const name of listNodeTests()) {
      const ops = nodeTestOpTypes(name);
      for (const op of new Set(ops)) withTests.add(op);
      if (!(ops[0] in ONNX_TO_DSL)) continue;
      // Expanded tests run an op's function body (several nodes), not the op: listed, not counted for it.
      const op = ops.length === 1 ? ops[0] : '(expanded)';
      results.set(name, { op, outcome: await runCase(tf, loadNodeTest(name)) });
    }

    const byOp = new Map<string, { pass: number; skip: number; fail: number }>();
    for (const { op, outcome } of results.values()) {
      if (op === '(expanded)') continue;
      const s = byOp.get(op) ?? { pass: 0, skip: 0, fail: 0 };
      s[outcome.kind]++;
      byOp.set(op, s);
    }
    const covered = [...byOp].filter(([, s]) => s.pass > 0).map(([op, s]) => `${op} (${s.pass}${s.skip ? `, ${s.skip} skipped` : ''})`);
    const lines = [
      `ONNX node-test conformance on tfjs ${tf.getBackend()}: ${results.size} tests of ${byOp.size} op types`,
      `covered (${covered.length}): ${covered.join(', ')}`,
    ];
    const noPass = [...byOp].filter(([, s]) => s.pass === 0).map(([op]) => op);
    if (noPass.length) lines.push(`mapped but no runnable test: ${noPass.join(', ')}`);
    const skipped = [...results].filter(([, r]) => r.outcome.kind === 'skip');
    lines.push(`skipped (${skipped.length}):`, ...skipped.map(([n, r]) => `  ${n}: ${(r.outcome as { reason: string }).reason}`));
    const partial = Object.entries(ONNX_TO_DSL).filter(([op, e]) => e.fewerOutputs && byOp.has(op));
    if (partial.length) lines.push(...partial.map(([op, e]) => `${op}: only the first output is compared (${e.fewerOutputs})`));
    const unmapped = [...dslOpTypes()].filter((t) => withTests.has(t) && !(t in ONNX_TO_DSL));
    if (unmapped.length) lines.push(`DSL op types with ONNX tests but no ONNX_TO_DSL entry yet: ${unmapped.sort().join(', ')}`);
    const failed = [...results].filter(([, r]) => r.outcome.kind === 'fail').map(([n, r]) => `${n}: ${(r.outcome as { reason: string }).reason}`);
    if (failed.length) lines.push(`FAILED (${failed.length}):`, ...failed.map((l) => `  ${l}`));
    console.log(lines.join('\n'));

    expect(failed).toEqual([]);
    // Something could be silently skipped into a pass; require that the core ops really ran.
    for (const op of ['Add', 'MatMul', 'Relu', 'Sigmoid', 'Transpose', 'Concat', 'Reshape'])
      expect(byOp.get(op)?.pass ?? 0, `${op} passes no test`).toBeGreaterThan(0);
  });
});
