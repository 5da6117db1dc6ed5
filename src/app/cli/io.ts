// Where a command's output goes: results on `out`, progress and warnings on `err`. The real process streams by
// default; tests pass their own to run commands in-process and read what they print.

export interface CliIO {
  /** One line of results (stdout). */
  out(line: string): void;
  /** Raw text on stderr (progress redraws, warnings); the caller adds newlines. */
  err(text: string): void;
  /** True when stderr is a terminal: progress redraws one line instead of printing many. */
  readonly errIsTTY: boolean;
}

export const processIO: CliIO = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (text) => void process.stderr.write(text),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

/** A CliIO that records everything (tests, scripts that want the text). */
export function recordingIO(): CliIO & { readonly stdout: string[]; readonly stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (t) => void stderr.push(t), errIsTTY: false };
}
