// `oneprompt inspect FILE.onnx`: inputs, outputs, parameters per module, FLOPs per op type. The FLOP count runs the
// model once on zeros at the given dims; a run that would not fit the memory budget (src/onnx/run-memory.ts) is
// refused unless --force.
import type { Command } from 'commander';
import { summariseModel, type ModelSummary } from '../../onnx/inspect.js';
import { estimateRunMemory, fmtBytes, INSPECT_MEMORY_BUDGET } from '../../onnx/run-memory.js';
import { MAX_ONNX_BYTES } from '../../onnx/proto.js';
import { asFileReadError, readRegularFile } from '../../util/safe-read.js';
import { parseBindings, fmtCount, table } from './format.js';
import { profileFlops } from '../../runtime/profile-flops.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("print a model's inputs, outputs, parameters per module and FLOPs per op type")
    .argument('<file>', 'ONNX model file')
    .option('--dims <list>', 'values for symbolic dims, e.g. B=1,N=4096 (unbound ones are 1)', 'B=1')
    .option('--depth <n>', 'module path depth for the parameter breakdown', '2')
    .option('--no-flops', 'skip the profiled run that counts FLOPs')
    .option('--json', 'print one JSON object instead of tables')
    .option('--force', `run the FLOP count even when its estimated memory exceeds the ${fmtBytes(INSPECT_MEMORY_BUDGET)} budget`)
    .action(async (file: string, opts: { dims: string; depth: string; flops: boolean; json?: boolean; force?: boolean }) => {
      const bytes = readModelBytes(file);
      let s: ModelSummary;
      try {
        s = summariseModel(bytes, Number(opts.depth));
      } catch (e) {
        throw new Error(`inspect: ${file}: not a readable ONNX model (${(e as Error).message})`);
      }
      const bindings = parseBindings(opts.dims);
      if (opts.flops && !opts.force) checkRunMemory(file, bytes, bindings);
      let flops;
      try {
        flops = opts.flops ? await profileFlops(bytes, bindings) : undefined;
      } catch (e) {
        throw new Error(`inspect: ${file}: ONNX Runtime could not run the model at ${opts.dims}: ${String((e as Error).message ?? e).split('\n')[0]}`);
      }
      if (opts.json) {
        console.log(JSON.stringify({ ...s, flops, dims: bindings }, null, 2));
        return;
      }
      console.log(`${file}: IR ${s.irVersion}, opset ${s.opset}, ${s.nodes} nodes, produced by ${s.producer || 'unknown'}, weights ${s.dtype}`);
      console.log('\nInputs');
      console.log(
        table(
          ['name', 'dtype', 'shape'],
          s.inputs.map((i) => [i.name, i.dtype, `[${i.shape.join(', ')}]`]),
        ),
      );
      console.log('\nOutputs');
      console.log(
        table(
          ['name', 'dtype', 'shape'],
          s.outputs.map((i) => [i.name, i.dtype, `[${i.shape.join(', ')}]`]),
        ),
      );
      console.log(`\nParameters: ${fmtCount(s.parameters)} (${s.parameters})`);
      const mods = Object.entries(s.modules).sort((a, b) => b[1] - a[1]);
      console.log(
        table(
          ['module', 'parameters', 'share'],
          mods.map(([m, n]) => [m, fmtCount(n), `${((100 * n) / Math.max(1, s.parameters)).toFixed(1)}%`]),
        ),
      );
      if (flops) {
        const total = Object.values(flops).reduce((a, c) => a + c.flops, 0);
        console.log(
          `\nFLOPs per op type at ${
            Object.entries(bindings)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'defaults'
          }: ${fmtCount(total)}FLOP in all`,
        );
        const rows = Object.entries(flops).sort((a, b) => b[1].flops - a[1].flops);
        console.log(
          table(
            ['op', 'nodes', 'FLOPs', 'share'],
            rows.map(([op, c]) => [op, String(c.count), fmtCount(c.flops), `${((100 * c.flops) / Math.max(1, total)).toFixed(1)}%`]),
          ),
        );
      }
    });
}

export function readModelBytes(file: string): Uint8Array {
  try {
    return readRegularFile(file, MAX_ONNX_BYTES, 'an ONNX file (the protobuf limit)');
  } catch (e) {
    throw new Error(`inspect: ${asFileReadError(e, file).message}`);
  }
}

function checkRunMemory(file: string, bytes: Uint8Array, bindings: Readonly<Record<string, number>>): void {
  const m = estimateRunMemory(bytes, bindings);
  if (m.total <= INSPECT_MEMORY_BUDGET) return;
  const dims =
    Object.entries(bindings)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'the declared sizes';
  throw new Error(
    `inspect: counting FLOPs runs ${file} once at ${dims}, which needs about ${fmtBytes(m.total)} (weights ${fmtBytes(m.weights)}, inputs ${fmtBytes(m.inputs)}, ` +
      `intermediate tensors ${fmtBytes(m.intermediates)}${m.undeclared ? `, ${m.undeclared} of them without a declared shape, counted as large as the largest input` : ''}), ` +
      `over the ${fmtBytes(INSPECT_MEMORY_BUDGET)} budget: use smaller --dims, --no-flops to skip the run, or --force to run it anyway`,
  );
}
