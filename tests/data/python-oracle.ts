// Debian's python3-nibabel and python3-pydicom as independent readers and writers of NIfTI and DICOM for the tests
// (scripts/setup.sh installs them; tests that need one skip where it is absent). A script gets JSON on stdin and
// prints one JSON object.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';
const known = new Map<string, boolean>();

/** True when `/usr/bin/python3 -c "import <module>"` works. */
export function pythonHas(module: string): boolean {
  if (!known.has(module)) known.set(module, existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0);
  return known.get(module)!;
}

/** Run a Python script with `args` as JSON on stdin (`import json,sys; a = json.load(sys.stdin)`); its stdout as JSON. */
export function python<T = unknown>(script: string, args: unknown = {}): T {
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(args), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A command-line tool on PATH (dciodvfy, dcmcrle, ...). */
export function toolExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}
