// Type tests for conv2d / convTranspose2d / pools / resize: each @ts-expect-error line must be
// rejected by the compiler; accepted lines assert the shapes the type-level rules compute.
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { ParamStore } from '../../src/dsl/params.js';
import { avgPool2d, conv2d, conv2dLayer, convTranspose2d, convTranspose2dLayer, maxPool2d, resize } from '../../src/dsl/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <A, B>(_check: Equals<A, B>): void => undefined;
type ShapeOf<T> = T extends Tensor<infer S, any> ? S : never;

const img = input('img', ['B', 3, 1024, 1024]);
const w3 = input('w3', [64, 3, 3, 3]);
const w4 = input('w4', [64, 4, 3, 3]);
const b64 = input('b64', [64]);

// ---- accepted: conv2d ----
export const same: Tensor<['B', 64, 1024, 1024], 'float32'> = conv2d(img, w3, b64, { padding: 1 });
export const patchify: Tensor<['B', 256, 64, 64], 'float32'> = conv2d(img, input('pw', [256, 3, 16, 16]), undefined, { stride: 16 });
export const down: Tensor<['B', 64, 512, 512], 'float32'> = conv2d(img, w3, undefined, { stride: 2, padding: 1 });
export const valid: Tensor<['B', 64, 1022, 1020], 'float32'> = conv2d(img, input('w35', [64, 3, 3, 5]));
export const dilated: Tensor<['B', 64, 1020, 1024], 'float32'> = conv2d(img, w3, undefined, { dilation: [3, 1], padding: [1, 1] });
export const perAxis: Tensor<['B', 64, 342, 1026], 'float32'> = conv2d(img, w3, undefined, { stride: [3, 1], padding: [1, 2] });
const x8 = input('x8', [2, 8, 33, 17]);
export const grouped: Tensor<[2, 16, 16, 8], 'float32'> = conv2d(x8, input('wg', [16, 2, 3, 3]), undefined, { groups: 4, stride: 2 });
export const depthwise: Tensor<[2, 8, 33, 17], 'float32'> = conv2d(x8, input('wd', [8, 1, 3, 3]), undefined, { groups: 8, padding: 1 });

// a symbolic H keeps a symbolic expression, written as the runtime writes it
const sym = input('sym', ['B', 3, 'H', 'W']);
assertType<ShapeOf<ReturnType<typeof symConv>>, ['B', 64, 'floor((H-1)/2)+1', 'floor((W-1)/2)+1']>(true);
function symConv() {
  return conv2d(sym, w3, undefined, { stride: 2, padding: 1 });
}
assertType<ShapeOf<ReturnType<typeof symValid>>, ['B', 64, 'H-2', 'W+2']>(true);
function symValid() {
  return conv2d(sym, w3, undefined, { padding: [0, 2] });
}
assertType<ShapeOf<ReturnType<typeof symStride>>, ['B', 64, 'floor((H-5)/2)+1', 'floor((W-1)/3)+1']>(true);
function symStride() {
  return conv2d(sym, w3, undefined, { stride: [2, 3], padding: [0, 1], dilation: [2, 1] });
}
// a non-literal option makes the dim wide (checked at build time)
declare const k: number;
assertType<ShapeOf<ReturnType<typeof wideStride>>, ['B', 64, number, 1024]>(true);
function wideStride() {
  return conv2d(img, w3, undefined, { stride: [k, 1], padding: 1 });
}

// ---- accepted: convTranspose2d ----
const lat = input('lat', ['B', 256, 64, 64]);
export const up2: Tensor<['B', 128, 128, 128], 'float32'> = convTranspose2d(lat, input('tw', [256, 128, 2, 2]), input('tb', [128]), { stride: 2 });
export const up16: Tensor<['B', 1, 1024, 1024], 'float32'> = convTranspose2d(lat, input('tw16', [256, 1, 16, 16]), undefined, { stride: 16 });
export const upPad: Tensor<['B', 128, 128, 127], 'float32'> = convTranspose2d(lat, input('tw3', [256, 128, 3, 3]), undefined, {
  stride: 2,
  padding: 1,
  outputPadding: [1, 0],
});
assertType<ShapeOf<ReturnType<typeof symUp>>, ['B', 64, 'H*2', 'W*2+1']>(true);
function symUp() {
  return convTranspose2d(input('s', ['B', 3, 'H', 'W']), input('tws', [3, 64, 3, 3]), undefined, { stride: 2, padding: [1, 0], outputPadding: [1, 0] });
}

// ---- rejected ----
// @ts-expect-error conv2d: input has 3 channels but the weight expects 4
conv2d(img, w4);
// @ts-expect-error conv2d: input has C channels but the weight expects 3 (a symbolic channel dim)
conv2d(input('c', ['B', 'C', 8, 8]), w3);
// @ts-expect-error conv2d: kernel 5 (dilation 1) is larger than the padded input 4
conv2d(input('small', [1, 3, 4, 4]), input('w5', [8, 3, 5, 5]));
// @ts-expect-error conv2d: kernel 3 (dilation 2) is larger than the padded input 4 (the width only)
conv2d(input('wide', [1, 3, 64, 4]), w3, undefined, { dilation: 2 });
// @ts-expect-error conv2d: groups 3 does not divide the 8 input channels
conv2d(x8, input('wg3', [6, 2, 3, 3]), undefined, { groups: 3 });
// @ts-expect-error conv2d: groups 4 does not divide the 6 output channels
conv2d(x8, input('wg4', [6, 2, 3, 3]), undefined, { groups: 4 });
// @ts-expect-error conv2d: input has 8 channels but the weight expects 12 (3 per group × 4 groups)
conv2d(x8, input('wg43', [8, 3, 3, 3]), undefined, { groups: 4 });
// @ts-expect-error conv2d: stride must be at least 1
conv2d(img, w3, undefined, { stride: 0 });
// @ts-expect-error conv2d: the input needs rank 4 (N, C, H, W), got rank 3
conv2d(input('r3', [3, 32, 32]), w3);
// @ts-expect-error conv2d: bias has 32 values but the weight has 64 output channels
conv2d(img, w3, input('b32', [32]));
// @ts-expect-error the result is [B, 64, 1024, 1024], not [B, 64, 1022, 1022]
export const wrongShape: Tensor<['B', 64, 1022, 1022], 'float32'> = conv2d(img, w3, b64, { padding: 1 });
// @ts-expect-error convTranspose2d: input has 256 channels but the weight expects 128
convTranspose2d(lat, input('tw128', [128, 64, 2, 2]));
// @ts-expect-error convTranspose2d: outputPadding 2 must be smaller than the stride 2
convTranspose2d(lat, input('twp', [256, 64, 2, 2]), undefined, { stride: 2, outputPadding: 2 });
// @ts-expect-error convTranspose2d: padding 3 is too large for input 1
convTranspose2d(input('one', [1, 4, 1, 1]), input('tw1', [4, 4, 2, 2]), undefined, { padding: 3 });

// ---- pools ----
const feat = input('feat', ['B', 16, 1024, 1024]);
export const pooled: Tensor<['B', 16, 512, 512], 'float32'> = maxPool2d(feat, { kernel: 2 });
export const pooledPad: Tensor<['B', 16, 512, 512], 'float32'> = avgPool2d(feat, { kernel: 3, stride: 2, padding: 1 });
export const pooledRect: Tensor<['B', 16, 1023, 341], 'float32'> = maxPool2d(feat, { kernel: [2, 3], stride: [1, 3] });
assertType<ShapeOf<ReturnType<typeof symPool>>, ['B', 3, 'floor((H-2)/2)+1', 'floor((W-2)/2)+1']>(true);
function symPool() {
  return maxPool2d(sym, { kernel: 2 });
}
// @ts-expect-error maxPool2d: padding 2 must be smaller than the kernel 2
maxPool2d(feat, { kernel: 2, padding: 2 });
// @ts-expect-error avgPool2d: kernel 5 (dilation 1) is larger than the padded input 4
avgPool2d(input('tiny', [1, 1, 4, 4]), { kernel: 5 });
// @ts-expect-error maxPool2d: the input needs rank 4 (N, C, H, W), got rank 2
maxPool2d(input('flat', [4, 4]), { kernel: 2 });

// ---- resize ----
export const toSize: Tensor<['B', 16, 256, 128], 'float32'> = resize(feat, { size: [256, 128] });
export const byScale: Tensor<[1, 8, 1024, 1024], 'float32'> = resize(input('m', [1, 8, 256, 256]), { scale: 4 }, 'nearest');
assertType<ShapeOf<ReturnType<typeof symResize>>, ['B', 3, 'H*2', 'W*2']>(true);
function symResize() {
  return resize(sym, { scale: 2 });
}
// @ts-expect-error resize: scale 1.5 must be a whole number ≥ 1 (give a size for other factors)
resize(feat, { scale: 1.5 });
// @ts-expect-error resize: size [0, 4] must be positive
resize(feat, { size: [0, 4] });
// @ts-expect-error resize: the input needs rank 4 (N, C, H, W), got rank 3
resize(input('r3i', [3, 8, 8]), { scale: 2 });

// ---- layers ----
const store = new ParamStore(1);
export const layerOut: Tensor<['B', 32, 512, 512], 'float32'> = conv2dLayer(store.root().at('c1'), img, { out: 32, kernel: 3, stride: 2, padding: 1 });
export const layerGrouped: Tensor<[2, 8, 33, 17], 'float32'> = conv2dLayer(store.root().at('c2'), x8, {
  out: 8,
  kernel: 3,
  padding: 1,
  groups: 8,
  bias: false,
});
export const layerUp: Tensor<['B', 64, 128, 128], 'float32'> = convTranspose2dLayer(store.root().at('up'), lat, { out: 64, kernel: 2, stride: 2 });
// @ts-expect-error conv2d: groups 3 does not divide the 8 input channels
conv2dLayer(store.root().at('c3'), x8, { out: 6, kernel: 3, groups: 3 });
// A named channel dim may size the weight (a module body's name for a number); one that stays symbolic is reported
// when the graph is built (conv.build.test.ts).
export const layerNamed: Tensor<['B', 4, 8, 8], 'float32'> = conv2dLayer(store.root().at('c4'), input('sc', ['B', 'C', 8, 8]), { out: 4, kernel: 1 });
// @ts-expect-error conv2d: kernel 5 (dilation 1) is larger than the padded input 4
conv2dLayer(store.root().at('c5'), input('t4', [1, 3, 4, 4]), { out: 4, kernel: 5 });
// @ts-expect-error convTranspose2d: outputPadding 1 must be smaller than the stride 1
convTranspose2dLayer(store.root().at('up2'), lat, { out: 4, kernel: 3, outputPadding: 1 });
