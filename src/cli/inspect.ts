// `oneprompt inspect FILE.onnx`: inputs, outputs, parameters per module, FLOPs per op type.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { profileFlops, readModelFile, summariseModel } from '../onnx/inspect.js';
import { parseBindings, fmtCount, table } from './format.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('print a model\'s inputs, outputs, parameters per module and FLOPs per op type')
    .argument('<file>', 'ONNX model file')
    .option('--dims <list>', 'values for symbolic dims, e.g. B=1,N=4096 (unbound ones are 1)', 'B=1')
    .option('--depth <n>', 'module path depth for the parameter breakdown', '2')
    .option('--no-flops', 'skip the profiled run that counts FLOPs')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (file: string, opts: { dims: string; depth: string; flops: boolean; json?: boolean }) => {
      if (!existsSync(file)) throw new Error(`inspect: no such file '${file}'`);
      const bytes = readModelFile(file);
      const s = summariseModel(bytes, Number(opts.depth));
      const bindings = parseBindings(opts.dims);
      const flops = opts.flops ? await profileFlops(bytes, bindings) : undefined;
      if (opts.json) {
        console.log(JSON.stringify({ ...s, flops, dims: bindings }, null, 2));
        return;
      }
      console.log(`${file}: IR ${s.irVersion}, opset ${s.opset}, ${s.nodes} nodes, produced by ${s.producer || 'unknown'}, weights ${s.dtype}`);
      console.log('\nInputs');
      console.log(table(['name', 'dtype', 'shape'], s.inputs.map((i) => [i.name, i.dtype, `[${i.shape.join(', ')}]`])));
      console.log('\nOutputs');
      console.log(table(['name', 'dtype', 'shape'], s.outputs.map((i) => [i.name, i.dtype, `[${i.shape.join(', ')}]`])));
      console.log(`\nParameters: ${fmtCount(s.parameters)} (${s.parameters})`);
      const mods = Object.entries(s.modules).sort((a, b) => b[1] - a[1]);
      console.log(table(['module', 'parameters', 'share'], mods.map(([m, n]) => [m, fmtCount(n), `${((100 * n) / Math.max(1, s.parameters)).toFixed(1)}%`])));
      if (flops) {
        const total = Object.values(flops).reduce((a, c) => a + c.flops, 0);
        console.log(`\nFLOPs per op type at ${Object.entries(bindings).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults'}: ${fmtCount(total)}FLOP in all`);
        const rows = Object.entries(flops).sort((a, b) => b[1].flops - a[1].flops);
        console.log(table(['op', 'nodes', 'FLOPs', 'share'], rows.map(([op, c]) => [op, String(c.count), fmtCount(c.flops), `${((100 * c.flops) / Math.max(1, total)).toFixed(1)}%`])));
      }
    });
}
