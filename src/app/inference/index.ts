// oneprompt/inference: the One-Prompt model as tools use it. One Segmenter over an injected runtime (segmenter.ts;
// onnxruntime-node: loadSegmenter), the model as encode + decode (prompt-segmenter.ts), and the one pipeline from
// template + prompt + query to masks (segment-queries.ts).
export * from './segmenter.js';
export { loadSegmenter, onnxRuntimeNode, type NodeSegmenter, type SegmenterOptions } from './load-segmenter.js';
export * from './prompt-segmenter.js';
export * from './segment-queries.js';
export * from './model-inputs.js';
export { modelFiles, readModelFile, type ModelFiles } from './model-files.js';
export { EncodingCache } from './encoding-cache.js';
