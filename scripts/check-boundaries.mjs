#!/usr/bin/env node
// The import-boundary rule: the library (src/util, dsl, onnx, autodiff, runtime, compile, train, testing) never
// imports the One-Prompt application (graphs/, src/app/, web/), and each library layer imports only the layers below
// it (docs/architecture.md has the picture). Every static import, `export … from`, side-effect import and dynamic
// `import('…')` of a relative path counts, type-only ones included (a type-only import is allowed only where the table
// says so). Run by `npm run lint` (in `npm test`); tests/architecture/import-boundaries.test.ts shows it failing on a
// wrong-way import. Plain Node, no TypeScript compiler API (TypeScript 7 has none): the specifiers are read by a small
// scanner that skips comments, strings and template literals.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Areas, most specific first: a file belongs to the first whose prefix it starts with. `may`: the areas it may import
 * (besides its own); `types`: areas it may import types from (`import type` / `export type` only).
 */
export const AREAS = [
  { area: 'src/util', may: [] },
  { area: 'src/dsl', may: ['src/util'], types: ['src/onnx', 'src/autodiff'] },
  { area: 'src/onnx', may: ['src/dsl', 'src/util'] },
  { area: 'src/autodiff', may: ['src/dsl', 'src/util'] },
  { area: 'src/runtime', may: ['src/dsl', 'src/onnx', 'src/util'] },
  { area: 'src/compile', may: ['src/dsl', 'src/onnx', 'src/util'] },
  { area: 'src/train', may: ['src/dsl', 'src/onnx', 'src/autodiff', 'src/runtime', 'src/compile', 'src/util'] },
  { area: 'src/testing', may: ['src/dsl', 'src/onnx', 'src/autodiff', 'src/runtime', 'src/train', 'src/util'] },
  { area: 'src/index.ts', may: ['src/dsl', 'src/onnx'] },
  // The application: the model, the tools around it, the page.
  { area: 'graphs/oneprompt', may: ['library'] },
  { area: 'graphs/examples', may: ['library', 'graphs/oneprompt'] },
  { area: 'src/app', may: ['library', 'graphs/oneprompt'] },
  { area: 'web', may: ['library', 'graphs/oneprompt', 'src/app'] },
];
const LIBRARY = AREAS.filter((a) => a.area.startsWith('src/') && !a.area.startsWith('src/app')).map((a) => a.area);
/** Folders whose files are checked (tests, bench, scripts may import anything). */
export const CHECKED = ['src', 'graphs', 'web'];

export const areaOf = (path) => AREAS.find((a) => path === a.area || path.startsWith(`${a.area}/`))?.area;

/** The module specifiers a TypeScript/JavaScript source imports: { spec, typeOnly, line }. */
export function importsOf(text) {
  // Blank out comments and the insides of strings and templates (keeping quotes and newlines), so that only code remains.
  let code = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      code += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      const body = text.slice(i + 1, j);
      // A string's text is kept (it may be a specifier); a template's is blanked (it may hold code-like text).
      code += c + (c === '`' ? body.replace(/[^\n]/g, ' ') : body) + c;
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  const found = [];
  const line = (at) => code.slice(0, at).split('\n').length;
  const patterns = [
    // import x from '…', import { a } from '…', import type { T } from '…', export { a } from '…', export * from '…'
    /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?(['"])([^'"\n]+)\3/g,
    // import('…')
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ];
  for (const m of code.matchAll(patterns[0])) {
    const named = m[0].includes('{') ? m[0].slice(m[0].indexOf('{'), m[0].indexOf('}') + 1) : '';
    // `import { type A, type B } from` is type-only too when every name is.
    const allTypes =
      named !== '' &&
      named
        .slice(1, -1)
        .split(',')
        .filter((s) => s.trim())
        .every((s) => /^\s*type\s/.test(s));
    found.push({ spec: m[4], typeOnly: Boolean(m[2]) || allTypes, line: line(m.index + m[0].length) });
  }
  for (const m of code.matchAll(patterns[1])) found.push({ spec: m[2], typeOnly: false, line: line(m.index) });
  return found;
}

/** The repository path a relative specifier of `from` points at (`.js` written for `.ts`), or undefined for a package. */
export function resolveSpecifier(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  return normalize(join(dirname(from), spec))
    .split(sep)
    .join('/')
    .replace(/\.js$/, '.ts');
}

/** Violations among `files` ({ path: repository path, text }): one sentence each, naming file, line and rule. */
export function checkImports(files) {
  const violations = [];
  for (const { path, text } of files) {
    const from = areaOf(path);
    if (!from) continue;
    const rule = AREAS.find((a) => a.area === from);
    const allowed = (to, typeOnly) => {
      if (to === from) return true;
      const may = rule.may.flatMap((a) => (a === 'library' ? LIBRARY : [a]));
      return may.includes(to) || (typeOnly && (rule.types ?? []).includes(to));
    };
    for (const imp of importsOf(text)) {
      const target = resolveSpecifier(path, imp.spec);
      if (target === undefined) continue;
      const to = areaOf(target) ?? target.split('/')[0];
      if (allowed(to, imp.typeOnly)) continue;
      const why =
        LIBRARY.includes(from) && !LIBRARY.includes(to)
          ? 'the library never imports the application or the tools'
          : `${from} may import ${[...rule.may, ...(rule.types ?? []).map((t) => `types of ${t}`)].join(', ') || 'nothing else in the repository'}`;
      violations.push(`${path}:${imp.line}: imports${imp.typeOnly ? ' types from' : ''} ${imp.spec} (${to}): ${why}`);
    }
  }
  return violations;
}

/** The checked source files of the repository at `root`. */
export function sourceFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir))) {
      const p = `${dir}/${name}`;
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push({ path: p, text: readFileSync(join(root, p), 'utf8') });
    }
  };
  for (const d of CHECKED) walk(d);
  return out;
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files = sourceFiles(root);
  const v = checkImports(files);
  if (v.length) {
    console.error(`import boundaries: ${v.length} wrong-way import(s):\n  ${v.join('\n  ')}`);
    process.exit(1);
  }
  console.error(`import boundaries: ${files.length} files, no wrong-way import`);
}
