// The package as a user gets it: `npm pack` (which builds dist/ on prepack), then an offline install of the tarball
// into a fresh project from npm's cache (`npm ci --offline` with a lockfile made from ours: the cache holds every
// dependency after our own `npm ci`), and then the package used as documented: from plain Node ESM (and require),
// from a strict TypeScript project (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck) with
// the repository's tsc, DSL → emit → ONNX Runtime run, the main entry bundled for the browser, and `npx oneprompt`
// segmenting the bundled sample with the shipped model from the consumer's own folder.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
let tmp: string;
let app: string;
let files: string[];

const run = (cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> => spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
const ok = (r: SpawnSyncReturns<string>): string => {
  if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** The consumer's lockfile: the tarball, and our production dependencies at the versions our own lockfile pins. */
function consumerLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    dependencies: object;
    bin: object;
    engines: object;
  };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, object> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { oneprompt: `file:${tarball}` } },
    'node_modules/oneprompt': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = entry;
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'oneprompt-pack-'));
  const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--pack-destination', tmp], ROOT))) as { filename: string; files: { path: string }[] }[];
  files = packed[0].files.map((f) => f.path);
  const tarball = join(tmp, packed[0].filename);
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { oneprompt: `file:${tarball}` } }),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
  ok(run('npm', ['ci', '--offline'], app));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package, installed offline into a fresh project', () => {
  it('holds the built code with declarations, the shipped model and its pair, the page and the samples, and nothing else', () => {
    for (const f of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/runtime/index.js',
      'dist/graphs/oneprompt/index.d.ts',
      'dist/src/app/cli/main.js',
      'dist/web/app.js',
      'dist/web/index.html',
      'bin/oneprompt.mjs',
      'samples/mri/prompt.json',
      'vendor/triton/model_config.proto',
    ])
      expect(files, f).toContain(f);
    for (const part of ['', '.encoder', '.decoder']) for (const ext of ['onnx', 'json']) expect(files).toContain(`compiled/oneprompt-default${part}.${ext}`);
    const top = new Set(files.map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['README.md', 'bin', 'compiled', 'dist', 'package.json', 'samples', 'scripts', 'vendor']);
    expect(files.filter((f) => /^(tests|bench|\.ci|src|docs)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('runs from plain Node ESM (and require): DSL → emit → ONNX Runtime, and the model package', () => {
    writeFileSync(
      join(app, 'use.mjs'),
      `import { build, input, linear, gelu, ParamStore, emit, summariseModel } from 'oneprompt';
import { Model, hostTensor } from 'oneprompt/runtime';
import { configs, INPUT_NAMES } from 'oneprompt/model';
const x = input('x', ['B', 4, 8]);
const y = gelu(linear(new ParamStore(0).root().at('fc'), x, 3));
const bytes = emit(build({ name: 'mlp', inputs: { x }, outputs: { y } }));
const m = await Model.load(bytes, { threads: 1 });
const out = await m.run({ x: hostTensor(new Float32Array(2 * 4 * 8).fill(0.5), [2, 4, 8]) });
await m.release();
console.log(JSON.stringify({ declared: summariseModel(bytes).outputs[0].shape, dims: out.y.dims, finite: [...out.y.data].every(Number.isFinite), size: configs.tiny.size, inputs: INPUT_NAMES.length }));
`,
    );
    expect(JSON.parse(ok(run(process.execPath, ['use.mjs'], app)))).toEqual({ declared: ['B', 4, 3], dims: [2, 4, 3], finite: true, size: 64, inputs: 6 });
    writeFileSync(join(app, 'use.cjs'), "const { input, build } = require('oneprompt'); console.log(typeof input, typeof build);\n");
    expect(ok(run(process.execPath, ['use.cjs'], app)).trim()).toBe('function function');
  });

  it('type-checks from a strict TypeScript project against the declarations (shape errors included) and runs', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          outDir: 'build',
          types: [],
        },
        files: ['use.ts'],
      }),
    );
    writeFileSync(
      join(app, 'use.ts'),
      `import { build, input, linear, gelu, matmul, ParamStore, emit, init, BuildShapeError, type Tensor } from 'oneprompt';
import { Model, hostTensor } from 'oneprompt/runtime';
import { compileOnePrompt, INPUT_NAMES } from 'oneprompt/model';
import { segmentQueries } from 'oneprompt/inference';
import { main } from 'oneprompt/cli';

const s = new ParamStore(0).root();
const x = input('x', ['B', 4, 8]);
const h: Tensor<readonly ['B', 4, 3]> = gelu(linear(s.at('fc'), x, 3));
const w = s.at('proj').param('weight', [5, 2], init.fanIn(5));
let caught = '';
try {
  // @ts-expect-error the DSL's type-level rule, read from the declarations: matmul's inner dims differ (3 vs 5)
  matmul(h, w);
} catch (e) {
  if (e instanceof BuildShapeError) caught = e.rule;
}
const bytes = emit(build({ name: 'mlp', inputs: { x }, outputs: { y: h } }));
const m = await Model.load(bytes, { threads: 1 });
const out = await m.run({ x: hostTensor(new Float32Array(2 * 4 * 8).fill(0.5), [2, 4, 8]) });
const batch: number | undefined = out['y']?.dims[0];
await m.release();
console.log(JSON.stringify({ caught, batch, inputs: INPUT_NAMES.length, functions: [compileOnePrompt, segmentQueries, main].map((f) => typeof f) }));
`,
    );
    const tsc = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
    ok(run(process.execPath, [tsc, '-p', 'tsconfig.json'], app));
    expect(JSON.parse(ok(run(process.execPath, ['build/use.js'], app)))).toEqual({
      caught: 'matmul: inner dims differ (3 vs 5)',
      batch: 2,
      inputs: 6,
      functions: ['function', 'function', 'function'],
    });
  });

  it('bundles its main entry (DSL and emitter) for the browser: no node: module is reachable from it', async () => {
    const { build } = await import('esbuild');
    writeFileSync(
      join(app, 'page.mjs'),
      "import { build, input, relu, emit } from 'oneprompt';\nconst x = input('x', [1, 4]);\nexport const bytes = emit(build({ name: 'm', inputs: { x }, outputs: { y: relu(x) } }));\n",
    );
    const r = await build({
      entryPoints: [join(app, 'page.mjs')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: app,
    });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text).not.toMatch(/from\s*["']node:/);
  });

  it("`npx oneprompt` helps and segments the bundled sample with the shipped model, from the consumer's folder", () => {
    expect(ok(run('npx', ['--offline', 'oneprompt', '--help'], app))).toMatch(/segment \[options\]/);
    const samples = join(app, 'node_modules', 'oneprompt', 'samples', 'mri');
    const queries = ['axial-046.png', 'axial-056.png'].map((q) => join(samples, 'images', q));
    const out = ok(
      run(
        'npx',
        [
          '--offline',
          'oneprompt',
          'segment',
          '--template',
          join(samples, 'images', 'axial-066.png'),
          '--prompt',
          join(samples, 'prompt.json'),
          '--query',
          ...queries,
          '--out',
          'out/seg',
          '--threads',
          '1',
        ],
        app,
      ),
    );
    expect(out).toMatch(/model: encoder\/decoder pair \(.*node_modules\/oneprompt\/compiled\/oneprompt-default\.encoder\.onnx/);
    expect(readdirSync(join(app, 'out', 'seg', 'masks')).sort()).toEqual(['axial-046.png', 'axial-056.png']);
    expect(existsSync(join(app, 'compiled'))).toBe(false);
  });
});
