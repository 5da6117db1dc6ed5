// Choosing the tfjs backend at run time. tfjs-node(-gpu) are never dependencies: they are tried only
// when a user has installed them; wasm reads its .wasm files from node_modules, so nothing downloads.
// tfjs and its wasm backend are imported when a backend is first chosen, not with this module: the CLI's start
// (`oneprompt --help`) must not pay for them.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TF } from '../../dsl/graph.js';

export type BackendName = 'wasm' | 'cpu' | 'node' | 'node-gpu';
export const BACKEND_NAMES: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  readonly tf: TF;
  readonly name: BackendName;
  /** tfjs's own name for the backend ('tensorflow', 'wasm', 'cpu'). */
  readonly tfjsName: string;
  /** Why earlier candidates were passed over (auto choice), one line each. */
  readonly skipped: readonly string[];
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

const require_ = createRequire(import.meta.url);

/** The three .wasm binaries inside node_modules, by the file names tfjs asks for. */
export function wasmFilePaths(): Record<string, string> {
  const dist = join(dirname(require_.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  const paths: Record<string, string> = {};
  for (const f of files) {
    const p = join(dist, f);
    if (!existsSync(p)) throw new BackendUnavailableError(`wasm: ${p} is missing; reinstall @tensorflow/tfjs-backend-wasm`);
    paths[f] = p;
  }
  return paths;
}

const firstLine = (e: unknown): string =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .slice(0, 200);

/**
 * Import an optional package by a name the compiler cannot resolve statically (it is not a dependency).
 * tfjs-node registers its 'tensorflow' backend with the tfjs-core it was installed against; that must be
 * our copy of tfjs-core, or our ops would never reach it.
 */
let loaded: Promise<{ tf: TF; setWasmPaths: (paths: Record<string, string>) => void }> | undefined;
const tfjs = () =>
  (loaded ??= Promise.all([import('@tensorflow/tfjs'), import('@tensorflow/tfjs-backend-wasm')]).then(([tf, wasm]) => ({
    tf,
    setWasmPaths: wasm.setWasmPaths,
  })));

async function activateTfjsNode(pkg: string): Promise<void> {
  const { tf } = await tfjs();
  const specifier: string = pkg;
  try {
    await import(specifier);
  } catch (e) {
    throw new BackendUnavailableError(`${pkg} is not installed or failed to load (${firstLine(e)})`);
  }
  if (!tf.findBackendFactory('tensorflow'))
    throw new BackendUnavailableError(
      `${pkg} loaded but registered its backend with a different copy of @tensorflow/tfjs-core; install it at the version of @tensorflow/tfjs in use (${tf.version.tfjs})`,
    );
  if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailableError(`${pkg}: the 'tensorflow' backend failed to initialise`);
}

async function activate(name: BackendName): Promise<string> {
  const { tf, setWasmPaths } = await tfjs();
  switch (name) {
    case 'node-gpu':
      await activateTfjsNode('@tensorflow/tfjs-node-gpu');
      return 'tensorflow';
    case 'node':
      await activateTfjsNode('@tensorflow/tfjs-node');
      return 'tensorflow';
    case 'wasm':
      setWasmPaths(wasmFilePaths());
      try {
        if (!(await tf.setBackend('wasm'))) throw new Error('setBackend returned false');
      } catch (e) {
        throw new BackendUnavailableError(`wasm: the backend failed to initialise (${firstLine(e)})`);
      }
      return 'wasm';
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu: the backend failed to initialise');
      return 'cpu';
  }
}

/**
 * Make `choice` the active tfjs backend. 'auto' (default) tries node-gpu, node, wasm, cpu in order and
 * tolerates failures; an explicit name must work or this throws BackendUnavailableError saying why.
 */
export async function useBackend(choice: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
  if (choice !== 'auto') {
    if (!BACKEND_NAMES.includes(choice)) throw new BackendUnavailableError(`unknown backend '${choice}'; choose one of ${BACKEND_NAMES.join(', ')}`);
    const tfjsName = await activate(choice);
    return { tf: (await tfjs()).tf, name: choice, tfjsName, skipped: [] };
  }
  const skipped: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const tfjsName = await activate(name);
      return { tf: (await tfjs()).tf, name, tfjsName, skipped };
    } catch (e) {
      skipped.push(`${name}: ${firstLine(e)}`);
    }
  }
  throw new BackendUnavailableError(`no tfjs backend could be started:\n  ${skipped.join('\n  ')}`);
}

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}
