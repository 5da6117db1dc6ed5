import { describe, expect, it } from 'vitest';
import { input } from '../../src/dsl/tensor.js';
import { gelu } from '../../src/dsl/index.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { emit } from '../../src/onnx/emit.js';
import { moduleOf, nodeFlops, summariseModel } from '../../src/onnx/inspect.js';
import { profileFlops } from '../../src/runtime/profile-flops.js';

function mlp() {
  const store = new ParamStore(1);
  const x = input('x', ['B', 10, 32]);
  const h = gelu(linear(store.root().at('enc').at('fc1'), x, 64));
  const y = linear(store.root().at('dec').at('fc2'), h, 8);
  return build({ name: 'mlp', inputs: { x }, outputs: { y } });
}

describe('inspect', () => {
  it('summarises inputs, outputs, parameters per module and op types', () => {
    const s = summariseModel(emit(mlp()));
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['B', 10, 32] }]);
    expect(s.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: ['B', 10, 8] }]);
    expect(s.parameters).toBe(32 * 64 + 64 + 64 * 8 + 8);
    expect(s.modules).toEqual({ 'enc.fc1': 32 * 64 + 64, 'dec.fc2': 64 * 8 + 8 });
    expect(s.opTypes.MatMul).toBe(2);
    expect(s.opset).toBe(17);
    expect(s.irVersion).toBe(8);
    expect(s.dtype).toBe('float32');
  });

  it('counts FLOPs per op type from the shapes ONNX Runtime sees at the given batch', async () => {
    const bytes = emit(mlp());
    const c1 = await profileFlops(bytes, { B: 1 });
    const c3 = await profileFlops(bytes, { B: 3 });
    expect(c1.MatMul.count).toBe(2);
    expect(c1.MatMul.flops).toBe(2 * 10 * 32 * 64 + 2 * 10 * 64 * 8);
    expect(c3.MatMul.flops).toBe(3 * c1.MatMul.flops);
    expect(c1.Erf.flops).toBe(10 * 64);
  });

  it('has FLOP rules for convolutions', () => {
    expect(
      nodeFlops(
        'Conv',
        [
          [1, 3, 8, 8],
          [16, 3, 3, 3],
        ],
        [[1, 16, 8, 8]],
      ),
    ).toBe(2 * 16 * 64 * 27);
    expect(nodeFlops('Reshape', [[2, 3]], [[3, 2]])).toBe(0);
    expect(moduleOf('decoder.former.0.attn.q.weight', 2)).toBe('decoder.former');
    expect(moduleOf('bias', 2)).toBe('bias');
  });
});
