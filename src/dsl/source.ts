// Where in the user's code an op was called: the first stack frame outside the DSL itself.
const internal = /[\\/](src[\\/](dsl|onnx|runtime|testing|train)|node_modules)[\\/]|^node:|\(node:/;

export function callerLocation(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (internal.test(file) || internal.test(frame)) continue;
    // Relative to the working folder where there is one (Node); a browser has no process.
    const cwd = typeof process === 'undefined' ? undefined : process.cwd();
    const rel = cwd && file.startsWith(cwd) ? file.slice(cwd.length + 1) : file;
    return `${rel}:${m[2]}:${m[3]}`;
  }
  return '<unknown>';
}
