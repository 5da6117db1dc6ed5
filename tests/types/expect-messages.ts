// `// @ts-expect-error <message>` only asks the compiler for *some* error on the next line. This checks
// the message too: the file is copied with the directives turned into plain comments, compiled alone
// with the project's settings, and every rejected line must fail with a ShapeError whose sentence
// begins the comment (a comment may add a parenthetical after it); lines without a directive must compile.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Expectation {
  /** 1-based line of the rejected code. */
  readonly line: number;
  readonly comment: string;
}

export interface MessageReport {
  readonly problems: readonly string[];
  readonly checked: number;
  /** Errors after the last expected one, when they are allowed (what a mistake breaks further down). */
  readonly later: number;
}

const DIRECTIVE = /^(\s*)\/\/ @ts-expect-error\s*(.*)$/;
/** A comment that reads like a rule's sentence: `op: ...`, where op may be up to three words (`prompt-parser:`, `skip connection:`). */
const SENTENCE = /^[A-Za-z][A-Za-z0-9]*(?:[ -][A-Za-z0-9]+){0,2}: /;

/** Every marked line of tests/types/`name` is rejected with the sentence its comment states, every other line accepted; at least `atLeast` lines are checked. */
export function expectMessagesAsStated(name: string, atLeast: number): void {
  const report = checkExpectedMessages(fileURLToPath(new URL(`./${name}`, import.meta.url)), fileURLToPath(new URL('../../', import.meta.url)));
  expect(report.problems).toEqual([]);
  expect(report.checked).toBeGreaterThanOrEqual(atLeast);
}

export function checkExpectedMessages(typesFile: string, repoRoot: string): MessageReport {
  return checkExpectedMessagesIn(readFileSync(typesFile, 'utf8'), typesFile, repoRoot);
}

/** The same check on `text` compiled as if it were the file `asFile` (its relative imports resolve from there). */
export function checkExpectedMessagesIn(text: string, asFile: string, repoRoot: string): MessageReport {
  const probe = prepareProbe(text, asFile, repoRoot);
  try {
    let out = '';
    try {
      execFileSync(probe.tsc, probe.args, { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? '');
    }
    return evaluate(out, probe.expectations);
  } finally {
    rmSync(probe.dir, { recursive: true, force: true });
  }
}

interface Probe {
  readonly dir: string;
  readonly tsc: string;
  readonly args: string[];
  readonly expectations: Expectation[];
}

interface ProbeText {
  readonly text: string;
  readonly expectations: Expectation[];
}

/** The file's text with its directives turned into plain comments and its relative imports made absolute. */
function probeText(text: string, asFile: string): ProbeText {
  const expectations: Expectation[] = [];
  const probe = text.split('\n').map((l, i) => {
    const m = DIRECTIVE.exec(l);
    if (!m) return l;
    expectations.push({ line: i + 2, comment: m[2].trim() });
    return `${m[1]}// (expected error) ${m[2]}`;
  });
  // Relative imports are rewritten to absolute paths so that the copy can live outside the tree
  // (a copy inside it would break every colleague's `tsc -p .` while it exists).
  const fromDir = dirname(asFile);
  return {
    text: probe.join('\n').replace(/(from\s+['"])(\.{1,2}\/[^'"]+)(['"])/g, (_, a: string, p: string, b: string) => `${a}${resolve(fromDir, p)}${b}`),
    expectations,
  };
}

/** A temporary project holding `files` (name → text), compiled with the repository's settings. */
function probeProject(files: ReadonlyMap<string, string>, repoRoot: string): { dir: string; tsc: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'oneprompt-types-'));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  const tsconfig = {
    extends: join(repoRoot, 'tsconfig.json'),
    compilerOptions: { typeRoots: [join(repoRoot, 'node_modules/@types')], noEmit: true },
    include: [],
    files: [...files.keys()],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  return { dir, tsc: join(repoRoot, 'node_modules/.bin/tsc'), args: ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'] };
}

function prepareProbe(text: string, asFile: string, repoRoot: string): Probe {
  const p = probeText(text, asFile);
  return { ...probeProject(new Map([['probe.ts', p.text]]), repoRoot), expectations: p.expectations };
}

/**
 * The same check for many texts in one compile: each is its own file of one project (they import only real files, so
 * one text's mistakes cannot reach another's), and the shared real files are checked once instead of once per text.
 * With `allowLater`, errors on lines after the last expected one are counted, not reported: one mistake may break
 * what uses it further down, but the first thing the compiler says must be the expected sentence.
 */
export async function checkExpectedMessagesBatch(
  texts: readonly { text: string; asFile: string }[],
  repoRoot: string,
  allowLater = false,
): Promise<MessageReport[]> {
  const probes = texts.map((t) => probeText(t.text, t.asFile));
  const project = probeProject(new Map(probes.map((p, i) => [`probe${i}.ts`, p.text])), repoRoot);
  try {
    const out = await new Promise<string>((done) =>
      execFile(project.tsc, project.args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (_err, stdout) => done(String(stdout ?? ''))),
    );
    // Split the compiler's output by file: a located error starts a block, indented lines continue it.
    const byFile = probes.map(() => [] as string[]);
    let current = -1;
    for (const l of out.split('\n')) {
      const m = /probe(\d+)\.ts\(\d+,\d+\): error/.exec(l);
      if (m) current = Number(m[1]);
      else if (!/^\s/.test(l)) current = -1;
      if (current >= 0) byFile[current].push(l.replace(/probe\d+\.ts\(/, 'probe.ts('));
      else if (l.trim()) byFile.forEach((f) => f.push(l)); // a project-wide error concerns every text
    }
    return probes.map((p, i) => evaluate(byFile[i].join('\n'), p.expectations, allowLater));
  } finally {
    rmSync(project.dir, { recursive: true, force: true });
  }
}

function evaluate(out: string, expectations: readonly Expectation[], allowLater = false): MessageReport {
  // Errors by line: the first line names the position, indented lines continue it.
  const errors = new Map<number, string>();
  let current = -1;
  for (const l of out.split('\n')) {
    const m = /probe\.ts\((\d+),\d+\): error/.exec(l);
    if (m) {
      current = Number(m[1]);
      errors.set(current, `${errors.get(current) ?? ''}${l}\n`);
    } else if (/^\s/.test(l) && current > 0) errors.set(current, `${errors.get(current)}${l}\n`);
    else if (l.trim()) {
      current = -1;
      errors.set(0, `${errors.get(0) ?? ''}${l}\n`);
    }
  }
  const problems: string[] = [];
  for (const { line, comment } of expectations) {
    const err = errors.get(line);
    if (!err) {
      problems.push(`line ${line}: expected an error (${comment}) but it compiles`);
      continue;
    }
    if (!SENTENCE.test(comment)) continue;
    const sentences = [...err.matchAll(/ShapeError<"([^"]*)">/g)].map((m) => m[1]);
    if (!sentences.some((s) => comment.startsWith(s)))
      problems.push(
        `line ${line}: expected "${comment}", the compiler says ${sentences.length ? sentences.map((s) => `"${s}"`).join(', ') : `no ShapeError:\n${err}`}`,
      );
  }
  const expectedLines = new Set(expectations.map((e) => e.line));
  const lastExpected = Math.max(0, ...expectedLines);
  let later = 0;
  for (const [line, err] of errors) {
    if (expectedLines.has(line)) continue;
    if (allowLater && line > lastExpected) later++;
    else problems.push(line ? `line ${line}: unexpected error:\n${err}` : `compiler: ${err}`);
  }
  return { problems, checked: expectations.length, later };
}
