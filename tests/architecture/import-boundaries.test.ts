// The layering cannot regress silently: scripts/check-boundaries.mjs (run by `npm run lint` in `npm test`) passes on
// the tree and fails, naming file, line and rule, on wrong-way imports of every form; the browser-safe main entry
// bundles for the browser.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, importsOf, sourceFiles } from '../../scripts/check-boundaries.mjs';

describe('import boundaries', () => {
  it('hold on the tree: the library never imports the application, each layer only those below it', () => {
    const files = sourceFiles(process.cwd());
    expect(files.length).toBeGreaterThan(200);
    expect(checkImports(files)).toEqual([]);
  });

  it('fail on a wrong-way import of every form, type-only where types are not allowed, naming file, line and rule', () => {
    const text = [
      "import { main } from '../app/cli/main.js';",
      "import type { OnePromptConfig } from '../../graphs/oneprompt/config.js';",
      "export { emit } from '../onnx/emit.js';",
      "import type { GradOps } from '../autodiff/grad-ops.js';",
      "export * from '../train/run.js';",
      "import '../../web/app.js';",
      "const m = () => import('../app/inference/segmenter.js');",
      "import {\n  type A,\n  b,\n} from '../runtime/session.js';",
    ].join('\n');
    expect(checkImports([{ path: 'src/dsl/wrong-way.ts', text }])).toEqual([
      'src/dsl/wrong-way.ts:1: imports ../app/cli/main.js (src/app): the library never imports the application or the tools',
      'src/dsl/wrong-way.ts:2: imports types from ../../graphs/oneprompt/config.js (graphs/oneprompt): the library never imports the application or the tools',
      'src/dsl/wrong-way.ts:3: imports ../onnx/emit.js (src/onnx): src/dsl may import src/util, types of src/onnx, types of src/autodiff',
      'src/dsl/wrong-way.ts:5: imports ../train/run.js (src/train): src/dsl may import src/util, types of src/onnx, types of src/autodiff',
      'src/dsl/wrong-way.ts:6: imports ../../web/app.js (web): the library never imports the application or the tools',
      'src/dsl/wrong-way.ts:11: imports ../runtime/session.js (src/runtime): src/dsl may import src/util, types of src/onnx, types of src/autodiff',
      'src/dsl/wrong-way.ts:7: imports ../app/inference/segmenter.js (src/app): the library never imports the application or the tools',
    ]);
    // The application may import the library; the model may not import the tools around it.
    expect(checkImports([{ path: 'src/app/cli/x.ts', text: "import { build } from '../../dsl/build.js';" }])).toEqual([]);
    expect(checkImports([{ path: 'graphs/oneprompt/x.ts', text: "import { main } from '../../src/app/cli/main.js';" }])).toEqual([
      'graphs/oneprompt/x.ts:1: imports ../../src/app/cli/main.js (src/app): graphs/oneprompt may import library',
    ]);
  });

  it('read code only: imports in comments, strings and templates do not count', () => {
    const text =
      "// import { a } from '../app/x.js';\n/* export * from '../app/y.js'; */\nconst s = \"import { q } from '../app/z.js'\";\nconst t = `import('../app/w.js')`;\n";
    expect(importsOf(text)).toEqual([]);
  });

  it('the command fails on a temp tree with one wrong-way import, and passes without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneprompt-boundaries-'));
    try {
      for (const d of ['src', 'graphs', 'web', 'scripts/check-boundaries.mjs']) cpSync(d, join(dir, d), { recursive: true });
      const run = () => spawnSync(process.execPath, [join(dir, 'scripts', 'check-boundaries.mjs')], { encoding: 'utf8' });
      expect(run().status).toBe(0);
      writeFileSync(
        join(dir, 'src', 'train', 'wrong-way.ts'),
        "import { onePromptTask } from '../app/train/one-prompt-task.js';\nexport const t = onePromptTask('tiny');\n",
      );
      const r = run();
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        'import boundaries: 1 wrong-way import(s):\n  src/train/wrong-way.ts:1: imports ../app/train/one-prompt-task.js (src/app): the library never imports the application or the tools\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the main entry (DSL and emitter) bundles for the browser: no node: module is reachable from it', async () => {
    const { build } = await import('esbuild');
    const r = await build({ entryPoints: ['src/index.ts'], bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent' });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });
});
