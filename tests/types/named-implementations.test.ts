// The convention that makes a module body checked at named dims sound (docs/architecture.md, "The model in types"):
// TypeScript relates an overload to its implementation loosely (type parameters erased), so every overloaded function
// in graphs/ must have, as its implementation signature, its first signature with each dim parameter (`extends Dim`)
// written as its quoted name, every other type parameter as its constraint, and `NoInfer<…>` and `& Check<…>` dropped.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Signature {
  readonly name: string;
  readonly typeParams: string;
  /** Parameters and return type, as written. */
  readonly rest: string;
  readonly isImplementation: boolean;
}

/** The text from `open` (an opening bracket at text[i]) to its match, without the brackets. */
function balanced(text: string, i: number, open: string, close: string): [string, number] {
  let depth = 0;
  for (let k = i; k < text.length; k++) {
    if (text[k] === '>' && text[k - 1] === '=') continue; // `=>` in a type
    if (text[k] === open) depth++;
    else if (text[k] === close && --depth === 0) return [text.slice(i + 1, k), k + 1];
  }
  throw new Error(`unbalanced ${open} at ${i}`);
}

/** Every function declaration: name, type parameters, and parameters + return type up to `;` or the body's `{`. */
function signatures(text: string): Signature[] {
  const out: Signature[] = [];
  for (const m of text.matchAll(/^(?:export )?function (\w+)/gm)) {
    let k = m.index! + m[0].length;
    let typeParams = '';
    if (text[k] === '<') [typeParams, k] = balanced(text, k, '<', '>');
    const start = k;
    [, k] = balanced(text, k, '(', ')');
    let depth = 0;
    for (; k < text.length; k++) {
      const ch = text[k];
      if (ch === '>' && text[k - 1] === '=') continue;
      if ('<([{'.includes(ch) && !(ch === '{' && depth === 0)) depth++;
      else if ('>)]}'.includes(ch)) depth--;
      if (depth === 0 && (ch === ';' || ch === '{')) break;
    }
    out.push({ name: m[1], typeParams, rest: text.slice(start, k).trim(), isImplementation: text[k] === '{' });
  }
  return out;
}

/** Split at top-level commas. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let k = 0; k < list.length; k++) {
    const ch = list[k];
    if (ch === '>' && list[k - 1] === '=') continue;
    if ('<([{'.includes(ch)) depth++;
    else if ('>)]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(from, k));
      from = k + 1;
    }
  }
  if (list.slice(from).trim()) parts.push(list.slice(from));
  return parts.map((p) => p.trim());
}

/** Remove `wrapper<…>` keeping its argument (NoInfer) or dropping it with a leading `&` (Check). */
function unwrap(text: string, wrapper: string, keep: boolean): string {
  for (let i = text.indexOf(`${wrapper}<`); i >= 0; i = text.indexOf(`${wrapper}<`)) {
    const [inner, end] = balanced(text, i + wrapper.length, '<', '>');
    if (keep) text = text.slice(0, i) + inner + text.slice(end);
    else {
      const amp = text.lastIndexOf('&', i);
      text = text.slice(0, amp).trimEnd() + text.slice(end);
    }
  }
  return text;
}

export function expectedImplementation(first: Signature): string {
  let rest = unwrap(unwrap(first.rest, 'NoInfer', true), 'Check', false);
  for (const p of topLevel(first.typeParams)) {
    const m = /^(?:const\s+)?(\w+)\s+extends\s+(.+?)(?:\s*=\s*.+)?$/.exec(p);
    if (!m) throw new Error(`${first.name}: type parameter '${p}' has no constraint`);
    const [, name, constraint] = m;
    rest = rest.replace(new RegExp(`\\b${name}\\b`, 'g'), constraint === 'Dim' ? `'${name}'` : constraint);
  }
  return layoutFree(rest);
}

/** A signature's text without its layout: one space for any whitespace, none inside the brackets' ends (a formatter's trailing comma dropped). */
export const layoutFree = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .replace(/([(<[]) /g, '$1')
    .replace(/,? ([)>\]])/g, '$1');

describe('modules checked at named dims: each implementation signature is its first signature at the names', () => {
  const all = files(join(ROOT, 'graphs')).map((f) => ({ file: relative(ROOT, f), sigs: signatures(readFileSync(f, 'utf8')) }));
  const groups = all.flatMap(({ file, sigs }) =>
    sigs.flatMap((s, i) =>
      s.isImplementation && i > 0 && sigs[i - 1].name === s.name && !sigs[i - 1].isImplementation
        ? [
            {
              file,
              impl: s,
              first: sigs
                .slice(0, i)
                .reverse()
                .find((t, k, r) => t.name === s.name && (k === r.length - 1 || r[k + 1].name !== s.name))!,
            },
          ]
        : [],
    ),
  );

  it('finds the overloaded modules of the model and the example', () => {
    const names = groups.map((g) => g.impl.name);
    for (const n of [
      'queryTemplateMix',
      'stackMlpPrompting',
      'gaussianMasking',
      'promptParserModule',
      'formerBlockModule',
      'residualAttentionModule',
      'tokenizerModule',
      'maskHeadModule',
      'promptEncoderModule',
      'assembleOnePrompt',
      'promptGateModule',
    ])
      expect(names).toContain(n);
    expect(groups.length).toBeGreaterThanOrEqual(20);
  });

  for (const g of groups)
    it(`${g.file}: ${g.impl.name}`, () => {
      expect(layoutFree(g.impl.rest)).toBe(expectedImplementation(g.first));
    });
});
