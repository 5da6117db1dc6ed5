// ModelProto → ModelProto: a half-precision model, with float32 kept where accuracy needs it.
//
// Every float32 tensor gets a "home" precision: that of the node that makes it (float16 for most ops,
// float32 for the ops in DEFAULT_FLOAT32_OPS and for ops this pass does not know). A consumer that
// needs the other precision reads a Cast of it, made once and shared; weights and constants are
// converted ahead of time instead, so a float32 consumer of a weight (Resize scales, LayerNormalization
// scale) reads the exact float32 values and not a round trip through float16. Consecutive float32 ops
// pass float32 tensors to each other directly.
//
// Graph inputs and outputs stay float32 by default (`io: 'float32'`): callers (the CLI, the browser,
// Triton clients) feed the same float32 arrays to both models and JavaScript has no Float16Array in
// Node 20; the Casts at the edges cost one element-wise pass over the inputs and outputs, small next
// to the model. `io: 'float16'` makes them float16 too, halving transfer size for servers that want it.
import type { onnx as P } from 'onnx-proto';
import type { FloatType } from '../dsl/dtype.js';
import { bytesView } from './emit.js';
import { onnx } from './proto.js';
import { CONTROL_FLOW_OPS, DEFAULT_FLOAT32_OPS, FLOAT16_OPS, type Float16OpSpec } from './float16-ops.js';

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export interface Float16Options {
  /** Element type of float graph inputs and outputs (default 'float32', Casts inside the model). */
  readonly io?: FloatType;
  /** Op types computed in float32 (default DEFAULT_FLOAT32_OPS). */
  readonly float32Ops?: ReadonlySet<string>;
  /** Told once per op type the pass does not know; such ops run in float32. */
  readonly warn?: (message: string) => void;
}

/** Metadata keys the pass writes (read by `modelDtype`). */
export const DTYPE_KEY = 'oneprompt.dtype';
export const IO_DTYPE_KEY = 'oneprompt.io_dtype';

export class Float16Error extends Error {
  override name = 'Float16Error';
}

type Prec = 'fp16' | 'fp32';
const elemOf = (p: Prec): number => (p === 'fp16' ? DT.FLOAT16 : DT.FLOAT);

/**
 * float32 values → float16 bits, rounding to nearest even; finite values beyond float16's range
 * saturate at ±65504 rather than become ±∞. Works on the float32 bit patterns directly: weights of
 * the base model are 2·10⁸ values.
 */
export function toHalfSaturated(values: ArrayLike<number>): Uint16Array {
  const src = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const abs = x & 0x7fffffff;
    if (abs >= 0x7f800000)
      out[i] = sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0); // ±∞, NaN
    else if (abs > 0x477fe000)
      out[i] = sign | 0x7bff; // beyond 65504: saturate
    else if (abs >= 0x38800000) {
      // normal: rebias the exponent (127 → 15), keep 10 mantissa bits, round half to even
      let h = (abs - 0x38000000) >>> 13;
      const rem = abs & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | h;
    } else if (abs < 0x33000000)
      out[i] = sign; // below half the smallest subnormal: ±0
    else {
      // subnormal: shift the mantissa with its implicit bit into place, round half to even
      const mant = (abs & 0x7fffff) | 0x800000;
      const shift = 126 - (abs >>> 23);
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && h & 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

function floatValues(t: P.ITensorProto): Float32Array {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0)
    throw new Float16Error(`float16: tensor '${t.name}' keeps its data in an external file; load it into the model first`);
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const aligned = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw);
    return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** A float32 tensor as float16 (same name, dims and doc). */
function halfTensor(t: P.ITensorProto, name = t.name ?? ''): P.ITensorProto {
  return { name, dims: t.dims, docString: t.docString, dataType: DT.FLOAT16, rawData: bytesView(toHalfSaturated(floatValues(t))) };
}

/** The tensor a Constant node holds when it is float32, as an initializer; null otherwise. */
function floatConstant(n: P.INodeProto): P.ITensorProto | null {
  for (const a of n.attribute ?? []) {
    if (a.name === 'value' && a.t && a.t.dataType === DT.FLOAT) return { ...a.t, name: n.output![0] };
    if (a.name === 'value_float') return { name: n.output![0], dims: [], dataType: DT.FLOAT, floatData: [a.f ?? 0] };
    if (a.name === 'value_floats') return { name: n.output![0], dims: [a.floats?.length ?? 0], dataType: DT.FLOAT, floatData: [...(a.floats ?? [])] };
  }
  return null;
}

/** Element type of a Constant node that is not float32 (value_int(s): int64, value: its tensor's). */
function constantElemType(n: P.INodeProto): number | undefined {
  for (const a of n.attribute ?? []) {
    if (a.name === 'value' && a.t) return a.t.dataType ?? undefined;
    if (a.name === 'value_int' || a.name === 'value_ints') return DT.INT64;
    if (a.name === 'value_string' || a.name === 'value_strings') return DT.STRING;
  }
  return undefined;
}

const attrOf = (n: P.INodeProto, name: string) => (n.attribute ?? []).find((a) => a.name === name);
const isStandard = (n: P.INodeProto): boolean => !n.domain || n.domain === 'ai.onnx';

/** What the plan decided for one node. */
interface NodePlan {
  /** Precision wanted for each input (undefined: leave the name as it is). */
  readonly need: (Prec | undefined)[];
  /** Rewrite Cast `to` / ConstantOfShape `value` to float16. */
  readonly retype: boolean;
}

/** What the pass knows of the graph once read, and what it decides while planning and emitting. */
interface Pass {
  readonly g: P.IGraphProto;
  readonly io: Prec;
  /** Element types by tensor name: declared ones first, the rest as the plan infers them. */
  readonly types: Map<string, number>;
  readonly inputNames: ReadonlySet<string>;
  readonly outputNames: ReadonlySet<string>;
  /** Float constants (initializers and Constant nodes), converted ahead of time. */
  readonly constants: Map<string, P.ITensorProto>;
  /** The other initializers, kept as they are. */
  readonly otherInits: readonly P.ITensorProto[];
  /** The nodes left to rewrite (float Constant nodes removed). */
  readonly nodes: readonly P.INodeProto[];
  /** Each float tensor's home precision: that of the node making it. */
  readonly home: Map<string, Prec>;
  /** The precisions the consumers of each constant want. */
  readonly constNeeds: Map<string, Set<Prec>>;
}

const isFloatIn = (pass: Pass, name: string): boolean => name !== '' && pass.types.get(name) === DT.FLOAT;

/** Element types known up front; float constants (initializers or Constant nodes) set apart; subgraphs refused. */
function readGraph(g: P.IGraphProto, io: Prec): Pass {
  const types = new Map<string, number>();
  const setType = (vi: P.IValueInfoProto) => {
    const e = vi.type?.tensorType?.elemType;
    if (vi.name && e) types.set(vi.name, e);
  };
  (g.valueInfo ?? []).forEach(setType);
  (g.input ?? []).forEach(setType);
  (g.output ?? []).forEach(setType);

  const inputNames = new Set((g.input ?? []).map((i) => i.name ?? ''));
  const outputNames = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const constants = new Map<string, P.ITensorProto>();
  const otherInits: P.ITensorProto[] = [];
  for (const t of g.initializer ?? []) {
    types.set(t.name ?? '', t.dataType ?? 0);
    if (t.dataType === DT.FLOAT && !inputNames.has(t.name ?? '')) constants.set(t.name ?? '', t);
    else otherInits.push(t);
  }
  const nodes: P.INodeProto[] = [];
  for (const n of g.node ?? []) {
    if (CONTROL_FLOW_OPS.has(n.opType ?? '') || (n.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0))
      throw new Float16Error(`float16: node '${n.name}' (${n.opType}) holds a subgraph; control flow is not supported`);
    const c = n.opType === 'Constant' && isStandard(n) ? floatConstant(n) : null;
    if (c) {
      constants.set(c.name ?? '', c);
      types.set(c.name ?? '', DT.FLOAT);
    } else nodes.push(n);
  }
  const home = new Map<string, Prec>();
  for (const i of g.input ?? []) if (types.get(i.name ?? '') === DT.FLOAT) home.set(i.name ?? '', io);
  return { g, io, types, inputNames, outputNames, constants, otherInits, nodes, home, constNeeds: new Map() };
}

/** The plan of one node: its precision (the home of its float outputs) and the precision each input needs. */
function planNode(pass: Pass, n: P.INodeProto, o: { float32Ops: ReadonlySet<string>; warnOnce: (op: string, message: string) => void }): NodePlan {
  const { types, home, constants, io } = pass;
  const isFloat = (name: string) => isFloatIn(pass, name);
  const op = n.opType ?? '';
  const ins = n.input ?? [];
  const outs = n.output ?? [];
  const need: (Prec | undefined)[] = ins.map(() => undefined);
  const outType = (name: string, t: number | undefined) => {
    if (!types.has(name) && t !== undefined) types.set(name, t);
  };
  const finish = (prec: Prec, retype = false): NodePlan => {
    ins.forEach((name, i) => {
      const p = need[i];
      if (p && isFloat(name) && constants.has(name)) {
        const s = pass.constNeeds.get(name) ?? new Set<Prec>();
        s.add(p);
        pass.constNeeds.set(name, s);
      }
    });
    for (const out of outs) if (isFloat(out)) home.set(out, prec);
    return { need, retype };
  };

  // Ops with type attributes.
  if (isStandard(n) && op === 'Cast') {
    const to = Number(attrOf(n, 'to')?.i ?? 0);
    if (outs[0]) types.set(outs[0], to);
    if (to !== DT.FLOAT) return finish('fp16');
    // A Cast to float32 that makes a float32 graph output is left alone rather than cast twice.
    const prec: Prec = pass.outputNames.has(outs[0]) ? io : 'fp16';
    return finish(prec, prec === 'fp16');
  }
  if (isStandard(n) && op === 'ConstantOfShape') {
    const t = attrOf(n, 'value')?.t;
    outType(outs[0], t?.dataType ?? DT.FLOAT);
    return finish('fp16', isFloat(outs[0]));
  }
  if (isStandard(n) && op === 'Constant') {
    outType(outs[0], constantElemType(n));
    return finish('fp32');
  }

  const spec: Float16OpSpec | undefined = isStandard(n) ? FLOAT16_OPS[op] : undefined;
  if (!spec) {
    // Unknown op: feed it its original float32 and trust value_info for its outputs' types.
    o.warnOnce(op, `float16: op '${n.domain ? `${n.domain}::` : ''}${op}' is not known to the float16 pass; it runs in float32`);
    ins.forEach((name, i) => (need[i] = isFloat(name) ? 'fp32' : undefined));
    // Generators name their output type in `dtype`; the *Like ones default to their input's.
    const dtypeAttr = attrOf(n, 'dtype');
    const generated = dtypeAttr ? Number(dtypeAttr.i) : op.endsWith('Like') ? types.get(ins[0]) : undefined;
    if (outs.length === 1 && outs[0]) outType(outs[0], generated);
    for (const out of outs)
      if (out && !types.has(out))
        throw new Float16Error(
          `float16: cannot tell the element type of '${out}', made by node '${n.name}' (${op}), which the pass does not know; emit value_info for it or describe ${op} in float16-ops.ts`,
        );
    return finish('fp32');
  }

  const role = (i: number): 'T' | 'keep' | 'any' => (spec.keep?.includes(i) ? 'keep' : spec.any?.includes(i) ? 'any' : 'T');
  const tIndices = ins.map((_, i) => i).filter((i) => ins[i] !== '' && role(i) === 'T');
  const tType = tIndices.map((i) => types.get(ins[i])).find((t) => t !== undefined);
  (spec.outs ?? outs.map(() => 'T' as const)).forEach((r, k) => {
    if (k < outs.length && outs[k]) outType(outs[k], r === 'T' ? tType : r === 'bool' ? DT.BOOL : DT.INT64);
  });
  for (let k = (spec.outs ?? []).length; k < outs.length; k++) if (outs[k]) outType(outs[k], tType);

  let prec: Prec;
  if (spec.cls === 'float32' || o.float32Ops.has(op)) prec = 'fp32';
  else if (spec.cls === 'compute') prec = 'fp16';
  else {
    // Exact ops follow their inputs: float32 when every computed float input already is.
    const computed = tIndices.filter((i) => isFloat(ins[i]) && !constants.has(ins[i]));
    prec = computed.length > 0 && computed.every((i) => home.get(ins[i]) === 'fp32') ? 'fp32' : 'fp16';
  }
  ins.forEach((name, i) => {
    if (!isFloat(name)) return;
    const r = role(i);
    need[i] = r === 'keep' ? 'fp32' : r === 'any' ? undefined : prec;
  });
  return finish(prec);
}

/** Fresh names: `base`, else base_1, base_2… not used anywhere in the graph yet. */
function nameAllocator(g: P.IGraphProto): (base: string) => string {
  const used = new Set<string>();
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) used.add(v.name ?? '');
  for (const t of g.initializer ?? []) used.add(t.name ?? '');
  for (const n of g.node ?? []) {
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x);
    if (n.name) used.add(n.name);
  }
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** Each float tensor's representations (precision → name), and the element type each name ends up with. */
interface Representations {
  readonly of: (name: string) => Map<Prec, string>;
  readonly finalType: Map<string, number>;
}

function representations(): Representations {
  const reps = new Map<string, Map<Prec, string>>();
  const of = (name: string) => {
    let r = reps.get(name);
    if (!r) reps.set(name, (r = new Map()));
    return r;
  };
  return { of, finalType: new Map() };
}

/**
 * The initializers: each float constant under its own name in the precision every consumer wants (float32 when they
 * differ), plus a converted copy for each other precision wanted; graph inputs with initializers (overridable
 * defaults) take the I/O precision.
 */
function placeConstants(pass: Pass, reps: Representations, fresh: (base: string) => string): P.ITensorProto[] {
  const { io } = pass;
  const initializer: P.ITensorProto[] = [...pass.otherInits];
  for (const [name, t] of pass.constants) {
    const needs = pass.constNeeds.get(name) ?? new Set<Prec>();
    const primary: Prec = pass.outputNames.has(name) ? io : needs.size === 1 && needs.has('fp16') ? 'fp16' : 'fp32';
    const r = reps.of(name);
    r.set(primary, name);
    initializer.push(primary === 'fp16' ? halfTensor(t) : t);
    for (const p of needs) {
      if (p === primary) continue;
      const n2 = fresh(`${name}/${p}`);
      r.set(p, n2);
      initializer.push(p === 'fp16' ? halfTensor(t, n2) : t.name === n2 ? t : { ...t, name: n2 });
    }
    for (const [p, n2] of r) reps.finalType.set(n2, elemOf(p));
  }
  for (let k = 0; k < initializer.length; k++) {
    const t = initializer[k];
    if (pass.inputNames.has(t.name ?? '') && t.dataType === DT.FLOAT && io === 'fp16') initializer[k] = halfTensor(t);
  }
  for (const [name, p] of pass.home) if (pass.inputNames.has(name)) reps.of(name).set(p, name);
  return initializer;
}

const castTo = (p: Prec): P.IAttributeProto => ({ name: 'to', type: AT.INT, i: elemOf(p) });

/** The nodes in order, each reading the representation it needs (a Cast made once where none exists yet). */
function emitNodes(pass: Pass, plans: readonly NodePlan[], reps: Representations, fresh: (base: string) => string): P.INodeProto[] {
  const { io, home } = pass;
  const out: P.INodeProto[] = [];
  const castNode = (from: string, to: string, p: Prec): P.INodeProto => ({
    opType: 'Cast',
    input: [from],
    output: [to],
    name: fresh(`${to}/Cast`),
    attribute: [castTo(p)],
    docString: 'float16 pass: precision change',
  });
  const repFor = (name: string, p: Prec): string => {
    const r = reps.of(name);
    const have = r.get(p);
    if (have) return have;
    const h = home.get(name);
    const src = h ? r.get(h) : undefined;
    if (!src) throw new Float16Error(`float16: no producer seen for '${name}' before it is used`);
    const cast = fresh(`${name}/${p}`);
    out.push(castNode(src, cast, p));
    r.set(p, cast);
    reps.finalType.set(cast, elemOf(p));
    return cast;
  };

  pass.nodes.forEach((n, k) => {
    const plan = plans[k];
    const input = (n.input ?? []).map((name, i) => {
      const p = plan.need[i];
      if (p) return repFor(name, p);
      // 'any' inputs read whatever representation exists, the home one first.
      if (isFloatIn(pass, name) && !pass.inputNames.has(name)) {
        const r = reps.of(name);
        return r.get(home.get(name) ?? 'fp32') ?? r.values().next().value ?? name;
      }
      return name;
    });
    const afterwards: P.INodeProto[] = [];
    const output = (n.output ?? []).map((name) => {
      const p = home.get(name);
      if (!p || !isFloatIn(pass, name)) return name;
      const r = reps.of(name);
      if (pass.outputNames.has(name) && p !== io) {
        // A graph output made in the other precision: computed under a new name, then cast to its own.
        const inner = fresh(`${name}/${p}`);
        r.set(p, inner);
        r.set(io, name);
        reps.finalType.set(inner, elemOf(p));
        reps.finalType.set(name, elemOf(io));
        afterwards.push(castNode(inner, name, io));
        return inner;
      }
      r.set(p, name);
      reps.finalType.set(name, elemOf(p));
      return name;
    });
    let attribute = n.attribute ?? [];
    if (plan.retype && n.opType === 'Cast') attribute = attribute.map((a) => (a.name === 'to' ? castTo('fp16') : a));
    if (plan.retype && n.opType === 'ConstantOfShape') {
      const v = attrOf(n, 'value')?.t ?? { dims: [1], dataType: DT.FLOAT, floatData: [0] };
      attribute = [...attribute.filter((a) => a.name !== 'value'), { name: 'value', type: AT.TENSOR, t: halfTensor(v, v.name ?? '') }];
    }
    out.push({ ...n, input, output, attribute });
    out.push(...afterwards);
  });
  return out;
}

/**
 * The float16 model. Throws Float16Error for what it cannot convert faithfully: control-flow
 * subgraphs, external data, sparse initializers, and outputs of unknown ops whose type no
 * value_info gives. Read the graph, plan every node's precision, place the constants, emit the
 * nodes with the Casts they need, and retype the graph's declarations.
 */
export function toFloat16(model: P.IModelProto, opts: Float16Options = {}): P.IModelProto {
  const g = model.graph;
  if (!g) throw new Float16Error('float16: the model has no graph');
  // Cast took a type name before opset 6, and ONNX Runtime supports opsets from 7.
  const opset = Number((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < 7) throw new Float16Error(`float16: the model's opset ${opset} is older than 7, the oldest this pass writes Casts for`);
  if ((g.sparseInitializer?.length ?? 0) > 0) throw new Float16Error('float16: sparse initializers are not supported');
  const io: Prec = (opts.io ?? 'float32') === 'float16' ? 'fp16' : 'fp32';
  const warned = new Set<string>();
  const warnOnce = (op: string, message: string) => {
    if (!warned.has(op)) warned.add(op), opts.warn?.(message);
  };

  const pass = readGraph(g, io);
  const plans = pass.nodes.map((n) => planNode(pass, n, { float32Ops: opts.float32Ops ?? DEFAULT_FLOAT32_OPS, warnOnce }));
  const fresh = nameAllocator(g);
  const reps = representations();
  const initializer = placeConstants(pass, reps, fresh);
  const node = emitNodes(pass, plans, reps, fresh);

  const retypeValue = (v: P.IValueInfoProto, elem: number | undefined): P.IValueInfoProto =>
    elem === undefined || v.type?.tensorType?.elemType !== DT.FLOAT ? v : { ...v, type: { ...v.type, tensorType: { ...v.type.tensorType, elemType: elem } } };
  const ioElem = elemOf(io);
  const metadata = (model.metadataProps ?? []).filter((p) => p.key !== DTYPE_KEY && p.key !== IO_DTYPE_KEY);
  metadata.push({ key: DTYPE_KEY, value: 'float16' }, { key: IO_DTYPE_KEY, value: io === 'fp16' ? 'float16' : 'float32' });
  return {
    ...model,
    metadataProps: metadata,
    graph: {
      ...g,
      node,
      initializer,
      input: (g.input ?? []).map((v) => retypeValue(v, ioElem)),
      output: (g.output ?? []).map((v) => retypeValue(v, ioElem)),
      valueInfo: (g.valueInfo ?? []).map((v) => retypeValue(v, reps.finalType.get(v.name ?? ''))),
    },
  };
}

/**
 * The model's floating-point precision: what the float16 pass recorded in its metadata, else the type
 * holding most float weight elements, else the type of its float inputs; 'float32' when it has none.
 */
export function modelDtype(model: P.IModelProto): FloatType {
  const recorded = (model.metadataProps ?? []).find((p) => p.key === DTYPE_KEY)?.value;
  if (recorded === 'float16' || recorded === 'float32') return recorded;
  const g = model.graph;
  let half = 0;
  let single = 0;
  for (const t of g?.initializer ?? []) {
    const n = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
    if (t.dataType === DT.FLOAT16) half += n;
    else if (t.dataType === DT.FLOAT) single += n;
  }
  if (half + single > 0) return half > single ? 'float16' : 'float32';
  const firstFloat = (g?.input ?? []).map((i) => i.type?.tensorType?.elemType).find((e) => e === DT.FLOAT || e === DT.FLOAT16);
  return firstFloat === DT.FLOAT16 ? 'float16' : 'float32';
}
