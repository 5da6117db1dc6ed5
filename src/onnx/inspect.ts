// Reading an ONNX file back: inputs/outputs, parameters per module, and FLOPs per op type.
// FLOPs use the shapes ONNX Runtime actually sees: one profiled run at the requested dims, with graph
// optimisations off so that node types are the file's own. This works for any ONNX model, not just ours.
import { onnx } from './proto.js';
import { DTYPE_KEY } from './float16.js';
import type { onnx as P } from 'onnx-proto';
import { elementTypeName } from './element-types.js';

export interface TensorSummary {
  readonly name: string;
  readonly dtype: string;
  readonly shape: (number | string)[];
}

export interface ModelSummary {
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly inputs: TensorSummary[];
  readonly outputs: TensorSummary[];
  readonly parameters: number;
  /** Floating-point parameter dtype ('float32', 'float16' or 'mixed'). */
  readonly dtype: string;
  /** Parameter count per module prefix (first `depth` path segments). */
  readonly modules: Record<string, number>;
  readonly nodes: number;
  readonly opTypes: Record<string, number>;
  readonly metadata: Record<string, string>;
}

export const dtypeName = (code: number): string => elementTypeName(code, (c) => `type${c}`);

function summariseValue(v: P.IValueInfoProto): TensorSummary {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: dtypeName(t?.elemType ?? 0),
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0))),
  };
}

const count = (dims: readonly (number | Long | null | undefined)[] | null | undefined): number => (dims ?? []).reduce<number>((a, d) => a * Number(d ?? 0), 1);
type Long = { toNumber(): number };

/** The module a parameter belongs to: its path without the last segment, cut to `depth` segments. */
export function moduleOf(name: string, depth: number): string {
  const parts = name.split('.');
  return parts.slice(0, Math.max(1, Math.min(depth, parts.length - 1))).join('.');
}

/**
 * Constants written by op lowerings and DSL `constant()`s are initializers but not parameters: the emitter names
 * them `<node path>/constN` or `const…`, and parameter names (module paths) never contain '/'.
 */
export const isLoweringConstant = (name: string): boolean => name.includes('/') || /^const(_\d+)?$/.test(name);

function modelDtypeOf(m: P.IModelProto, floatTypes: ReadonlySet<string>): string {
  const recorded = (m.metadataProps ?? []).find((p) => p.key === DTYPE_KEY)?.value;
  if (recorded) return recorded;
  return floatTypes.size === 1 ? [...floatTypes][0] : floatTypes.size === 0 ? 'none' : 'mixed';
}

export function summariseModel(bytes: Uint8Array, depth = 2): ModelSummary {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const modules: Record<string, number> = {};
  let parameters = 0;
  const floatTypes = new Set<string>();
  for (const t of g.initializer ?? []) {
    const dt = dtypeName(t.dataType ?? 0);
    if (!dt.startsWith('float')) continue; // shapes, axes and other int constants are not parameters
    const n = count(t.dims as never);
    if (isLoweringConstant(t.name ?? '')) continue;
    floatTypes.add(dt);
    parameters += n;
    const mod = moduleOf(t.name ?? '', depth);
    modules[mod] = (modules[mod] ?? 0) + n;
  }
  const opTypes: Record<string, number> = {};
  for (const n of g.node ?? []) opTypes[n.opType ?? '?'] = (opTypes[n.opType ?? '?'] ?? 0) + 1;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return {
    irVersion: Number(m.irVersion ?? 0),
    opset: Number((m.opsetImport ?? []).find((o) => !o.domain)?.version ?? 0),
    producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(),
    inputs: (g.input ?? []).filter((i) => !inits.has(i.name)).map(summariseValue),
    outputs: (g.output ?? []).map(summariseValue),
    parameters,
    // A float16 model keeps some float32 constants (normalisation scales, Resize scales): trust the pass's own record.
    dtype: modelDtypeOf(m, floatTypes),
    modules,
    nodes: (g.node ?? []).length,
    opTypes,
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}

export interface OpCost {
  readonly count: number;
  readonly flops: number;
  /** Measured time of this op type in the profiled run (µs). */
  readonly micros: number;
}

export type Shapes = number[][];
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** FLOPs of one node from its input and output shapes (a multiply-add counts 2). */
export function nodeFlops(op: string, ins: Shapes, outs: Shapes): number {
  const out = outs[0] ? prod(outs[0]) : 0;
  switch (op) {
    case 'MatMul':
    case 'FusedMatMul':
      return 2 * out * ins[0][ins[0].length - 1];
    case 'Gemm':
      return 2 * out * ins[0][ins[0].length - 1];
    case 'Conv':
    case 'FusedConv':
      return 2 * out * prod(ins[1].slice(1));
    case 'ConvTranspose':
      return 2 * prod(ins[0]) * prod(ins[1].slice(1));
    case 'Softmax':
      return 5 * out;
    case 'LayerNormalization':
      return 8 * out;
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'MaxPool':
    case 'AveragePool':
      return prod(ins[0]);
    case 'Resize':
      return 4 * out;
    case 'Reshape':
    case 'Transpose':
    case 'Concat':
    case 'Split':
    case 'Slice':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Identity':
    case 'Shape':
    case 'Gather':
    case 'Expand':
    case 'Cast':
    case 'Flatten':
      return 0;
    default:
      return out; // element-wise
  }
}
