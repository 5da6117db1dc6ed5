// The `oneprompt` command line: one module per command, registered here.
import { Command, CommanderError } from 'commander';
import { registerInspect } from './inspect.js';
import { registerCompile } from './compile.js';
import { registerTrain } from './train.js';
import { registerServe } from './serve.js';

const program = new Command();
program
  .name('oneprompt')
  .description('One-Prompt medical image segmentation: compile the typed model to ONNX, inspect, train, segment, evaluate, serve.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCompile(program);
registerInspect(program);
registerTrain(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(`oneprompt: ${(e as Error).message}`);
  if (process.env.ONEPROMPT_DEBUG) console.error(e);
  process.exit(1);
}
