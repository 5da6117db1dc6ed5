// Where the package's own files are (the shipped model, the samples, the page, vendor/), whether the code runs from
// the sources (src/…) or from the build (dist/src/…), in the repository or installed in node_modules: found from this
// module's own location, never from the working folder.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'oneprompt') return dir;
    if (dirname(dir) === dir) throw new Error(`oneprompt: no package.json of oneprompt above ${from}`);
  }
}

/** The folder holding oneprompt's package.json. */
export const PACKAGE_ROOT = findRoot(here);

/** True when this code runs from the build (dist/), false from the TypeScript sources. */
export const FROM_BUILD = here.startsWith(join(PACKAGE_ROOT, 'dist'));

/** A file or folder of the package, by its path from the package root (e.g. 'compiled/oneprompt-default.onnx'). */
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);

/** The shipped trained model (its encoder/decoder pair lies beside it). */
export const DEFAULT_MODEL_FILE = packagePath('compiled', 'oneprompt-default.onnx');
/** The shipped sample image sets (samples/mri: real MRI slices with brain masks). */
export const SAMPLES_DIR = packagePath('samples');
