// ONNX's tensor element types (TensorProto.DataType) by the names we print and write in manifests. One table for
// `inspect`, the compile step's manifests and Triton configurations, and the ONNX node-test runner.

/** ONNX element type code → name. */
export const ONNX_ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

/** The element type's name, or `unknown(code)` for a code the table lacks (newer float8 and int4 types, say). */
export const elementTypeName = (code: number, unknown: (code: number) => string = (c) => `type ${c}`): string => ONNX_ELEMENT_TYPES[code] ?? unknown(code);
