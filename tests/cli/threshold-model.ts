// A test model with One-Prompt's inputs and output whose mask is the query's bright structure: logits = 20·(query −
// 0.5), whatever the prompt. On a synthetic volume with an off-centre structure, a label volume that is mirrored,
// transposed or shifted on its way back into voxels shows as a low Dice against the structure.
import { build, mul, sub, type Shape, type Tensor } from '../../src/dsl/index.js';
import { emit } from '../../src/onnx/emit.js';
import { modelInputs } from '../../graphs/oneprompt/model.js';

type F = Tensor<Shape, 'float32'>;

export function thresholdModel(S = 64, K = 32): Uint8Array {
  const inputs = modelInputs(S, K);
  const logits = mul(sub(inputs.query as F, 0.5) as F, 20) as F;
  return emit(build({ inputs, outputs: { mask_logits: logits } }));
}
