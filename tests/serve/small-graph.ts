// A small graph with the compiled model's kinds of I/O: a batched image, a batched prompt vector, two outputs.
import { input } from '../../src/dsl/tensor.js';
import { build, type Graph } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { add, matmul, sigmoid } from '../../src/dsl/index.js';

export function smallGraph(): Graph {
  const store = new ParamStore(5);
  const image = input('image', ['B', 1, 8, 8]);
  const prompt = input('prompt', ['B', 1, 1, 4]);
  const flat = matmul(image, store.root().at('proj').param('weight', [8, 8], { kind: 'uniform', bound: 0.3 }));
  const gate = sigmoid(linear(store.root().at('gate'), prompt, 8));
  return build({ name: 'small', inputs: { image, prompt }, outputs: { logits: add(flat, gate), gate } });
}
