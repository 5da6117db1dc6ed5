// A small JSON parser that says where the text is malformed (line, column, offset). JSON.parse's messages differ
// between engines and often lack a position; prompt files are written by hand, so the position matters.
// Browser-safe.
import * as E from 'fp-ts/lib/Either.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JsonSyntaxError {
  readonly message: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

class Failure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 512;

export function parseJson(text: string): E.Either<JsonSyntaxError, Json> {
  // A UTF-8 byte-order mark (Windows editors write one) is not part of the value.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const describe = (): string => {
    if (i >= text.length) return 'end of input';
    const c = text.codePointAt(i)!;
    // Invisible characters (byte-order marks, zero-width spaces, controls) are named by code point.
    return c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0xfeff || (c >= 0x200b && c <= 0x200f) || c === 0x2028 || c === 0x2029
      ? `the invisible character U+${c.toString(16).toUpperCase().padStart(4, '0')}`
      : JSON.stringify(String.fromCodePoint(c));
  };
  const expect = (what: string): never => {
    throw new Failure(`expected ${what}, found ${describe()}`, i);
  };

  const value = (depth: number): Json => {
    if (depth > MAX_DEPTH) throw new Failure(`nested deeper than ${MAX_DEPTH} levels`, i);
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return expect('a value');
  };

  const object = (depth: number): Json => {
    i++; // {
    const out: Record<string, Json> = {};
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') expect('a "quoted" key');
      const keyAt = i;
      const key = string();
      if (Object.hasOwn(out, key)) throw new Failure(`duplicate key ${JSON.stringify(key)}`, keyAt);
      ws();
      if (text[i] !== ':') expect('":" after the key');
      i++;
      // defineProperty, not assignment: a "__proto__" key must be an ordinary key (seen by key checks), not a prototype.
      Object.defineProperty(out, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      expect('"," or "}"');
    }
  };

  const array = (depth: number): Json => {
    i++; // [
    const out: Json[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      expect('"," or "]"');
    }
  };

  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) throw new Failure('unterminated string', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') throw new Failure('control character in a string (escape it)', i);
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else throw new Failure('invalid escape in a string', i);
        continue;
      }
      out += c;
      i++;
    }
  };

  const number = (): number => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return expect('a number');
    const n = Number(m[0]);
    if (!Number.isFinite(n)) throw new Failure(`the number ${m[0].length > 40 ? `${m[0].slice(0, 40)}…` : m[0]} is too large (beyond ±1.8e308)`, i);
    i += m[0].length;
    return n;
  };

  try {
    const v = value(0);
    ws();
    if (i < text.length) expect('end of input after the value');
    return E.right(v);
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const column = e.offset - (before.lastIndexOf('\n') + 1) + 1;
    return E.left({ message: e.message, offset: e.offset, line, column });
  }
}
