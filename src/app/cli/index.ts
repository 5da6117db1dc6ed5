// oneprompt/cli: the `oneprompt` command line from code. `main(args)` runs it in-process and returns the exit code;
// `buildProgram` gives the commander program (each command registered by its module).
export { main, buildProgram } from './main.js';
export type { CliIO } from './io.js';
