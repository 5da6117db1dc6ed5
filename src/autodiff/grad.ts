// Reverse-mode autodiff on the graph IR: from a scalar (or a seeded tensor) back to chosen values, by each
// op's own `vjp` rule. The result is more graph: cotangents are ordinary Values made of DSL ops, so the
// backward pass compiles to ONNX and runs on tfjs exactly as the forward does.
import { fmtShape, sameDim } from '../dsl/dim.js';
import { describeValue, freshId, withPath, type Node, type Value } from '../dsl/graph.js';
import { scalar } from '../dsl/const.js';
import type { Graph } from '../dsl/build.js';
import type { Param } from '../dsl/params.js';
import { gradOps } from './grad-ops.js';

export class AutodiffError extends Error {
  override name = 'AutodiffError';
}

const isFloat = (v: Value) => v.dtype === 'float32' || v.dtype === 'float16';

/** Nodes `roots` depend on, inputs before users (iterative: deep graphs must not overflow the stack). */
export function nodesBehind(roots: readonly Value[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<number>();
  const stack: { node: Node; next: number }[] = [];
  const visit = (v: Value) => {
    const o = v.origin;
    if (o.kind !== 'node' || seen.has(o.node.id)) return;
    seen.add(o.node.id);
    stack.push({ node: o.node, next: 0 });
  };
  for (const r of roots) {
    visit(r);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) visit(top.node.inputs[top.next++]);
      else {
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

/** Every parameter Value a graph reads, in graph order: what `gradients` takes to differentiate parameters. */
export function paramValues(graph: Graph): Map<Param, Value> {
  const out = new Map<Param, Value>();
  for (const n of graph.nodes) for (const v of n.inputs) if (v.origin.kind === 'param' && !out.has(v.origin.param)) out.set(v.origin.param, v);
  return out;
}

export interface GradientOptions {
  /** The cotangent of `y` (default: 1 for a scalar `y`). */
  readonly seed?: Value;
}

/**
 * ∂y/∂x for each x in `wrt` as graph values (undefined where y does not depend on x through a
 * differentiable path, i.e. zero). `y` must be a float scalar unless a seed shaped like it is given.
 * Backward nodes are named `grad/<forward node>` and carry the forward op's source line.
 */
export function gradients(y: Value, wrt: readonly Value[], opts: GradientOptions = {}): (Value | undefined)[] {
  if (!isFloat(y)) throw new AutodiffError(`gradients: ${describeValue(y)} is ${y.dtype}, not a float`);
  if (!opts.seed && y.shape.length !== 0) throw new AutodiffError(`gradients: ${describeValue(y)} is not a scalar; give a seed (its cotangent) shaped like it`);
  const nodes = nodesBehind([y]);

  // Values on a differentiable path from some x.
  const active = new Set(wrt.filter(isFloat).map((v) => v.id));
  for (const n of nodes) if (n.inputs.some((v) => active.has(v.id))) for (const o of n.outputs) if (isFloat(o)) active.add(o.id);
  if (!active.has(y.id)) return wrt.map(() => undefined);

  const pending = new Map<number, Value[]>();
  const contribute = (v: Value, ct: Value) => {
    const list = pending.get(v.id);
    if (list) list.push(ct);
    else pending.set(v.id, [ct]);
  };
  const total = (v: Value): Value | undefined => {
    const list = pending.get(v.id);
    if (!list) return undefined;
    const sum = list.reduce((a, b) => gradOps.add(a, b));
    pending.set(v.id, [sum]);
    return sum;
  };
  contribute(y, opts.seed ?? scalar(1, y.dtype).value);

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const needs = node.inputs.map((v) => active.has(v.id) && isFloat(v));
    if (!needs.some(Boolean)) continue;
    const dys = node.outputs.map(total);
    if (!dys.some(Boolean)) continue;
    const where = `${node.op.type} '${node.name}'\n  inputs: ${node.inputs.map(describeValue).join(', ')}\n  at ${node.source}`;
    if (!node.op.vjp) throw new AutodiffError(`gradients: ${where}\n  has no gradient rule (vjp)`);
    const firstId = freshId();
    let cts: readonly (Value | undefined)[];
    try {
      cts = withPath(`grad/${node.name}`, () => node.op.vjp!(gradOps, { node, attrs: node.attrs, inputs: node.inputs, outputs: node.outputs, dys, needs }));
    } catch (e) {
      throw new AutodiffError(`gradients: the gradient rule of ${where}\n  failed: ${(e as Error).message}`);
    }
    node.inputs.forEach((x, k) => {
      const ct = cts[k];
      if (!needs[k] || !ct) return;
      if (ct.shape.length !== x.shape.length || ct.shape.some((d, j) => !sameDim(d, x.shape[j])))
        throw new AutodiffError(
          `gradients: the gradient rule of ${where}\n  gave input ${k} a cotangent of shape ${fmtShape(ct.shape)}, not ${fmtShape(x.shape)}`,
        );
      // Same dims, other spellings (a pad of a slice of a symbolic dim): give the cotangent x's own shape.
      contribute(x, ct.shape.every((d, j) => d === x.shape[j]) ? ct : gradOps.reshape(ct, x.shape));
    });
    attributeTo(node, firstId, cts);
  }
  return wrt.map((x) => (isFloat(x) ? total(x) : undefined));
}

/** Backward nodes made for `forward` (ids after `firstId`) get its source line, so errors and doc strings point at the user's op. */
function attributeTo(forward: Node, firstId: number, cts: readonly (Value | undefined)[]): void {
  const stack = cts.filter((v): v is Value => !!v);
  const seen = new Set<number>();
  while (stack.length) {
    const o = stack.pop()!.origin;
    if (o.kind !== 'node' || o.node.id < firstId || seen.has(o.node.id)) continue;
    seen.add(o.node.id);
    (o.node as { source: string }).source = `gradient of ${forward.op.type} at ${forward.source}`;
    stack.push(...o.node.inputs);
  }
}
