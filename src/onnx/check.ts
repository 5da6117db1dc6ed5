// Runs Debian's python3-onnx checker and strict shape inference on emitted files, when installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { packagePath } from '../util/package-root.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = packagePath('scripts', 'onnx_check.py');

export interface CheckResult {
  readonly path: string;
  readonly ok: boolean;
  readonly error: string | null;
  readonly outputs: Record<string, (number | string | null)[]>;
  readonly value_info: Record<string, (number | string | null)[]>;
}

let available: boolean | undefined;
/** True when `/usr/bin/python3 -c "import onnx"` works. */
export function onnxCheckerAvailable(): boolean {
  if (available === undefined) available = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
  return available;
}

export function checkModels(paths: readonly string[]): CheckResult[] {
  if (paths.length === 0) return [];
  const out = execFileSync(PYTHON, [SCRIPT, ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CheckResult);
}
