// The page's script: web/app.ts and the browser-safe modules it imports as one ES module. The build
// (scripts/build-package.mjs) writes it to dist/web/app.js, and an installed package serves that file; run from the
// sources, `oneprompt serve` bundles it in memory with esbuild when it starts (esbuild is a development dependency,
// imported only then). onnxruntime-web stays outside the bundle: the page imports it from /ort/, where the server
// hands out the package's own dist files. Bundling for the browser platform also proves the shared modules are
// browser-safe: a node: import fails the build.
import { existsSync, readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';
import { FROM_BUILD, PACKAGE_ROOT, packagePath } from '../../util/package-root.js';

/** The package root (the repository, or the installed package's folder). */
export const REPO_ROOT = PACKAGE_ROOT;
export const APP_ENTRY = packagePath('web', 'app.ts');
/** The built page (script, index.html, style.css), present in the package and after `npm run build`. */
export const BUILT_PAGE_DIR = packagePath('dist', 'web');
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
  const { build } = await import('esbuild');
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

/** The page's files: the built ones when running from the build, else web/ with the script bundled now. */
export async function pageFiles(): Promise<{ readonly dir: string; readonly script: AppBundle }> {
  const built = packagePath('dist', 'web', 'app.js');
  if (FROM_BUILD && existsSync(built)) {
    const code = new Uint8Array(readFileSync(built));
    return { dir: BUILT_PAGE_DIR, script: { code, bytes: code.byteLength } };
  }
  return { dir: packagePath('web'), script: await bundleApp() };
}
