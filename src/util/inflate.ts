// A streaming DEFLATE decoder (RFC 1951) with the gzip (RFC 1952) and zlib (RFC 1950) wrappers, written so that a
// loader can stop inflating at what a file's header declares. Node's zlib only inflates a whole buffer at once (its
// sync API has no partial output and maxOutputLength throws away what it made), so a 1 MB .nii.gz would become 1 GiB
// before its 348-byte header could be read. Here input is pulled in chunks from a source and output is pushed in
// chunks (at most CHUNK bytes past the 32 KiB window) to a sink, which can stop the stream by returning false:
// memory stays at one window plus what the caller keeps. Browser-safe (no node imports).

/** Input: the next chunk of compressed bytes, or undefined at the end. */
export type InflateSource = () => Uint8Array | undefined;
/**
 * Output: a chunk of inflated bytes, valid only during the call (the buffer is reused). Return false to stop: the
 * rest of the stream is neither inflated nor checked.
 */
export type InflateSink = (chunk: Uint8Array) => boolean | void;

export type InflateFormat = 'gzip' | 'zlib' | 'raw';

export interface InflateResult {
  /** False when the sink stopped the stream early. */
  readonly complete: boolean;
  /** Bytes handed to the sink. */
  readonly bytesOut: number;
}

/** The stream is not valid DEFLATE/gzip/zlib data, or ends too early; the message says which. */
export class InflateError extends Error {
  override name = 'InflateError';
}

const WINDOW = 32768;
/** Output is handed on in chunks of about this size. */
const CHUNK = 1 << 18;
const MAX_MATCH = 258;

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (gzip, PNG) continued over `bytes`; start with 0. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Adler-32 (zlib) continued over `bytes`; start with 1. */
export function adler32(bytes: Uint8Array, adler = 1): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 3800); // keeps b below 2^31 between reductions
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A canonical Huffman code as a lookup table over `bits` input bits: entry = symbol << 4 | code length (0: no code). */
interface Huffman {
  table: Int32Array;
  bits: number;
}

function buildHuffman(lengths: ArrayLike<number>, n: number, into: Int32Array, what: string): Huffman {
  const count = new Int32Array(16);
  let maxLen = 0;
  for (let s = 0; s < n; s++) {
    count[lengths[s]]++;
    if (lengths[s] > maxLen) maxLen = lengths[s];
  }
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new InflateError(`invalid ${what} code: over-subscribed code lengths`);
  }
  const bits = Math.max(1, maxLen);
  const size = 1 << bits;
  const table = into.subarray(0, size);
  table.fill(0);
  // First code of each length, as in RFC 1951 §3.2.2.
  const next = new Int32Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (len === 0) continue;
    const code = next[len]++;
    // Codes are stored most-significant bit first, but read from the stream least-significant first: reverse.
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((code >>> i) & 1) << (len - 1 - i);
    const entry = (s << 4) | len;
    for (let r = rev; r < size; r += 1 << len) table[r] = entry;
  }
  return { table, bits };
}

const FIXED = (() => {
  const lit = new Uint8Array(288);
  lit.fill(8, 0, 144);
  lit.fill(9, 144, 256);
  lit.fill(7, 256, 280);
  lit.fill(8, 280, 288);
  const dist = new Uint8Array(30).fill(5);
  return { lit: buildHuffman(lit, 288, new Int32Array(1 << 9), 'literal/length'), dist: buildHuffman(dist, 30, new Int32Array(1 << 5), 'distance') };
})();

/** Thrown by the sink wrapper to unwind when the caller stops the stream. */
class Stopped {}

/**
 * Inflate a gzip, zlib or raw DEFLATE stream from `source` into `sink`. Throws InflateError for corrupt or truncated
 * data (including a wrong gzip CRC-32/size or zlib Adler-32 when the stream is read to its end). Gzip members that
 * follow one another are read as one stream, as gunzip does; bytes after the last member are ignored.
 */
export function inflateStream(format: InflateFormat, source: InflateSource, sink: InflateSink): InflateResult {
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let ended = false;
  let bitbuf = 0;
  let bitcnt = 0;
  /** Zero bits made up past the end of the input so that a table lookup can peek; using them is an error. */
  let padded = 0;

  const refill = (): boolean => {
    while (!ended) {
      const next = source();
      if (next === undefined) {
        ended = true;
        buf = new Uint8Array(0);
        pos = 0;
        return false;
      }
      buf = next;
      pos = 0;
      if (buf.length > 0) return true;
    }
    return false;
  };
  const byte = (): number => {
    if (pos >= buf.length && !refill()) throw new InflateError('unexpected end of the compressed data (the file is truncated)');
    return buf[pos++];
  };
  const need = (n: number): void => {
    while (bitcnt < n) {
      if (pos < buf.length || refill()) bitbuf |= buf[pos++] << bitcnt;
      else padded += 8;
      bitcnt += 8;
    }
  };
  const bits = (n: number): number => {
    need(n);
    const v = bitbuf & ((1 << n) - 1);
    bitbuf >>>= n;
    bitcnt -= n;
    if (padded > bitcnt) throw new InflateError('unexpected end of the compressed data (the file is truncated)');
    return v;
  };
  const decode = (h: Huffman): number => {
    need(h.bits);
    const e = h.table[bitbuf & ((1 << h.bits) - 1)];
    const len = e & 15;
    if (len === 0) throw new InflateError('invalid Huffman code in the compressed data');
    bitbuf >>>= len;
    bitcnt -= len;
    if (padded > bitcnt) throw new InflateError('unexpected end of the compressed data (the file is truncated)');
    return e >>> 4;
  };
  /** Drop the bits left in the current byte, and give back whole bytes already pulled into the bit buffer. */
  const alignToByte = (): void => {
    bitbuf >>>= bitcnt & 7;
    bitcnt -= bitcnt & 7;
    if (padded > 0) throw new InflateError('unexpected end of the compressed data (the file is truncated)');
  };
  const alignedByte = (): number => {
    if (bitcnt >= 8) {
      const v = bitbuf & 0xff;
      bitbuf >>>= 8;
      bitcnt -= 8;
      return v;
    }
    return byte();
  };

  // ---------- output ----------
  const out = new Uint8Array(WINDOW + CHUNK + MAX_MATCH);
  let opos = 0;
  let flushed = 0;
  /** Where the current DEFLATE stream starts in `out` (back-references may not reach before it). */
  let base = 0;
  let bytesOut = 0;
  let check = format === 'gzip' ? 0 : 1;
  const flush = (): void => {
    if (opos > flushed) {
      const chunk = out.subarray(flushed, opos);
      check = format === 'gzip' ? crc32(chunk, check) : format === 'zlib' ? adler32(chunk, check) : 0;
      bytesOut += chunk.length;
      memberBytes += chunk.length;
      if (sink(chunk) === false) throw new Stopped();
    }
    if (opos >= WINDOW + CHUNK) {
      out.copyWithin(0, opos - WINDOW, opos);
      base = Math.max(0, base - (opos - WINDOW));
      opos = WINDOW;
    }
    flushed = opos;
  };
  let memberBytes = 0;

  const litTable = new Int32Array(1 << 15);
  const distTable = new Int32Array(1 << 15);
  const lengths = new Uint8Array(320);
  const codeLengthTable = new Int32Array(1 << 7);

  const dynamicTables = (): { lit: Huffman; dist: Huffman } => {
    const nlen = bits(5) + 257;
    const ndist = bits(5) + 1;
    const ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('invalid compressed block: too many length or distance codes');
    lengths.fill(0);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]] = bits(3);
    const cl = buildHuffman(lengths, 19, codeLengthTable, 'code length');
    const all = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist; ) {
      const sym = decode(cl);
      if (sym < 16) {
        all[i++] = sym;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (sym === 16) {
        if (i === 0) throw new InflateError('invalid compressed block: a repeated code length with nothing before it');
        value = all[i - 1];
        repeat = 3 + bits(2);
      } else if (sym === 17) repeat = 3 + bits(3);
      else repeat = 11 + bits(7);
      if (i + repeat > nlen + ndist) throw new InflateError('invalid compressed block: code lengths run past their count');
      all.fill(value, i, i + repeat);
      i += repeat;
    }
    if (all[256] === 0) throw new InflateError('invalid compressed block: no end-of-block code');
    return { lit: buildHuffman(all, nlen, litTable, 'literal/length'), dist: buildHuffman(all.subarray(nlen), ndist, distTable, 'distance') };
  };

  const deflate = (): void => {
    base = opos;
    let last = 0;
    while (!last) {
      last = bits(1);
      const type = bits(2);
      if (type === 0) {
        alignToByte();
        const len = alignedByte() | (alignedByte() << 8);
        const nlen = alignedByte() | (alignedByte() << 8);
        if ((len ^ 0xffff) !== nlen) throw new InflateError('invalid stored block: its length check does not match');
        for (let i = 0; i < len; i++) {
          out[opos++] = alignedByte();
          if (opos >= WINDOW + CHUNK) flush();
        }
        continue;
      }
      if (type === 3) throw new InflateError('invalid compressed block type 3');
      const { lit, dist } = type === 1 ? FIXED : dynamicTables();
      for (;;) {
        const sym = decode(lit);
        if (sym < 256) {
          out[opos++] = sym;
        } else if (sym === 256) break;
        else {
          const li = sym - 257;
          if (li >= 29) throw new InflateError(`invalid length code ${sym}`);
          const len = LENGTH_BASE[li] + (LENGTH_EXTRA[li] ? bits(LENGTH_EXTRA[li]) : 0);
          const di = decode(dist);
          if (di >= 30) throw new InflateError(`invalid distance code ${di}`);
          const d = DIST_BASE[di] + (DIST_EXTRA[di] ? bits(DIST_EXTRA[di]) : 0);
          if (d > opos - base) throw new InflateError('invalid distance: it points before the start of the data');
          let from = opos - d;
          for (let i = 0; i < len; i++) out[opos++] = out[from++];
        }
        if (opos >= WINDOW + CHUNK) flush();
      }
    }
    flush();
  };

  const u32le = (): number => (alignedByte() | (alignedByte() << 8) | (alignedByte() << 16) | (alignedByte() << 24)) >>> 0;

  const gzipMember = (): void => {
    if (alignedByte() !== 0x1f || alignedByte() !== 0x8b) throw new InflateError('not gzip data (no 1F 8B signature)');
    if (alignedByte() !== 8) throw new InflateError('unknown gzip compression method (only deflate, 8, exists)');
    const flags = alignedByte();
    if (flags & 0xe0) throw new InflateError('invalid gzip header: reserved flag bits are set');
    for (let i = 0; i < 6; i++) alignedByte(); // mtime, extra flags, OS
    if (flags & 4) {
      const xlen = alignedByte() | (alignedByte() << 8);
      for (let i = 0; i < xlen; i++) alignedByte();
    }
    if (flags & 8) while (alignedByte() !== 0);
    if (flags & 16) while (alignedByte() !== 0);
    if (flags & 2) alignedByte(), alignedByte();
    check = 0;
    memberBytes = 0;
    deflate();
    alignToByte();
    const crc = u32le();
    const size = u32le();
    if (crc !== check) throw new InflateError(`gzip CRC-32 mismatch (the data is corrupt): stored ${crc.toString(16)}, computed ${check.toString(16)}`);
    if (size !== memberBytes % 2 ** 32) throw new InflateError(`gzip size mismatch: the trailer says ${size} bytes, the data inflated to ${memberBytes}`);
  };

  try {
    if (format === 'gzip') {
      gzipMember();
      // Another member follows when the next two bytes are the signature again.
      for (;;) {
        if (bitcnt === 0 && pos >= buf.length && !refill()) break;
        const peek0 = bitcnt >= 8 ? bitbuf & 0xff : buf[pos];
        if (peek0 !== 0x1f) break;
        gzipMember();
      }
    } else if (format === 'zlib') {
      const cmf = alignedByte();
      const flg = alignedByte();
      if ((cmf & 15) !== 8 || cmf >>> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) throw new InflateError('invalid zlib header');
      if (flg & 32) throw new InflateError('zlib stream needs a preset dictionary, which this format does not use');
      deflate();
      alignToByte();
      const stored = ((alignedByte() << 24) | (alignedByte() << 16) | (alignedByte() << 8) | alignedByte()) >>> 0;
      if (stored !== check) throw new InflateError('zlib Adler-32 mismatch (the data is corrupt)');
    } else deflate();
  } catch (e) {
    if (e instanceof Stopped) return { complete: false, bytesOut };
    throw e;
  }
  return { complete: true, bytesOut };
}

/**
 * The most bytes `compressed` bytes of DEFLATE data can inflate to: a 258-byte match costs at least 2 bits, so 1032 per
 * byte, plus slack for block headers. A header that declares more than this is lying about what the file holds, and
 * is refused before anything is allocated.
 */
export const maxInflatedBytes = (compressed: number): number => compressed * 1032 + 4096;

/** A source over one buffer, in slices (so a sink that stops early saves the rest of the work). */
export function bufferSource(bytes: Uint8Array, slice = 1 << 16): InflateSource {
  let at = 0;
  return () => {
    if (at >= bytes.length) return undefined;
    const chunk = bytes.subarray(at, at + slice);
    at += chunk.length;
    return chunk;
  };
}

/**
 * Inflate at most `max` bytes: returns them, with `more` telling whether the stream holds more than that (it is not
 * inflated past max + 1 bytes). For data whose size a header declares, `max` is that size.
 */
export function inflateAtMost(format: InflateFormat, bytes: Uint8Array, max: number): { data: Uint8Array; more: boolean; complete: boolean } {
  const data = new Uint8Array(max);
  let n = 0;
  let more = false;
  const r = inflateStream(format, bufferSource(bytes), (chunk) => {
    const take = Math.min(chunk.length, max - n);
    data.set(chunk.subarray(0, take), n);
    n += take;
    if (take < chunk.length) {
      more = true;
      return false;
    }
  });
  return { data: n === max ? data : data.subarray(0, n), more, complete: r.complete };
}
