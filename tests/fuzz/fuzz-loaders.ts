// The fuzz suite's body, run in a child process under a memory cap by loaders.fuzz.test.ts (and by hand:
// `node --max-old-space-size=512 --import tsx tests/fuzz/fuzz-loaders.ts [RUNS_PER_TARGET]`). For every loader and the
// prompt parser, fast-check feeds mutations of valid files and of the hostile corpus (tests/fixtures/hostile): bit
// flips, overwritten bytes, cuts, insertions, and header fields set to edge values with checksums fixed so the
// mutation reaches the decoder. The property: a loader returns a value or a DataError naming the file, never throws,
// and a value is well formed (sizes agree, every pixel finite). Prints one JSON line: cases and milliseconds per target.
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { readDataset } from '../../src/app/data/dataset.js';
import type { DataError } from '../../src/app/data/errors.js';
import type { LoadedImage } from '../../src/app/data/image.js';
import { parseJson } from '../../src/util/json.js';
import { decodeJpeg } from '../../src/app/data/jpeg.js';
import { readImages } from '../../src/app/data/load.js';
import { NiftiStreamDecoder, parseNifti, type Volume } from '../../src/app/data/nifti.js';
import { parseDicom } from '../../src/app/data/dicom.js';
import { decodePng, encodePngRaw } from '../../src/app/data/png.js';
import { decodePromptSpec, parsePromptSpec, validatePrompt } from '../../src/app/data/prompt.js';
import { readTemplatesFile } from '../../src/app/cli/templates-file.js';
import { bufferSource, crc32, inflateStream, InflateError } from '../../src/util/inflate.js';
import { makeDicom, makeNifti, makeNifti2 } from '../data/fixtures.js';

const REPO = join(import.meta.dirname, '..', '..');
const RUNS = Number(process.argv[2] ?? process.env.ONEPROMPT_FUZZ_RUNS ?? 1500);
const HOSTILE = join(REPO, 'tests', 'fixtures', 'hostile');
const corpus = (ext: RegExp): Uint8Array[] =>
  readdirSync(HOSTILE)
    .filter((f) => ext.test(f))
    .map((f) => new Uint8Array(readFileSync(join(HOSTILE, f))));

// ---------- seeds ----------

const pngSeeds: Uint8Array[] = [
  ...['036', '066', '086'].map((n) => new Uint8Array(readFileSync(join(REPO, 'samples', 'mri', 'images', `axial-${n}.png`)))),
  encodePngRaw({ width: 5, height: 3, colorType: 2, bitDepth: 16, scanlines: Uint8Array.from({ length: 90 }, (_, i) => i * 37) }),
  encodePngRaw({
    width: 9,
    height: 2,
    colorType: 3,
    bitDepth: 4,
    scanlines: Uint8Array.from({ length: 10 }, (_, i) => i * 17),
    palette: Uint8Array.from({ length: 48 }, (_, i) => i * 5),
  }),
  encodePngRaw({ width: 4, height: 4, colorType: 4, bitDepth: 8, scanlines: Uint8Array.from({ length: 32 }, (_, i) => i * 8) }),
  ...corpus(/\.png$/),
];
/** Re-compute every chunk's CRC so that a mutation inside a chunk reaches the decoder instead of the CRC check. */
function fixPngCrcs(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 8; o + 12 <= b.length; ) {
    const len = v.getUint32(o);
    if (o + 12 + len > b.length) break;
    v.setUint32(o + 8 + len, crc32(b.subarray(o + 4, o + 8 + len)));
    o += 12 + len;
  }
  return b;
}
const jpegSeeds: Uint8Array[] = [
  ...[
    [16, 16, 90],
    [33, 7, 20],
  ].map(([w, h, q]) => {
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    return new Uint8Array(jpeg.encode({ data, width: w, height: h }, q).data);
  }),
  ...corpus(/\.jpe?g$/),
];
const niftiSeeds: Uint8Array[] = [
  makeNifti({ dims: [4, 3, 2], datatype: 4, bitpix: 16, values: Array.from({ length: 24 }, (_, i) => i - 5) }),
  makeNifti({ dims: [3, 3, 2], datatype: 16, bitpix: 32, values: Array.from({ length: 18 }, (_, i) => i / 3), slope: 2, inter: 1 }),
  makeNifti({ dims: [2, 2, 2, 3], datatype: 2, bitpix: 8, values: Array.from({ length: 24 }, (_, i) => i) }),
  makeNifti({ dims: [2, 3, 1], datatype: 64, bitpix: 64, values: [1, 2, 3, 4, 5, 6], littleEndian: false, sform: [0, -1, 0, 5, 1, 0, 0, 2, 0, 0, 3, 1] }),
  ...corpus(/\.nii$/),
];
// NIfTI-2 (540-byte header): the same reader after its own layout; and the all-zero NIfTI-2 header of the corpus.
const nifti2Seeds: Uint8Array[] = [
  makeNifti2({ dims: [4, 3, 2], datatype: 4, bitpix: 16, values: Array.from({ length: 24 }, (_, i) => i - 5) }),
  makeNifti2({ dims: [3, 3, 2], datatype: 16, bitpix: 32, values: Array.from({ length: 18 }, (_, i) => (i === 4 ? NaN : i / 3)), slope: 2, inter: 1 }),
  makeNifti2({ dims: [2, 2, 2, 3], datatype: 2, bitpix: 8, values: Array.from({ length: 24 }, (_, i) => i) }),
  makeNifti2({ dims: [2, 3, 1], datatype: 64, bitpix: 64, values: [1, 2, 3, 4, 5, 6], littleEndian: false, sform: [0, -1, 0, 5, 1, 0, 0, 2, 0, 0, 3, 1] }),
  new Uint8Array(readFileSync(join(HOSTILE, 'nifti2.nii'))),
];
/** An 8-bit grey RLE Lossless frame: the 64-byte header, then one segment of literal runs (PS3.5 annex G). */
function rleLiteralFrame(plane: Uint8Array): Uint8Array {
  const runs: number[] = [];
  for (let i = 0; i < plane.length; i += 128) runs.push(Math.min(128, plane.length - i) - 1, ...plane.subarray(i, i + 128));
  const frame = new Uint8Array(64 + runs.length);
  const v = new DataView(frame.buffer);
  v.setUint32(0, 1, true);
  v.setUint32(4, 64, true);
  frame.set(runs, 64);
  return frame;
}
const dicomSeeds: Uint8Array[] = [
  makeDicom({ rows: 3, cols: 4, pixels: Array.from({ length: 12 }, (_, i) => i * 100), windowCenter: 40, windowWidth: 400, slope: 2, intercept: -1024 }),
  makeDicom({ rows: 2, cols: 2, pixels: Array.from({ length: 12 }, (_, i) => i), samples: 3, photometric: 'RGB', bitsAllocated: 8, withSequence: true }),
  makeDicom({
    rows: 2,
    cols: 3,
    pixels: Array.from({ length: 12 }, (_, i) => i),
    frames: 2,
    transferSyntax: '1.2.840.10008.1.2',
    signed: true,
    bitsStored: 12,
  }),
  // Encapsulated: an RLE Lossless frame (one segment of literal runs) and a JPEG Baseline frame (jpeg-js).
  makeDicom({
    rows: 4,
    cols: 4,
    pixels: [],
    bitsAllocated: 8,
    transferSyntax: '1.2.840.10008.1.2.5',
    fragments: [rleLiteralFrame(Uint8Array.from({ length: 16 }, (_, i) => i * 9))],
  }),
  makeDicom({
    rows: 16,
    cols: 16,
    pixels: [],
    bitsAllocated: 8,
    samples: 3,
    photometric: 'YBR_FULL_422',
    transferSyntax: '1.2.840.10008.1.2.4.50',
    fragments: [jpegSeeds[0]],
  }),
];
const promptSeeds: string[] = [
  '{"type": "click", "points": [{"x": 60, "y": 40, "label": 1}, {"x": 10, "y": 12, "label": 0}]}',
  '{"type": "bbox", "box": [31, 1, 91, 86]}',
  '{"type": "doodle", "strokes": [{"label": 1, "points": [[40, 30], [52, 34], [61, 45]]}]}',
  '{"type": "seglab", "mask": "mask.png"}',
  ...readdirSync(HOSTILE)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(join(HOSTILE, f), 'utf8')),
];

// ---------- mutations ----------

type Mutation = (b: Uint8Array) => Uint8Array;
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x10];
const byteMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(
    ([at, bit]): Mutation =>
      (b) => {
        const c = b.slice();
        if (c.length) c[at % c.length] ^= 1 << bit;
        return c;
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...INTERESTING), fc.integer({ min: 1, max: 8 })).map(
    ([at, v, n]): Mutation =>
      (b) => {
        const c = b.slice();
        for (let i = 0; i < n && c.length; i++) c[(at + i) % c.length] = v;
        return c;
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (b) =>
        b.slice(0, b.length ? at % (b.length + 1) : 0),
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(
    ([at, ins]): Mutation =>
      (b) => {
        const i = b.length ? at % b.length : 0;
        const c = new Uint8Array(b.length + ins.length);
        c.set(b.subarray(0, i));
        c.set(ins, i);
        c.set(b.subarray(i), i + ins.length);
        return c;
      },
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 256 })).map(
    ([from, to, n]): Mutation =>
      (b) => {
        if (!b.length) return b;
        const c = b.slice();
        c.copyWithin(to % c.length, from % c.length, (from % c.length) + n);
        return c;
      },
  ),
);
const mutated = (seeds: readonly Uint8Array[], extra: fc.Arbitrary<Mutation>[] = []): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.oneof(byteMutation, ...extra), { minLength: 1, maxLength: 4 }))
    .map(([seed, ms]) => ms.reduce((b, m) => m(b), seed));

/** A 16- or 32-bit header field set to an edge value (NIfTI, both byte orders). */
const fieldMutation = (offsets: readonly number[]): fc.Arbitrary<Mutation> =>
  fc
    .tuple(
      fc.constantFrom(...offsets),
      fc.constantFrom(0, 1, -1, 2, 3, 7, 8, 255, 256, 348, 352, 540, 1024, 32767, -32768, 65535, 2 ** 31 - 1),
      fc.boolean(),
      fc.boolean(),
    )
    .map(
      ([o, v, wide, le]): Mutation =>
        (b) => {
          const c = b.slice();
          const view = new DataView(c.buffer);
          if (o + 4 > c.length) return c;
          if (wide) view.setInt32(o, v | 0, le);
          else view.setInt16(o, ((v << 16) >> 16) | 0, le);
          return c;
        },
    );
const floatField = (offsets: readonly number[]): fc.Arbitrary<Mutation> =>
  fc.tuple(fc.constantFrom(...offsets), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e30, -1e-30, 348, 352.5, 2 ** 31)).map(
    ([o, v]): Mutation =>
      (b) => {
        const c = b.slice();
        if (o + 4 <= c.length) new DataView(c.buffer).setFloat32(o, v, true);
        return c;
      },
  );
const NIFTI_FIELDS = [0, 40, 42, 44, 46, 48, 70, 72, 252, 254];
/** NIfTI-2's int64 fields (dim[0..4], vox_offset) set to edge values, beyond 2^31 and beyond 2^53 included. */
const int64Field = (offsets: readonly number[]): fc.Arbitrary<Mutation> =>
  fc
    .tuple(
      fc.constantFrom(...offsets),
      fc.constantFrom(0n, 1n, -1n, 3n, 7n, 8n, 540n, 543n, 544n, 2n ** 31n, 2n ** 40n, 2n ** 53n + 1n, -(2n ** 63n)),
      fc.boolean(),
    )
    .map(
      ([o, v, le]): Mutation =>
        (b) => {
          const c = b.slice();
          if (o + 8 <= c.length) new DataView(c.buffer).setBigInt64(o, v, le);
          return c;
        },
    );
const float64Field = (offsets: readonly number[]): fc.Arbitrary<Mutation> =>
  fc.tuple(fc.constantFrom(...offsets), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e300, -1e-300, 2 ** 31)).map(
    ([o, v]): Mutation =>
      (b) => {
        const c = b.slice();
        if (o + 8 <= c.length) new DataView(c.buffer).setFloat64(o, v, true);
        return c;
      },
  );
const NIFTI2_MUTATIONS = [
  fieldMutation([0, 12, 14, 344, 348]),
  int64Field([16, 24, 32, 40, 48, 168]),
  float64Field([104, 112, 120, 128, 176, 184, 352, 400, 408, 432]),
];
const NIFTI_FLOATS = [76, 80, 84, 88, 108, 112, 116, 256, 280, 284, 296, 312];
/** IHDR fields (width, height, depth, colour type, interlace) of a PNG, CRCs fixed afterwards. */
const pngHeaderMutation: fc.Arbitrary<Mutation> = fc
  .tuple(fc.constantFrom(16, 20, 24, 25, 26, 27, 28), fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 16, 255, 4096, 65535, 2 ** 31))
  .map(
    ([o, v]): Mutation =>
      (b) => {
        const c = b.slice();
        if (c.length < 33) return c;
        if (o < 24) new DataView(c.buffer).setUint32(o, v >>> 0);
        else c[o] = v & 0xff;
        return c;
      },
  );
/** A PNG with its IDAT data replaced by a small zlib stream of chosen bytes (so filters and depths get exercised). */
const pngDataMutation: fc.Arbitrary<Mutation> = fc.uint8Array({ maxLength: 400 }).map(
  (raw): Mutation =>
    (b) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const out: Uint8Array[] = [b.subarray(0, 8)];
      for (let o = 8; o + 12 <= b.length; ) {
        const len = v.getUint32(o);
        if (o + 12 + len > b.length) break;
        const type = String.fromCharCode(...b.subarray(o + 4, o + 8));
        if (type === 'IDAT') {
          const z = deflateSync(raw);
          const ch = new Uint8Array(12 + z.length);
          new DataView(ch.buffer).setUint32(0, z.length);
          ch.set([73, 68, 65, 84], 4);
          ch.set(z, 8);
          out.push(ch);
        } else out.push(b.subarray(o, o + 12 + len));
        o += 12 + len;
      }
      const c = new Uint8Array(out.reduce((n, x) => n + x.length, 0));
      let at = 0;
      for (const x of out) c.set(x, (at += x.length) - x.length);
      return c;
    },
);

// ---------- the property ----------

class PropertyError extends Error {}
/** ONEPROMPT_FUZZ_STATS=1: how often each outcome happened per target (which refusals the mutations reach). */
const STATS = process.env.ONEPROMPT_FUZZ_STATS === '1';
let outcomes = new Map<string, number>();
const outcome = (r: E.Either<DataError, unknown>): void => {
  if (!STATS) return;
  const key = E.isRight(r) ? 'decoded' : r.left.message.replace(/\d+/g, 'N').slice(0, 60);
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
};
function expectLoaded(r: E.Either<DataError, LoadedImage | LoadedImage[]>, file: string): void {
  outcome(r);
  if (E.isLeft(r)) {
    if (r.left.file !== file && !r.left.file.startsWith(file)) throw new PropertyError(`error names ${r.left.file}, not ${file}: ${r.left.message}`);
    if (!r.left.message) throw new PropertyError('empty error message');
    return;
  }
  for (const img of Array.isArray(r.right) ? r.right : [r.right]) {
    if (!(img.width >= 1 && img.height >= 1 && img.data.length === img.width * img.height))
      throw new PropertyError(`bad size ${img.width}×${img.height} for ${img.data.length} values`);
    for (let i = 0; i < img.data.length; i++) if (!Number.isFinite(img.data[i])) throw new PropertyError(`pixel ${i} is ${img.data[i]}`);
  }
}
function expectVolume(r: E.Either<DataError, Volume>): void {
  outcome(r);
  if (E.isLeft(r)) return;
  const v = r.right;
  if (v.data.length !== v.dims[0] * v.dims[1] * v.dims[2]) throw new PropertyError('volume size and data disagree');
  for (let i = 0; i < v.data.length; i++) if (!Number.isFinite(v.data[i])) throw new PropertyError(`voxel ${i} is ${v.data[i]}`);
  if (!v.affine.every(Number.isFinite)) throw new PropertyError('non-finite affine');
}
const noThrow = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw new PropertyError(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
};

/** The NIfTI decoder fed in random chunks agrees with the whole-buffer parser. */
function niftiStreamAgrees(bytes: Uint8Array, cut: number): void {
  const whole = parseNifti(bytes, 'v.nii');
  const d = new NiftiStreamDecoder('v.nii', { maxBytes: bytes.length });
  let streamed: E.Either<string, Volume>;
  try {
    for (let at = 0; at < bytes.length; at += cut) if (!d.push(bytes.subarray(at, at + cut))) break;
    streamed = E.right(d.finish());
  } catch (e) {
    streamed = E.left((e as Error).message);
  }
  if (E.isRight(whole) !== E.isRight(streamed))
    throw new PropertyError(
      `stream and buffer disagree: ${E.isRight(whole) ? 'buffer ok' : whole.left.message} / ${E.isRight(streamed) ? 'stream ok' : streamed.left}`,
    );
  if (E.isRight(whole) && E.isRight(streamed) && Buffer.compare(Buffer.from(whole.right.data.buffer), Buffer.from(streamed.right.data.buffer)) !== 0)
    throw new PropertyError('stream and buffer voxels differ');
}

const work = mkdtempSync(join(tmpdir(), 'oneprompt-fuzz-'));
let fileNo = 0;
const writeTemp = (name: string, bytes: Uint8Array | string): string => {
  const p = join(work, `${fileNo++}-${name}`);
  writeFileSync(p, bytes);
  return p;
};

const targets: [string, fc.IProperty<never> | fc.IProperty<[unknown]> | fc.IPropertyWithHooks<never>, number][] = [];
const add = <T>(name: string, arb: fc.Arbitrary<T>, check: (v: T) => void, runs = RUNS): void => {
  targets.push([name, fc.property(arb, (v) => void check(v)) as never, runs]);
};

add(
  'PNG',
  mutated(pngSeeds, [
    pngHeaderMutation.map(
      (m): Mutation =>
        (b) =>
          fixPngCrcs(m(b)),
    ),
    pngDataMutation.map(
      (m): Mutation =>
        (b) =>
          fixPngCrcs(m(b)),
    ),
  ]),
  (b) =>
    expectLoaded(
      noThrow(() => decodePng(b, 'f.png')),
      'f.png',
    ),
);
add('PNG (CRCs fixed after every mutation)', mutated(pngSeeds).map(fixPngCrcs), (b) =>
  expectLoaded(
    noThrow(() => decodePng(b, 'f.png')),
    'f.png',
  ),
);
add('JPEG', mutated(jpegSeeds), (b) =>
  expectLoaded(
    noThrow(() => decodeJpeg(b, 'f.jpg')),
    'f.jpg',
  ),
);
add('NIfTI', mutated(niftiSeeds, [fieldMutation(NIFTI_FIELDS), floatField(NIFTI_FLOATS)]), (b) => expectVolume(noThrow(() => parseNifti(b, 'f.nii'))));
add(
  'NIfTI streamed in chunks = whole',
  fc.tuple(mutated(niftiSeeds, [fieldMutation(NIFTI_FIELDS), floatField(NIFTI_FLOATS)]), fc.integer({ min: 1, max: 64 })),
  ([b, cut]) => noThrow(() => niftiStreamAgrees(b, cut)),
);
add('NIfTI-2', mutated(nifti2Seeds, NIFTI2_MUTATIONS), (b) => expectVolume(noThrow(() => parseNifti(b, 'f.nii'))));
add('NIfTI-2 streamed in chunks = whole', fc.tuple(mutated(nifti2Seeds, NIFTI2_MUTATIONS), fc.integer({ min: 1, max: 64 })), ([b, cut]) =>
  noThrow(() => niftiStreamAgrees(b, cut)),
);
add('DICOM', mutated(dicomSeeds), (b) =>
  expectLoaded(
    noThrow(() => parseDicom(b, 'f.dcm')),
    'f.dcm',
  ),
);
add(
  'JSON parser',
  fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 6 }),
    fc
      .constantFrom(...promptSeeds)
      .chain((s) => fc.tuple(fc.nat(), fc.string({ maxLength: 8 })).map(([at, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice(at % (s.length + 1)))),
  ),
  (t) => noThrow(() => parseJson(t)),
);
add(
  'prompt parser and validation',
  fc.tuple(
    fc.oneof(
      fc
        .constantFrom(...promptSeeds)
        .chain((s) =>
          fc
            .tuple(fc.nat(), fc.nat(), fc.constantFrom('', '-', '1e999', '"__proto__":1,', '[', '{', '}', '0', 'null', '\ufeff', '"x"', ','))
            .map(([a, n, ins]) => s.slice(0, a % (s.length + 1)) + ins + s.slice((a % (s.length + 1)) + (n % 3))),
        ),
      fc.json({ maxDepth: 4 }),
    ),
    fc.integer({ min: 1, max: 300 }),
    fc.integer({ min: 1, max: 300 }),
  ),
  ([text, w, h]) => {
    const spec = noThrow(() => parsePromptSpec(text, 'p.json'));
    if (E.isLeft(spec)) {
      if (spec.left.file !== 'p.json') throw new PropertyError('error does not name the prompt file');
      return;
    }
    if (spec.right.type !== 'seglab') noThrow(() => validatePrompt(spec.right, { width: w, height: h }, 'p.json'));
    noThrow(() => decodePromptSpec(JSON.parse(JSON.stringify(spec.right)), 'p.json'));
  },
);
add(
  'inflate (gzip, zlib, raw)',
  fc.tuple(
    fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.uint8Array({ maxLength: 600 }).chain((d) => mutated([gzipSync(d), deflateSync(d)])),
    ),
    fc.constantFrom('gzip', 'zlib', 'raw' as const),
  ),
  ([b, f]) => {
    try {
      inflateStream(f as 'gzip', bufferSource(b, 97), () => undefined);
    } catch (e) {
      if (!(e instanceof InflateError)) throw new PropertyError(`threw ${(e as Error).message}`);
    }
  },
);

// Files on disk: the format found from the bytes, .nii.gz streamed, templates.json, dataset folders.
const fileRuns = Math.max(20, Math.round(RUNS / 10));
add(
  'image files (readImages: format detection, .nii.gz streaming)',
  fc.tuple(
    fc.oneof(
      mutated(pngSeeds),
      mutated(jpegSeeds),
      mutated(niftiSeeds, [fieldMutation(NIFTI_FIELDS)]),
      mutated(niftiSeeds).map((b) => new Uint8Array(gzipSync(b))),
      mutated(nifti2Seeds, NIFTI2_MUTATIONS).map((b) => new Uint8Array(gzipSync(b))),
      mutated(niftiSeeds.map((s) => new Uint8Array(gzipSync(s)))),
      mutated(dicomSeeds),
    ),
    fc.constantFrom('x.png', 'x.nii', 'x.nii.gz', 'x.dcm', 'x'),
  ),
  ([b, name]) => {
    const p = writeTemp(name, b);
    expectLoaded(
      noThrow(() => readImages(p)),
      p,
    );
  },
  fileRuns,
);
add(
  'templates.json (readTemplatesFile)',
  fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc
      .array(
        fc.record({
          image: fc.constantFrom('a.png', 'b.png', '../a.png', '', 'masks/m.png'),
          prompt: fc.oneof(
            fc.constantFrom(...promptSeeds).map((s) => JSON.parse(s.replace(/^\ufeff/, '')) as unknown),
            fc.json({ maxDepth: 2 }),
          ),
        }),
        { maxLength: 3 },
      )
      .map((a) => JSON.stringify(a)),
  ),
  (text) => {
    const dir = join(work, `t${fileNo++}`);
    mkdirSync(join(dir, 'images'), { recursive: true });
    writeFileSync(join(dir, 'images', 'a.png'), pngSeeds[3]);
    writeFileSync(join(dir, 'images', 'b.png'), pngSeeds[0]);
    const f = join(dir, 'templates.json');
    writeFileSync(f, text);
    const r = noThrow(() => readTemplatesFile(f));
    if (E.isLeft(r) && !r.left.file.startsWith(f)) throw new PropertyError(`error names ${r.left.file}`);
  },
  fileRuns,
);
add(
  'dataset folders (readDataset)',
  fc.tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom('a.png', 'b.png', 'c.nii', 'a.jpg', '.hidden', 'x.nii.gz'),
        fc.oneof(mutated(pngSeeds), mutated(niftiSeeds), fc.constant(pngSeeds[3])),
      ),
      { maxLength: 3 },
    ),
    fc.array(fc.constantFrom('a.png', 'b.png', 'c.nii', 'a.nii.gz'), { maxLength: 3 }),
    fc.option(fc.json({ maxDepth: 3 })),
    fc.option(fc.json({ maxDepth: 3 })),
  ),
  ([images, masks, templates, split]) => {
    const root = join(work, `d${fileNo++}`);
    const task = join(root, 'task');
    mkdirSync(join(task, 'images'), { recursive: true });
    mkdirSync(join(task, 'masks'));
    for (const [n, b] of images) writeFileSync(join(task, 'images', n), b);
    for (const n of masks) writeFileSync(join(task, 'masks', n), pngSeeds[3]);
    if (templates !== null) writeFileSync(join(task, 'templates.json'), templates);
    if (split !== null) writeFileSync(join(root, 'split.json'), split);
    const r = noThrow(() => readDataset(root));
    if (E.isLeft(r) && !r.left.file.startsWith(root)) throw new PropertyError(`error names ${r.left.file}`);
  },
  fileRuns,
);

const results: Record<string, { cases: number; ms: number }> = {};
let failed = false;
for (const [name, prop, runs] of targets) {
  const t0 = performance.now();
  const r = fc.check(prop as fc.IProperty<unknown>, { numRuns: runs, seed: Number(process.env.ONEPROMPT_FUZZ_SEED ?? 16) });
  results[name] = { cases: r.numRuns, ms: Math.round(performance.now() - t0) };
  if (STATS && outcomes.size)
    console.error(
      `${name}:\n${[...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `  ${n}  ${k}`)
        .join('\n')}`,
    );
  outcomes = new Map();
  if (r.failed) {
    failed = true;
    console.error(`FAILED ${name}: ${fc.defaultReportMessage(r)}`);
  }
}
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ results, heapLimitMiB: Math.round((await import('node:v8')).getHeapStatistics().heap_size_limit / 2 ** 20) }));
process.exitCode = failed ? 1 : 0;
