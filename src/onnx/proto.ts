// onnx-proto is CommonJS: under ESM only its default export is real at run time.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';
