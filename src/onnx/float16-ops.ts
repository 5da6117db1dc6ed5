// How the float16 pass treats each ONNX op type, read off the ONNX operator schemas' type constraints.
//
// Most ops bind all their float inputs and outputs to one type variable T: changing T from float to
// float16 changes them together. The exceptions are inputs with their own type (Resize `scales` is
// tensor(float) whatever T is; `roi`, Dropout's `ratio`, BatchNormalization's statistics have a
// second type variable): those are listed in `keep` and stay as they are. Outputs not bound to T
// (comparison results, indices) are listed in `outs` so that element types can be followed through
// nodes the emitter gave no value_info for.
//
// Ops not listed here run in float32 (Casts around them): always correct, at worst slower.

/** compute: runs in float16. move: copies or selects values exactly, so it runs in whichever precision its inputs already have. float32: kept in float32 for accuracy. */
export type Float16Class = 'compute' | 'move' | 'float32';

/** An output's element type: bound to the node's T, or fixed. */
export type OutType = 'T' | 'bool' | 'int64';

export interface Float16OpSpec {
  readonly cls: Float16Class;
  /** Input positions with their own type (not T): left in their original element type. */
  readonly keep?: readonly number[];
  /** Output element types by position (default: every output is T). */
  readonly outs?: readonly OutType[];
  /** Input positions of any type that do not decide T (Shape's data): fed in whatever precision they have. */
  readonly any?: readonly number[];
}

const compute: Float16OpSpec = { cls: 'compute' };
const move: Float16OpSpec = { cls: 'move' };
const float32: Float16OpSpec = { cls: 'float32' };
const predicate: Float16OpSpec = { cls: 'move', outs: ['bool'] };

/**
 * Ops kept in float32 by default: exponentials, powers and roots overflow or lose too much in
 * float16 (max 65504, 11-bit mantissa), and reductions/normalisations accumulate statistics
 * over many elements. Sin/Cos take positional-encoding arguments whose size makes float16's
 * absolute error large; GridSample and Range carry pixel coordinates; CumSum accumulates.
 */
export const DEFAULT_FLOAT32_OPS: ReadonlySet<string> = new Set([
  'Softmax',
  'LogSoftmax',
  'LayerNormalization',
  'BatchNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'LpNormalization',
  'MeanVarianceNormalization',
  'ReduceMean',
  'ReduceSum',
  'ReduceSumSquare',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceProd',
  'Exp',
  'Log',
  'Pow',
  'Sqrt',
  'Reciprocal',
  'Softplus',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
  'GridSample',
  'Range',
  'CumSum',
]);

export const FLOAT16_OPS: Readonly<Record<string, Float16OpSpec>> = {
  // ---- element-wise arithmetic and activations ----
  Add: compute,
  Sub: compute,
  Mul: compute,
  Div: compute,
  Mod: compute,
  Sum: compute,
  Mean: compute,
  Sigmoid: compute,
  HardSigmoid: compute,
  HardSwish: compute,
  Tanh: compute,
  LeakyRelu: compute,
  PRelu: compute,
  Elu: compute,
  Selu: compute,
  ThresholdedRelu: compute,
  Gelu: compute,
  Mish: compute,
  Softsign: compute,
  Erf: compute,
  Ceil: compute,
  Floor: compute,
  Round: compute,
  Clip: compute,
  Shrink: compute,
  // ---- contractions, convolutions, pooling, resampling ----
  MatMul: compute,
  Gemm: compute,
  Einsum: compute,
  Conv: compute,
  ConvTranspose: compute,
  AveragePool: compute,
  GlobalAveragePool: compute,
  LpPool: compute,
  GlobalLpPool: compute,
  // Resize: X is T1; roi is T2 and scales tensor(float) (both stay float32); sizes is int64.
  Resize: { cls: 'compute', keep: [1, 2, 3] },
  Upsample: { cls: 'compute', keep: [1] },
  RoiAlign: { cls: 'compute', keep: [2] },
  // Attention (opset 23): Q, K, V and a float mask share T1; the second and later outputs too.
  Attention: compute,
  // ---- exact: selection, sign, max/min, data movement ----
  Relu: move,
  Neg: move,
  Abs: move,
  Sign: move,
  Max: move,
  Min: move,
  Where: { cls: 'move', keep: [0] },
  ReduceMax: move,
  ReduceMin: move,
  Hardmax: move,
  MaxPool: { cls: 'move', outs: ['T', 'int64'] },
  GlobalMaxPool: move,
  ArgMax: { cls: 'move', outs: ['int64'] },
  ArgMin: { cls: 'move', outs: ['int64'] },
  TopK: { cls: 'move', keep: [1], outs: ['T', 'int64'] },
  Identity: move,
  Reshape: move,
  Transpose: move,
  Squeeze: move,
  Unsqueeze: move,
  Flatten: move,
  Concat: move,
  Split: move,
  Slice: move,
  Gather: move,
  GatherElements: move,
  GatherND: move,
  ScatterND: move,
  ScatterElements: move,
  Expand: move,
  Tile: move,
  Pad: move,
  DepthToSpace: move,
  SpaceToDepth: move,
  Trilu: move,
  Compress: move,
  ReverseSequence: move,
  OneHot: { cls: 'move', keep: [0, 1] },
  CastLike: { cls: 'move', any: [0] },
  Dropout: { cls: 'move', keep: [1, 2], outs: ['T', 'bool'] },
  // ---- predicates ----
  Equal: predicate,
  Greater: predicate,
  Less: predicate,
  GreaterOrEqual: predicate,
  LessOrEqual: predicate,
  IsNaN: predicate,
  IsInf: predicate,
  Not: move,
  And: move,
  Or: move,
  Xor: move,
  // ---- shape queries: their data input may be of any type ----
  Shape: { cls: 'move', any: [0], outs: ['int64'] },
  Size: { cls: 'move', any: [0], outs: ['int64'] },
  NonZero: { cls: 'move', any: [0], outs: ['int64'] },
  // ---- accuracy-sensitive (see DEFAULT_FLOAT32_OPS); listed so that their types are followed ----
  Softmax: float32,
  LogSoftmax: float32,
  Exp: float32,
  Log: float32,
  Pow: { cls: 'float32', keep: [1] },
  Sqrt: float32,
  Reciprocal: float32,
  Softplus: float32,
  Sin: float32,
  Cos: float32,
  Tan: float32,
  Asin: float32,
  Acos: float32,
  Atan: float32,
  // Celu's schema allows tensor(float) only.
  Celu: float32,
  Sinh: float32,
  Cosh: float32,
  Asinh: float32,
  Acosh: float32,
  Atanh: float32,
  LayerNormalization: float32,
  BatchNormalization: { cls: 'float32', keep: [1, 2, 3, 4] },
  InstanceNormalization: float32,
  GroupNormalization: float32,
  LpNormalization: float32,
  MeanVarianceNormalization: float32,
  ReduceMean: float32,
  ReduceSum: float32,
  ReduceSumSquare: float32,
  ReduceL1: float32,
  ReduceL2: float32,
  ReduceLogSum: float32,
  ReduceLogSumExp: float32,
  ReduceProd: float32,
  GridSample: { cls: 'float32', keep: [1] },
  Range: float32,
  CumSum: float32,
};

/** Ops whose attributes hold subgraphs: the pass cannot follow names into them. */
export const CONTROL_FLOW_OPS: ReadonlySet<string> = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);
