// Convolution modules: conv2d / convTranspose2d with their `weight` and `bias` parameters,
// named by the module's scope and initialised as PyTorch does (U(−1/√fanIn, 1/√fanIn)).
import type { Check, Dim, FloorDiv, IsLiteral, Mod, OrWide, Shape } from '../types/shape.js';
import { defineModule } from '../module.js';
import { init, type Scope } from '../params.js';
import type { Tensor } from '../tensor.js';
import { BuildShapeError, describeValue } from '../graph.js';
import { callerLocation } from '../source.js';
import { conv2d, convTranspose2d, type Conv2dOptions, type Conv2dShape, type ConvTranspose2dOptions, type ConvTranspose2dShape } from '../ops/conv.js';
import { toPair, type OptionOf, type Pair, type PairH, type PairW } from '../ops/spatial.js';
import { dimValue } from '../dim-values.js';

interface LayerOptions {
  /** Output channels: a number when the graph is built (a module body may name it). */
  readonly out: Dim;
  readonly kernel: Pair;
  /** Add a learned per-channel bias (default true). */
  readonly bias?: boolean;
  /** 'zeros': weight and bias start at zero, so a route added to a trained model starts as a no-op (default: PyTorch's). */
  readonly init?: 'zeros';
}
export interface Conv2dLayerOptions extends Conv2dOptions, LayerOptions {}
export interface ConvTranspose2dLayerOptions extends ConvTranspose2dOptions, LayerOptions {}

// ---------------- type-level rules: the op's rule on the weight the layer will create ----------------

/** C / groups when it divides (otherwise wide: conv2d's rule then reports the groups error). */
type PerGroup<C extends Dim, G> =
  IsLiteral<C> extends true
    ? IsLiteral<G> extends true
      ? Mod<C & number, G & number> extends 0
        ? FloorDiv<C & number, G & number>
        : number
      : number
    : number;
type Out<O> = OptionOf<O, 'out', number> & Dim;
type K<O> = OptionOf<O, 'kernel', number>;
type Channels<XS extends Shape> = XS extends readonly [Dim, infer C extends Dim, Dim, Dim] ? C : number;

// The input's channels size the weight, so they must be a number when the graph is built: a named channel dim passes
// here (a module body's name for a number), one that stays symbolic is reported when the graph is built.
export type Conv2dLayerShape<XS extends Shape, O> = Conv2dShape<XS, [Out<O>, PerGroup<Channels<XS>, OptionOf<O, 'groups', 1>>, PairH<K<O>>, PairW<K<O>>], O>;
export type ConvTranspose2dLayerShape<XS extends Shape, O> = ConvTranspose2dShape<XS, [Channels<XS>, Out<O>, PairH<K<O>>, PairW<K<O>>], O>;

// ---------------- modules ----------------

/** A layer's own build-time error, named like `apply`'s: op and module path, input, source line. */
const layerError = (op: string, s: Scope, rule: string, x: Tensor<Shape, 'float32'>) =>
  new BuildShapeError(s.path ? `${op} in ${s.path}` : op, rule, [describeValue(x.value)], callerLocation());

/** The input's channel count; the layer sizes its weight by it, so it must be known when building. */
function staticChannels(op: string, s: Scope, x: Tensor<Shape, 'float32'>): number {
  const c = x.shape[1];
  if (x.shape.length !== 4) throw layerError(op, s, `${op}: the input needs rank 4 (N, C, H, W), got rank ${x.shape.length}`, x);
  if (typeof c !== 'number') throw layerError(op, s, `${op}: the input's channel dim must be static, got ${c}`, x);
  return c;
}

/** conv2d with `weight` [out, C/groups, kh, kw] and `bias` [out]. */
export const conv2dLayer = defineModule(function conv2dLayer<XS extends Shape, const O extends Conv2dLayerOptions>(
  s: Scope,
  x: Tensor<XS, 'float32'> & Check<Conv2dLayerShape<XS, O>>,
  opts: O,
): Tensor<OrWide<Conv2dLayerShape<XS, O>>, 'float32'> {
  const xt = x as Tensor<Shape, 'float32'>;
  const c = staticChannels('conv2dLayer', s, xt);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0)
    throw layerError('conv2dLayer', s, `conv2d: groups ${groups} does not divide the ${c} input channels`, xt);
  const [kh, kw] = toPair(opts.kernel, 1);
  const fanIn = (c / groups) * kh * kw;
  const start = opts.init === 'zeros' ? init.zeros : init.fanIn(fanIn);
  const weight = s.param('weight', [opts.out, c / groups, kh, kw], start);
  const bias = opts.bias === false ? undefined : s.param('bias', [opts.out], start);
  const convOpts: Conv2dOptions = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups };
  return conv2d(xt, weight as never, bias as never, convOpts) as never;
});

/**
 * convTranspose2d with `weight` [C, out, kh, kw] and `bias` [out]. As in PyTorch, the init's
 * fan-in is computed from the weight's second dim (out·kh·kw).
 */
export const convTranspose2dLayer = defineModule(function convTranspose2dLayer<XS extends Shape, const O extends ConvTranspose2dLayerOptions>(
  s: Scope,
  x: Tensor<XS, 'float32'> & Check<ConvTranspose2dLayerShape<XS, O>>,
  opts: O,
): Tensor<OrWide<ConvTranspose2dLayerShape<XS, O>>, 'float32'> {
  const xt = x as Tensor<Shape, 'float32'>;
  const c = staticChannels('convTranspose2dLayer', s, xt);
  const [kh, kw] = toPair(opts.kernel, 1);
  const fanIn = dimValue(opts.out, `convTranspose2dLayer '${s.path}': out`) * kh * kw;
  const weight = s.param('weight', [c, opts.out, kh, kw], init.fanIn(fanIn));
  const bias = opts.bias === false ? undefined : s.param('bias', [opts.out], init.fanIn(fanIn));
  const convOpts: ConvTranspose2dOptions = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, outputPadding: opts.outputPadding };
  return convTranspose2d(xt, weight as never, bias as never, convOpts) as never;
});
