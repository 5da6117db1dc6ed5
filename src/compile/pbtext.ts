// Protocol Buffers text format (what Triton's config.pbtxt is written in), parsed against a schema
// through protobufjs reflection: field names, enums, nested messages, repeated and map fields are
// resolved by the message type, and anything the schema does not have is an error with a line number.
//
// Covers the text format as protoc writes and reads it: `name: value`, `name { ... }` / `name: < ... >`,
// lists `[a, b]`, `#` comments, optional `,`/`;` separators, single- or double-quoted strings with C
// escapes (adjacent strings concatenate), decimal/hex/octal integers, floats with `inf`/`nan`, enum
// values by name or number. Extensions and `Any` expansions (`[type.url/...]`) are rejected.
import protobuf from 'protobufjs';

export class TextFormatError extends Error {
  override name = 'TextFormatError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}:${column}: ${reason}`);
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Decoded bytes of a string token. */
  readonly bytes?: Uint8Array;
  readonly line: number;
  readonly column: number;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)/y;
// '.' and '/' only occur in extension and Any names, which the parser then rejects by name.
const PUNCT = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '.', '/']);

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (at: number, why: string): never => {
    throw new TextFormatError(source, line, at - lineStart + 1, why);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = ++i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const at = { line, column: i - lineStart + 1 };
    if (c === '"' || c === "'") {
      const { bytes, end } = readString(text, i, (pos, why) => fail(pos, why));
      tokens.push({ kind: 'string', text: text.slice(i, end), bytes, ...at });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = /[0-9.]/.test(c) || (c === '-' && /[0-9.]/.test(text[i + 1] ?? '')) ? NUMBER.exec(text) : null;
    if (num) {
      tokens.push({ kind: 'number', text: num[0], ...at });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(text);
    if (id) {
      tokens.push({ kind: 'ident', text: id[0], ...at });
      i += id[0].length;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, ...at });
      i++;
      continue;
    }
    fail(i, `unexpected character '${c}'`);
  }
  tokens.push({ kind: 'end', text: '', line, column: i - lineStart + 1 });
  return tokens;
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };

/** A quoted string starting at `start` → its bytes (UTF-8 for literal characters) and the index after it. */
function readString(text: string, start: number, fail: (pos: number, why: string) => never): { bytes: Uint8Array; end: number } {
  const quote = text[start];
  const out: number[] = [];
  const enc = new TextEncoder();
  let i = start + 1;
  for (;;) {
    if (i >= text.length || text[i] === '\n') fail(start, 'unterminated string');
    const c = text[i];
    if (c === quote) return { bytes: Uint8Array.from(out), end: i + 1 };
    if (c !== '\\') {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(...enc.encode(ch));
      i += ch.length;
      continue;
    }
    const e = text[i + 1];
    if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === 'x' || e === 'X') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4));
      if (!m) fail(i, 'bad \\x escape');
      out.push(parseInt(m![0], 16));
      i += 2 + m![0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))!;
      const v = parseInt(m[0], 8);
      if (v > 255) fail(i, 'octal escape above \\377');
      out.push(v);
      i += 1 + m[0].length;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(i, `bad \\${e} escape`);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(i, `\\${e}${hex} is not a Unicode scalar value`);
      out.push(...enc.encode(String.fromCodePoint(cp)));
      i += 2 + n;
    } else fail(i, `unknown escape '\\${e ?? ''}'`);
  }
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const FLOAT_TYPES = new Set(['double', 'float']);
const TRUE = new Set(['true', 'True', 't', '1']);
const FALSE = new Set(['false', 'False', 'f', '0']);

type Plain = Record<string, unknown>;

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }
  private next(): Token {
    return this.tokens[this.pos++];
  }
  private fail(t: Token, why: string): never {
    throw new TextFormatError(this.source, t.line, t.column, why);
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) this.fail(t, `expected '${text}', found ${describe(t)}`);
    return t;
  }

  /** Fields until `close` (or the end of input at top level). */
  message(type: protobuf.Type, close: string | null): Plain {
    const obj: Plain = {};
    const setOneof = new Map<string, string>();
    for (;;) {
      const t = this.peek();
      if (close === null ? t.kind === 'end' : t.kind === 'punct' && t.text === close) {
        this.next();
        return obj;
      }
      if (t.kind === 'end') this.fail(t, `expected '${close}' to close ${type.fullName.replace(/^\./, '')}`);
      if (t.kind === 'punct' && t.text === '[') this.fail(t, 'extensions and Any expansions are not supported');
      if (t.kind !== 'ident') this.fail(t, `expected a field name, found ${describe(t)}`);
      this.next();
      const field = type.fields[t.text];
      if (!field) this.fail(t, `unknown field '${t.text}' in ${type.fullName.replace(/^\./, '')}`);
      field.resolve();
      const oneof = field.partOf;
      if (oneof) {
        const other = setOneof.get(oneof.name);
        if (other !== undefined && other !== field.name) this.fail(t, `'${field.name}' and '${other}' are both members of oneof '${oneof.name}'`);
        setOneof.set(oneof.name, field.name);
      }
      this.fieldValue(field, obj, t);
      if (this.isPunct(',') || this.isPunct(';')) this.next();
    }
  }

  private fieldValue(field: protobuf.Field, obj: Plain, at: Token): void {
    const isMessage = field.resolvedType instanceof protobuf.Type;
    const isMap = field instanceof protobuf.MapField;
    if (this.isPunct(':')) this.next();
    else if (!isMessage && !isMap) this.fail(this.peek(), `expected ':' after scalar field '${field.name}'`);

    const one = (): unknown =>
      isMap ? this.mapEntry(field as protobuf.MapField) : isMessage ? this.messageValue(field.resolvedType as protobuf.Type) : this.scalar(field);
    const values: unknown[] = [];
    if (this.isPunct('[')) {
      if (!field.repeated && !isMap) this.fail(this.peek(), `field '${field.name}' is not repeated; a list is not allowed`);
      this.next();
      if (!this.isPunct(']'))
        for (;;) {
          values.push(one());
          if (this.isPunct(',')) this.next();
          else break;
        }
      this.expect(']');
    } else values.push(one());

    if (isMap) {
      const map = (obj[field.name] ??= {}) as Record<string, unknown>;
      for (const [k, v] of values as [string, unknown][]) map[k] = v;
    } else if (field.repeated) ((obj[field.name] ??= []) as unknown[]).push(...values);
    else {
      if (field.name in obj) this.fail(at, `non-repeated field '${field.name}' is set more than once`);
      obj[field.name] = values[0];
    }
  }

  private messageValue(type: protobuf.Type): Plain {
    const open = this.next();
    if (open.kind !== 'punct' || (open.text !== '{' && open.text !== '<'))
      this.fail(open, `expected '{' or '<' to open ${type.fullName.replace(/^\./, '')}, found ${describe(open)}`);
    return this.message(type, open.text === '{' ? '}' : '>');
  }

  private mapEntry(field: protobuf.MapField): [string, unknown] {
    // A map entry is a message with `key` and `value` fields.
    const open = this.next();
    if (open.kind !== 'punct' || (open.text !== '{' && open.text !== '<')) this.fail(open, `expected '{' or '<' for an entry of map '${field.name}'`);
    const close = open.text === '{' ? '}' : '>';
    let key: unknown;
    let value: unknown;
    while (!this.isPunct(close)) {
      const t = this.next();
      if (t.kind !== 'ident' || (t.text !== 'key' && t.text !== 'value'))
        this.fail(t, `a map entry of '${field.name}' has only 'key' and 'value', found ${describe(t)}`);
      if ((t.text === 'key' ? key : value) !== undefined) this.fail(t, `'${t.text}' is set more than once in an entry of map '${field.name}'`);
      if (t.text === 'key') {
        this.expect(':');
        key = this.scalarOf(field.keyType, null, field.name);
      } else {
        const vt = field.resolvedType;
        if (vt instanceof protobuf.Type) {
          if (this.isPunct(':')) this.next();
          value = this.messageValue(vt);
        } else {
          this.expect(':');
          value = this.scalarOf(field.type, vt instanceof protobuf.Enum ? vt : null, field.name);
        }
      }
      if (this.isPunct(',') || this.isPunct(';')) this.next();
    }
    this.next();
    const vt = field.resolvedType;
    const defaultValue = vt instanceof protobuf.Type ? {} : vt instanceof protobuf.Enum ? 0 : field.type === 'string' ? '' : field.type === 'bool' ? false : 0;
    return [String(key ?? (field.keyType === 'string' ? '' : field.keyType === 'bool' ? false : 0)), value ?? defaultValue];
  }

  private scalar(field: protobuf.Field): unknown {
    const rt = field.resolvedType;
    return this.scalarOf(field.type, rt instanceof protobuf.Enum ? rt : null, field.name);
  }

  private scalarOf(type: string, en: protobuf.Enum | null, name: string): unknown {
    const t = this.next();
    if (en) {
      if (t.kind === 'ident') {
        if (!(t.text in en.values)) this.fail(t, `'${t.text}' is not a value of enum ${en.fullName.replace(/^\./, '')} (field '${name}')`);
        return en.values[t.text];
      }
      if (t.kind === 'number') return this.integer(t, 'int32', name);
      this.fail(t, `field '${name}' takes an enum value, found ${describe(t)}`);
    }
    if (type === 'string' || type === 'bytes') {
      if (t.kind !== 'string') this.fail(t, `field '${name}' takes a string, found ${describe(t)}`);
      const parts = [t.bytes!];
      while (this.peek().kind === 'string') parts.push(this.next().bytes!);
      const bytes = Uint8Array.from(parts.flatMap((p) => [...p]));
      if (type === 'bytes') return bytes;
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        this.fail(t, `field '${name}' takes UTF-8 text`);
      }
    }
    if (type === 'bool') {
      if ((t.kind === 'ident' || t.kind === 'number') && TRUE.has(t.text)) return true;
      if ((t.kind === 'ident' || t.kind === 'number') && FALSE.has(t.text)) return false;
      this.fail(t, `field '${name}' takes true or false, found ${describe(t)}`);
    }
    if (FLOAT_TYPES.has(type)) {
      const neg = t.kind === 'punct' && t.text === '-';
      const v = neg ? this.next() : t;
      const word = v.text.toLowerCase();
      if (v.kind === 'ident' && (word === 'inf' || word === 'infinity')) return neg ? -Infinity : Infinity;
      if (v.kind === 'ident' && word === 'nan') return NaN;
      if (v.kind !== 'number') this.fail(v, `field '${name}' takes a number, found ${describe(v)}`);
      const text = v.text.replace(/[fF]$/, '');
      const x = /^-?0[xX]/.test(text) ? Number(BigInt(text.replace('-', ''))) * (text.startsWith('-') ? -1 : 1) : Number(text);
      if (Number.isNaN(x)) this.fail(v, `'${v.text}' is not a number`);
      return neg ? -x : x;
    }
    if (type in INT_RANGES) {
      if (t.kind !== 'number') this.fail(t, `field '${name}' takes an integer, found ${describe(t)}`);
      return this.integer(t, type, name);
    }
    this.fail(t, `field '${name}' has type '${type}', which this parser does not know`);
  }

  private integer(t: Token, type: string, name: string): number | protobuf.Long {
    const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(t.text);
    if (!m) this.fail(t, `field '${name}' takes an integer, found '${t.text}'`);
    const digits = m![2];
    const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    const v = m![1] ? -magnitude : magnitude;
    const [lo, hi] = INT_RANGES[type];
    if (v < lo || v > hi) this.fail(t, `${t.text} is out of range for ${type} field '${name}'`);
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    // protobufjs represents exact 64-bit values with the 'long' package (installed with it).
    const Long = protobuf.util.Long as unknown as { fromString(text: string, unsigned: boolean): protobuf.Long } | undefined;
    if (!Long) this.fail(t, `${t.text} needs exact 64-bit integers, which protobufjs has only with the 'long' package`);
    return Long!.fromString(v.toString(), type.startsWith('u') || type.startsWith('fixed'));
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the text' : t.kind === 'string' ? `the string ${t.text}` : `'${t.text}'`;
}

export interface ParseTextOptions {
  /** Name used in error messages (a file name). */
  readonly source?: string;
}

/**
 * Parse text-format `text` as a message of `type`. Returns the message as a plain object with the
 * schema's field names (parse the schema with `keepCase: true` to keep snake_case names), enum values
 * as their names, 64-bit integers as numbers (exact up to 2^53), and unset fields absent.
 */
export function parseTextFormat(type: protobuf.Type, text: string, opts: ParseTextOptions = {}): Record<string, unknown> {
  const source = opts.source ?? '<text>';
  const plain = new Parser(tokenize(text, source), source).message(type, null);
  const problem = type.verify(plain);
  if (problem) throw new TextFormatError(source, 0, 0, `does not verify against ${type.fullName.replace(/^\./, '')}: ${problem}`);
  return type.toObject(type.fromObject(plain), { enums: String, longs: Number, defaults: false, arrays: false, objects: false }) as Record<string, unknown>;
}
