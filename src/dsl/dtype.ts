// Element types and their ONNX codes and typed-array views.
export type DType = 'float32' | 'float16' | 'int32' | 'int64' | 'bool' | 'uint8';
export type FloatType = 'float32' | 'float16';

/** ONNX TensorProto.DataType codes. */
export const onnxElemType: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10 };
export const bytesPerElement: Record<DType, number> = { float32: 4, uint8: 1, int32: 4, int64: 8, bool: 1, float16: 2 };

export type HostArray = Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;
