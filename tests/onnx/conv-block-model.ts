// A small hand-written ONNX model with the op kinds the float16 pass must treat differently:
// convolution and matmul (float16), Resize with float32 scales, Reshape with an int64 shape,
// LayerNormalization, Softmax and ReduceMean (kept float32), Shape/ConstantOfShape/Cast/Where.
import type { onnx as P } from 'onnx-proto';
import { OnnxNodeWriter } from '../../src/onnx/node-writer.js';
import { mulberry32 } from '../../src/util/rng.js';

const FLOAT = 1;
const valueInfo = (name: string, dims: (number | string)[], elemType = FLOAT): P.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

const randoms = (n: number, seed: number, scale: number): Float32Array => {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
};

/** x [B, 3, 16, 16] → y [B, 256, 8] (attention-like weights) and m [B, 256, 1] (a statistic). */
export function convBlockModel(): P.IModelProto {
  const w = new OnnxNodeWriter();
  w.current = { name: 'block', source: 'tests/onnx/conv-block-model.ts' };
  const convW = w.float32(randoms(8 * 3 * 3 * 3, 1, 0.4), [8, 3, 3, 3]);
  const convB = w.float32(randoms(8, 2, 0.1), [8]);
  w.node('Conv', ['x', convW, convB], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  w.node('Relu', ['conv'], ['act']);
  w.node('MaxPool', ['act'], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] });
  const roi = w.float32([], [0]);
  const scales = w.float32([1, 1, 2, 2], [4]);
  w.node('Resize', ['pool', roi, scales], ['up'], { mode: 'linear' });
  w.node('Reshape', ['up', w.int64([0, 8, -1])], ['flat']);
  w.node('Transpose', ['flat'], ['tokens'], { perm: [0, 2, 1] });
  w.node(
    'LayerNormalization',
    [
      'tokens',
      w.float32(
        randoms(8, 3, 1).map((v) => 1 + v / 4),
        [8],
      ),
      w.float32(randoms(8, 4, 0.1), [8]),
    ],
    ['normed'],
    { axis: -1, epsilon: { float: 1e-5 } },
  );
  w.node('MatMul', ['normed', w.float32(randoms(64, 5, 0.5), [8, 8])], ['scores']);
  w.node('Softmax', ['scores'], ['probs'], { axis: -1 });
  // max(probs, 1/8) as Where(probs > 1/8, probs, ones / lastDim), continuous at the threshold:
  // exercises bool outputs, Shape, ConstantOfShape and a Cast from int64 to float.
  w.node('Greater', ['probs', w.float32([0.125], [])], ['big']);
  w.node('Shape', ['probs'], ['probsShape']);
  w.node('ConstantOfShape', ['probsShape'], ['ones'], { value: undefined });
  w.node('Cast', ['probsShape'], ['shapeAsFloat'], { to: { int: FLOAT } });
  w.node('Gather', ['shapeAsFloat', w.int64([2], [])], ['lastDim'], { axis: 0 });
  w.node('Div', ['ones', 'lastDim'], ['fill']);
  w.node('Where', ['big', 'probs', 'fill'], ['y']);
  w.node('ReduceMean', ['tokens'], ['m'], { axes: [-1], keepdims: 1 });
  const model: P.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'oneprompt-test',
    graph: {
      name: 'conv_block',
      node: w.nodes,
      initializer: w.initializers,
      input: [valueInfo('x', ['B', 3, 16, 16])],
      output: [valueInfo('y', ['B', 256, 8]), valueInfo('m', ['B', 256, 1])],
      valueInfo: [
        valueInfo('conv', ['B', 8, 16, 16]),
        valueInfo('pool', ['B', 8, 8, 8]),
        valueInfo('tokens', ['B', 256, 8]),
        valueInfo('probs', ['B', 256, 8]),
      ],
    },
  };
  // ConstantOfShape with a float 1 (the writer has no tensor attributes).
  const cos = model.graph!.node!.find((n) => n.opType === 'ConstantOfShape')!;
  cos.attribute = [{ name: 'value', type: 4, t: { dims: [1], dataType: FLOAT, floatData: [1] } }];
  return model;
}
