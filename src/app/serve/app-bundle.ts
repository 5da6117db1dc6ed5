// The page's script: web/app.ts and the browser-safe src/app/data modules it imports, bundled by esbuild (present
// through tsx) into one ES module in memory when `oneprompt serve` starts. onnxruntime-web stays outside the
// bundle: the page imports it from /ort/, where the server hands out the package's own dist files. Bundling for
// the browser platform also proves the shared modules are browser-safe: a node: import fails the build.
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const APP_ENTRY = fileURLToPath(new URL('../../../web/app.ts', import.meta.url));
/** Where the page finds onnxruntime-web's wasm build (served from node_modules/onnxruntime-web/dist). */
export const ORT_MODULE_URL = '/ort/ort.wasm.min.mjs';

const ortFromServer: Plugin = {
  name: 'onnxruntime-web-from-server',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web(\/wasm)?$/ }, () => ({ path: ORT_MODULE_URL, external: true }));
  },
};

export interface AppBundle {
  readonly code: Uint8Array;
  readonly bytes: number;
}

export async function bundleApp(entry = APP_ENTRY, minify = true): Promise<AppBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [ortFromServer],
  }).catch((e: { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const first = e.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new Error(`bundling the page script failed: ${first?.text ?? String(e)}${where}`);
  });
  const out = result.outputFiles[0];
  return { code: out.contents, bytes: out.contents.byteLength };
}
