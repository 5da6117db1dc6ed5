// The `oneprompt` command line: one module per command, registered here. `main(args)` runs it in-process and
// returns the exit code (tests and scripts call it directly; bin/oneprompt.mjs calls it for the real process).
import { Command, CommanderError } from 'commander';
import { registerInspect } from './inspect.js';
import { registerCompile } from './compile.js';
import { registerTrain } from './train.js';
import { registerSegment } from './segment.js';
import { registerEverything } from './everything.js';
import { registerEval } from './eval.js';
import { registerCompare } from './compare.js';
import { registerSynth } from './synth.js';
import { registerDataset } from './dataset.js';
import { registerServe } from './serve.js';
import { processIO, type CliIO } from './io.js';

export function buildProgram(io: CliIO = processIO): Command {
  const program = new Command();
  program
    .name('oneprompt')
    .description('One-Prompt medical image segmentation: compile the typed model to ONNX, inspect, train, segment, evaluate, serve.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Subcommands inherit this, so help and usage errors go where the caller's io says.
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s) });

  registerCompile(program);
  registerInspect(program);
  registerTrain(program);
  registerSegment(program, io);
  registerEverything(program, io);
  registerEval(program, io);
  registerCompare(program, io);
  registerSynth(program, io);
  registerDataset(program, io);
  registerServe(program);
  return program;
}

/** Run the command line on `args` (without node and the script path); returns the exit code. */
export async function main(args: readonly string[], io: CliIO = processIO): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`oneprompt: ${(e as Error).message}\n`);
    if (process.env.ONEPROMPT_DEBUG) io.err(`${(e as Error).stack}\n`);
    return 1;
  }
}
