// How much memory one run of a model at given dims would take, before ONNX Runtime is asked to do it: `inspect`
// profiles a run on zero inputs at whatever size the file declares, and a model declaring 4096² inputs, or
// `--dims B=100000`, took more than 5 GB. The estimate is the weights plus the peak of the tensors alive at once when
// the nodes run in file order (a tensor lives from the node that makes it to its last reader), with shapes from
// value_info at the bound dims (our emitter declares every DSL tensor); a node output without a declared shape is
// counted as large as the largest input, a rough bound. ONNX Runtime's planner shares and reuses buffers differently,
// so this is an order of magnitude, for refusing runs that cannot fit, not for planning.
import { onnx } from './proto.js';

const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export interface RunMemoryEstimate {
  readonly weights: number;
  readonly inputs: number;
  readonly outputs: number;
  /** The most bytes of tensors (inputs, intermediates, outputs) alive at once. */
  readonly intermediates: number;
  /** Node outputs with no declared shape (estimated). */
  readonly undeclared: number;
  readonly total: number;
}

/** Default budget for `inspect`'s profiled run (bytes); --force runs anyway. */
export const INSPECT_MEMORY_BUDGET = 2 * 2 ** 30;

type ValueInfo = {
  name?: string | null;
  type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null;
};

export function estimateRunMemory(bytes: Uint8Array, bindings: Readonly<Record<string, number>>): RunMemoryEstimate {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const size = (v: ValueInfo): number => {
    const t = v.type?.tensorType;
    const n = (t?.shape?.dim ?? []).reduce((a, d) => a * (d.dimParam ? (bindings[d.dimParam] ?? 1) : Math.max(0, Number(d.dimValue ?? 0))), 1);
    return n * (BYTES[t?.elemType ?? 1] ?? 4);
  };
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const weights = (g.initializer ?? []).reduce(
    (a, t) => a + (t.rawData?.length ?? 0) + 4 * ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0)) + 8 * (t.int64Data?.length ?? 0),
    0,
  );
  const inputList = (g.input ?? []).filter((i) => !inits.has(i.name));
  const inputs = inputList.reduce((a, v) => a + size(v), 0);
  const largestInput = inputList.reduce((a, v) => Math.max(a, size(v)), 0);
  const outputs = (g.output ?? []).reduce((a, v) => a + size(v), 0);
  const declared = new Map((g.valueInfo ?? []).map((v) => [v.name ?? '', size(v)]));
  const sizes = new Map<string, number>([...inputList, ...(g.output ?? [])].map((v) => [v.name ?? '', size(v)]));
  const nodes = g.node ?? [];
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => (n.input ?? []).forEach((x) => x && lastUse.set(x, i)));
  for (const o of g.output ?? []) lastUse.set(o.name ?? '', nodes.length);
  let undeclared = 0;
  let alive = inputs;
  let intermediates = inputs;
  nodes.forEach((n, i) => {
    for (const out of n.output ?? []) {
      if (!out) continue;
      let s = sizes.get(out) ?? declared.get(out);
      if (s === undefined) {
        undeclared++;
        s = largestInput;
      }
      sizes.set(out, s);
      alive += s;
    }
    intermediates = Math.max(intermediates, alive);
    // Free what this node was the last to read, and outputs that nothing reads.
    for (const x of new Set(n.input ?? [])) if (x && !inits.has(x) && lastUse.get(x) === i) alive -= sizes.get(x) ?? 0;
    for (const x of n.output ?? []) if (x && !lastUse.has(x)) alive -= sizes.get(x) ?? 0;
  });
  return { weights, inputs, outputs, intermediates, undeclared, total: weights + intermediates };
}

export const fmtBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 10).toFixed(1)} KiB`;
