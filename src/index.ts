// The public API: the DSL, emission, the runtime and the property-testing helper. Everything else (training,
// data, CLI, serving) is imported from its own folder.
export * from './dsl/index.js';
export { emit, emitChunks, toModelProto, type EmitOptions } from './onnx/emit.js';
export { saveModel } from './onnx/save.js';
export { summariseModel, profileFlops } from './onnx/inspect.js';
export { toFloat16 } from './onnx/float16.js';
export { Model, hostTensor, type HostTensor, type SessionOptions, type Device } from './runtime/session.js';
export { checkShapes, randomFeeds, type ShapePropertySpec, type GraphInstance } from './testing/shape-property.js';
