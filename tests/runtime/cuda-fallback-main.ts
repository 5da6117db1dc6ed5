// Run as a child process by device-fallback.test.ts: loads a small model with device 'cuda' and the
// default warning (console.warn, to stderr), runs it, and prints the device and the output on stdout.
import { input } from '../../src/dsl/tensor.js';
import { build } from '../../src/dsl/build.js';
import { ParamStore } from '../../src/dsl/params.js';
import { linear } from '../../src/dsl/layers/linear.js';
import { emit } from '../../src/onnx/emit.js';
import { Model, hostTensor } from '../../src/runtime/session.js';

const x = input('x', ['B', 4]);
const y = linear(new ParamStore(3).root().at('fc'), x, 2);
const bytes = emit(build({ inputs: { x }, outputs: { y } }));
const model = await Model.load(bytes, { device: 'cuda' });
const out = await model.run({ x: hostTensor(Float32Array.of(1, 2, 3, 4), [1, 4]) });
process.stdout.write(JSON.stringify({ device: model.device, y: Array.from(out.y.data as Float32Array) }) + '\n');
