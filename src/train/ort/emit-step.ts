// The training-step graph as an ONNX model: emitted as any graph (IR 8, opset 17), then the trained
// parameters moved from initializers to graph inputs, since each step feeds their current values.
import { onnxElemType } from '../../dsl/dtype.js';
import { toModelProto, type EmitOptions } from '../../onnx/emit.js';
import { onnx } from '../../onnx/proto.js';
import type { TrainingStep } from './step-graph.js';

export function emitTrainingStep(step: TrainingStep, opts: EmitOptions = {}): Uint8Array {
  const model = toModelProto(step.graph, opts);
  const g = model.graph!;
  const trained = new Set(step.trainable.map((p) => p.name));
  g.initializer = (g.initializer ?? []).filter((t) => !trained.has(t.name ?? ''));
  const paramInputs = step.trainable.map((p) => ({
    name: p.name,
    type: { tensorType: { elemType: onnxElemType.float32, shape: { dim: p.shape.map((n) => ({ dimValue: n })) } } },
  }));
  g.input = [...paramInputs, ...(g.input ?? [])];
  return onnx.ModelProto.encode(model).finish();
}
