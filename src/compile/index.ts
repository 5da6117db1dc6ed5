// oneprompt/compile: built graphs to files. ONNX files written atomically (saveModel), or the whole compile step:
// each model with its manifest (inputs, outputs, parameters per module, sha256), float16 if asked, written together,
// and a Triton Inference Server model repository. Node-only.
export { saveModel } from '../onnx/save.js';
export {
  compileGraphs,
  emitCompiled,
  writeCompiled,
  manifestTensors,
  moduleBreakdown,
  type CompileTarget,
  type CompileDType,
  type EmittedModel,
  type Manifest,
  type TensorManifest,
  type TritonTarget,
} from './compile.js';
export { writeTritonRepository, manifestFromModel, type TritonRepositoryOptions } from './triton.js';
