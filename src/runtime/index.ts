// oneprompt/runtime: running compiled models. ONNX Runtime in this process (Model: threads, optimisation level,
// CPU/CUDA with fallback; onnxruntime-node is loaded with the first model), FLOPs per op from a profiled run, and a
// client for models served by Triton Inference Server (KServe v2 over HTTP). Node-only.
export { Model, hostTensor, type HostTensor, type SessionOptions, type Device } from './session.js';
export { profileFlops } from './profile-flops.js';
export {
  tritonClient,
  TritonClient,
  TritonError,
  type TritonClientOptions,
  type InferOptions,
  type ModelMetadata,
  type TensorMetadata,
} from './triton-client.js';
export { cudaProviderStatus } from './cuda-libs.js';
