// onnx-proto is CommonJS: under ESM only its default export is real at run time.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** ONNX files are protobuf messages, which cannot exceed 2 GiB (larger models keep weights in external files). */
export const MAX_ONNX_BYTES = 2 * 2 ** 30;
