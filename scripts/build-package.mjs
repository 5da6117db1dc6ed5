#!/usr/bin/env node
// Builds what the npm package runs: dist/src and dist/graphs (JavaScript + .d.ts by `tsc -p tsconfig.build.json`) and
// dist/web (the page: web/app.ts bundled for the browser by esbuild, index.html, style.css), then dist/.built, which
// bin/oneprompt.mjs compares with the sources. Runs on `npm pack` (prepack) and `npm run build`. Plain Node: no tsx.
// It builds into a staging folder and swaps it in whole: a `node bin/oneprompt.mjs` started while a build runs (the
// packed-install test packs this repository) never finds half a dist/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = `${root}dist`;
const dist = `${root}dist.building-${process.pid}`;
const t0 = performance.now();
rmSync(dist, { recursive: true, force: true });
// typescript's exports do not list bin/tsc: found beside its package.json.
const tsc = `${dirname(createRequire(import.meta.url).resolve('typescript/package.json'))}/bin/tsc`;
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', dist], { stdio: 'inherit', cwd: root });

// The page, with the same bundling `oneprompt serve` does from the sources (dist/src/app/serve/app-bundle.js).
const { bundleApp } = await import(`${dist}/src/app/serve/app-bundle.js`);
const page = await bundleApp(`${root}web/app.ts`);
mkdirSync(`${dist}/web`, { recursive: true });
writeFileSync(`${dist}/web/app.js`, page.code);
for (const f of ['index.html', 'style.css']) copyFileSync(`${root}web/${f}`, `${dist}/web/${f}`);

writeFileSync(`${dist}/.built`, `${new Date().toISOString()}\n`);
// The swap: the old dist/ moves aside, the new one takes its name, the old one goes.
const old = `${root}dist.old-${process.pid}`;
if (existsSync(target)) renameSync(target, old);
renameSync(dist, target);
rmSync(old, { recursive: true, force: true });
console.error(`build: dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s (page ${(page.bytes / 1024).toFixed(0)} KiB)`);
