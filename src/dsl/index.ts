// The public DSL: typed tensors, ops, modules, parameters and build.
export { Tensor, input } from './tensor.js';
export { constant, scalar } from './const.js';
export { ParamStore, Scope, Param, init, type Init } from './params.js';
export { defineModule } from './module.js';
export { build, type Graph } from './build.js';
export { BuildShapeError } from './graph.js';
export type { Check, Dim, DimsAgree, OrWide, Shape, ShapeError } from './types/shape.js';
export type { DType } from './dtype.js';
export { linear } from './layers/linear.js';
export * from './ops/elementwise.js';
export * from './ops/matmul.js';
export { reshape, flatten, type FlattenShape } from './ops/reshape.js';
export type { ReshapeShape } from './types/element-count.js';
export { transpose, type TransposeShape } from './ops/transpose.js';
export { squeeze, unsqueeze, type SqueezeShape, type UnsqueezeShape } from './ops/squeeze.js';
export { concat, stack, type ConcatShape, type StackShape } from './ops/concat.js';
export { slice, split, type SliceShape, type SplitResult } from './ops/slice.js';
