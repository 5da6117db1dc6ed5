// `build` turns the tensors a user returns into a closed graph: inputs, outputs, nodes in order, parameters used.
import type { Shape } from './types/shape.js';
import type { DType } from './dtype.js';
import { RuleError } from './dim.js';
import type { Node, Value } from './graph.js';
import type { Param } from './params.js';
import type { Tensor } from './tensor.js';

export interface Graph {
  readonly name: string;
  readonly inputs: readonly { name: string; value: Value }[];
  readonly outputs: readonly { name: string; value: Value }[];
  /** Topological order. */
  readonly nodes: readonly Node[];
  readonly params: readonly Param[];
  readonly constants: readonly Value[];
  readonly docString?: string;
}

/** The declared type of a built graph's outputs, for typed runtime results. */
export type OutputShapes<O extends Record<string, Tensor<Shape, DType>>> = { [K in keyof O]: O[K] extends Tensor<infer S, DType> ? S : never };

export interface BuildSpec<I extends Record<string, Tensor<Shape, DType>>, O extends Record<string, Tensor<Shape, DType>>> {
  readonly name?: string;
  readonly inputs: I;
  readonly outputs: O;
  readonly doc?: string;
}

export function build<I extends Record<string, Tensor<Shape, DType>>, O extends Record<string, Tensor<Shape, DType>>>(spec: BuildSpec<I, O>): Graph {
  const inputs = Object.entries(spec.inputs).map(([name, t]) => {
    const o = t.value.origin;
    if (o.kind !== 'input') throw new RuleError(`build: '${name}' is not a graph input (make it with input())`);
    if (o.name !== name) throw new RuleError(`build: input key '${name}' differs from the input's own name '${o.name}'`);
    return { name, value: t.value };
  });
  const outputs = Object.entries(spec.outputs).map(([name, t]) => ({ name, value: t.value }));
  if (outputs.length === 0) throw new RuleError('build: a graph needs at least one output');
  const inputIds = new Set(inputs.map((i) => i.value.id));

  // Iterative post-order DFS: deep graphs must not overflow the stack.
  const nodes: Node[] = [];
  const params: Param[] = [];
  const constants: Value[] = [];
  const seenNodes = new Set<number>();
  const seenValues = new Set<number>();
  const stack: { node: Node; next: number }[] = [];
  const visitValue = (v: Value): Node | undefined => {
    if (seenValues.has(v.id)) return undefined;
    seenValues.add(v.id);
    const o = v.origin;
    if (o.kind === 'input') {
      if (!inputIds.has(v.id)) throw new RuleError(`build: the graph uses input '${o.name}' which is not listed in inputs`);
    } else if (o.kind === 'param') params.push(o.param);
    else if (o.kind === 'const') constants.push(v);
    else if (!seenNodes.has(o.node.id)) return o.node;
    return undefined;
  };
  for (const out of outputs) {
    const root = visitValue(out.value);
    if (!root) continue;
    seenNodes.add(root.id);
    stack.push({ node: root, next: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const child = visitValue(top.node.inputs[top.next++]);
        if (child) {
          seenNodes.add(child.id);
          stack.push({ node: child, next: 0 });
        }
      } else {
        nodes.push(top.node);
        stack.pop();
      }
    }
  }
  return { name: spec.name ?? 'graph', inputs, outputs, nodes, params, constants, docString: spec.doc };
}
