// oneprompt/model: the One-Prompt model (Wu et al., CVPR 2024) in the DSL, its configurations, its I/O contract, its
// encoder/decoder pair and its compile step.
export * from './config.js';
export * from './contract.js';
export { buildOnePrompt, assembleOnePrompt, modelInputs, promptInputs, encodeImage, decodePrompt, blockLevels, type OnePromptModel, type ModelInputs, type ImageEncoding, type TemplateEncoding, type TemplateTokens, type OutputOf } from './model.js';
export { buildOnePromptPair, assembleOnePromptPair, type OnePromptPair, type ImageEncoderGraph, type PromptDecoderGraph } from './split.js';
export { compileOnePrompt, resolveConfig, loadWeights, type CompileOptions, type CompileResult, type Manifest, type PairManifest } from './compile.js';
export { randomModelInputs } from './random-inputs.js';
