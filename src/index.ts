// The package's main entry, browser-safe (no node: module is reachable from it; a test bundles it for the browser):
// the DSL (typed tensors, ops, layers, parameters, build), the ONNX emitter, the float16 pass and the model summary.
// The rest has its own entry: oneprompt/runtime (ONNX Runtime), oneprompt/compile (files, manifests, Triton),
// oneprompt/train, oneprompt/testing, and the One-Prompt application: oneprompt/model, oneprompt/data,
// oneprompt/inference, oneprompt/eval, oneprompt/cli.
export * from './dsl/index.js';
export { emit, emitChunks, toModelProto, DEFAULT_IR_VERSION, DEFAULT_OPSET, type EmitOptions } from './onnx/emit.js';
export { summariseModel, moduleOf, nodeFlops, type ModelSummary, type TensorSummary, type OpCost } from './onnx/inspect.js';
export { toFloat16 } from './onnx/float16.js';
