// A test model with One-Prompt's inputs and output whose mask follows the prompt sharply: Gaussian bumps at the
// prompt points (+ for foreground / first role, − for background / second role), the SegLab mask itself, and a
// little of both images. An untrained One-Prompt model barely reacts to its prompt, so comparing the page's masks
// with the CLI's on it alone would pass even if the page encoded the prompt wrongly; on this model a point that is
// one pixel off moves the mask. Written with the DSL and compiled to ONNX like any model of ours.
import { add, build, constant, exp, matmul, mul, reduceSum, reshape, sub, type Shape, type Tensor } from '../../src/dsl/index.js';
import { emit } from '../../src/onnx/emit.js';
import { modelInputs } from '../../graphs/oneprompt/model.js';

type F = Tensor<Shape, 'float32'>;

export function echoModel(S = 64, K = 32, sigma = 0.06): Uint8Array {
  const inputs = modelInputs(S, K);
  const { query, template, prompt_points: points, prompt_labels: labels, prompt_mask: mask, prompt_type: type } = inputs;
  // Pixel centres in the model's [0, 1] coordinates: row 0 x, row 1 y; and their squared norms.
  const grid = new Float32Array(2 * S * S);
  const norms = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const i = y * S + x;
      grid[i] = (x + 0.5) / S;
      grid[S * S + i] = (y + 0.5) / S;
      norms[i] = grid[i] ** 2 + grid[S * S + i] ** 2;
    }
  }
  const cross = matmul(points as F, constant(grid, [2, S * S]) as F) as F; // (B, K, S²)
  const pp = reduceSum(mul(points as F, points as F) as F, [2], true) as F; // (B, K, 1)
  const d2 = add(sub(pp, mul(cross, 2) as F) as F, constant(norms, [1, S * S]) as F) as F;
  const bumps = exp(mul(d2, -1 / (sigma * sigma)) as F) as F;
  // label 1 → +1, label 2 → −1, padding 0 → 0.
  const weight = mul(mul(labels as F, sub(5, mul(labels as F, 3) as F) as F) as F, 0.5) as F;
  const fromPoints = reshape(matmul(reshape(weight, [-1, 1, K]) as F, bumps) as F, [-1, 1, S, S]) as F;
  const typeBias = reshape(matmul(type as F, constant([0, 0.05, 0.1, 0.15], [4, 1]) as F) as F, [-1, 1, 1, 1]) as F;
  let logits = add(mul(fromPoints, 6) as F, mul(mask as F, 8) as F) as F;
  logits = add(logits, add(mul(sub(query as F, 0.5) as F, 1.5) as F, mul(sub(template as F, 0.5) as F, 0.5) as F) as F) as F;
  logits = add(sub(logits, 1.5) as F, typeBias) as F;
  const graph = build({ inputs, outputs: { mask_logits: logits } });
  return emit(graph);
}
