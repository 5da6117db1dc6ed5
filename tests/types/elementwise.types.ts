// Type tests: each @ts-expect-error line must be rejected by the compiler (tsc fails if it is not).
import { input } from '../../src/dsl/tensor.js';
import type { Tensor } from '../../src/dsl/tensor.js';
import { add, matmul, mul, where, greater } from '../../src/dsl/index.js';

const a = input('a', ['B', 4, 256]);
const w = input('w', [256, 3]);
const w255 = input('w255', [255, 3]);

// accepted, with the shapes the rules compute
export const ok1: Tensor<['B', 4, 3], 'float32'> = matmul(a, w);
export const ok2: Tensor<['B', 4, 256], 'float32'> = add(a, input('bias', [256]));
export const ok3: Tensor<['B', 4, 256], 'float32'> = mul(a, 2);
export const ok4: Tensor<[7, 'B', 4, 256], 'float32'> = add(a, input('c', [7, 1, 1, 1]));
export const ok5: Tensor<['B', 4, 256], 'bool'> = greater(a, 0);
export const ok6: Tensor<['B', 4, 256], 'float32'> = where(greater(a, 0), a, 0);

// rejected
// @ts-expect-error matmul: inner dims differ (256 vs 255)
matmul(a, w255);
// @ts-expect-error matmul: the right operand needs rank ≥ 2
matmul(a, input('v', [256]));
// @ts-expect-error add: cannot broadcast 256 with 5
add(a, input('z', [5]));
// @ts-expect-error add: cannot broadcast B with N (two different symbolic dims)
add(input('p', ['B', 3]), input('q', ['N', 3]));
// @ts-expect-error the result shape is [B, 4, 3], not [B, 4, 4]
export const bad: Tensor<['B', 4, 4], 'float32'> = matmul(a, w);
