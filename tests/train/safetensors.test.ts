import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type SafeTensor } from '../../src/util/safetensors.js';
import { loadCheckpoint, loadWeights, saveCheckpoint } from '../../src/train/checkpoint.js';
import { Param, init } from '../../src/dsl/params.js';

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** A file assembled by hand from the format description, independent of our writer. */
function handMade(header: object, data: number[]): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Uint8Array.from(Buffer.concat([len, json, Buffer.from(data)]));
}

const tensorArb: fc.Arbitrary<SafeTensor> = fc
  .tuple(
    fc.constantFrom('F32', 'F64', 'F16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'),
    fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    fc.integer(),
  )
  .map(([dtype, shape, seed]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = Array.from({ length: n }, (_, i) => ((seed + i * 7919) % 200) - 100);
    const data =
      dtype === 'F32'
        ? Float32Array.from(vals, (v) => v / 7)
        : dtype === 'F64'
          ? Float64Array.from(vals, (v) => v / 7)
          : dtype === 'F16'
            ? Uint16Array.from(vals, (v) => v & 0xffff)
            : dtype === 'I64'
              ? BigInt64Array.from(vals, (v) => BigInt(v) * 10000000000n)
              : dtype === 'I32'
                ? Int32Array.from(vals)
                : dtype === 'I16'
                  ? Int16Array.from(vals)
                  : dtype === 'I8'
                    ? Int8Array.from(vals)
                    : Uint8Array.from(vals, (v) => (dtype === 'BOOL' ? v & 1 : v & 0xff));
    return { dtype, shape, data } as SafeTensor;
  });

describe('safetensors', () => {
  it('round-trips any tensors and metadata, with data 8-byte aligned', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__metadata__'),
          tensorArb,
          { maxKeys: 6 },
        ),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (tensors, metadata) => {
          const bytes = concat(encodeSafetensors(tensors, metadata));
          const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          expect((8 + n) % 8).toBe(0);
          const back = decodeSafetensors(bytes);
          if (E.isLeft(back)) throw new Error(back.left);
          expect(back.right.metadata).toEqual(metadata);
          expect([...back.right.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
          for (const [k, t] of Object.entries(tensors)) {
            const u = back.right.tensors.get(k)!;
            expect(u.dtype).toBe(t.dtype);
            expect(u.shape).toEqual(t.shape);
            expect(Array.from(u.data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
          }
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('reads a file written by hand from the format description', () => {
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(1.5, 0);
    f32.writeFloatLE(-2, 4);
    const bytes = handMade(
      { b: { dtype: 'I8', shape: [2], data_offsets: [8, 10] }, a: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] }, __metadata__: { format: 'pt' } },
      [...f32, 0xff, 0x07],
    );
    const r = decodeSafetensors(bytes);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) {
      expect(Array.from(r.right.tensors.get('a')!.data as Float32Array)).toEqual([1.5, -2]);
      expect(Array.from(r.right.tensors.get('b')!.data as Int8Array)).toEqual([-1, 7]);
      expect(r.right.metadata).toEqual({ format: 'pt' });
    }
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', Uint8Array.of(1, 2, 3), /shorter than the 8-byte header length/],
    ['header past the end', handMade({}, []).map((b, i) => (i === 0 ? 200 : b)), /runs past the end/],
    ['not JSON', handMade({}, []).map((b, i) => (i === 9 ? 0x3a : b)), /not valid JSON/],
    ['a hole', handMade({ a: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, [0, 0]), /a hole of 1 bytes precedes tensor 'a'/],
    ['overlap', handMade({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, [0, 0]), /overlaps/],
    ['size mismatch', handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /needs 8/],
    ['leftover bytes', handMade({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, [0, 9]), /data region is 2 bytes but the tensors cover 1/],
    ['unknown dtype', handMade({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]), /unsupported dtype "C64"/],
    ['metadata not strings', handMade({ __metadata__: { step: 3 } }, []), /'__metadata__.step' is not a string/],
  ];
  for (const [what, bytes, message] of bad)
    it(`refuses a file with ${what}`, () => {
      const r = decodeSafetensors(bytes);
      expect(E.isLeft(r) && r.left).toMatch(message);
    });

  it('writes atomically (no temp files left) and readSafetensors names the file on errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, { x: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } });
    writeSafetensors(path, { x: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2, 3) } });
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    expect(readSafetensors(path).tensors.get('x')!.shape).toEqual([3]);
    writeFileSync(path, Uint8Array.of(1));
    expect(() => readSafetensors(path)).toThrow(`${path}: file is 1 bytes`);
  });
});

describe('checkpoints', () => {
  it('store parameters by module path, Adam moments and the RNG state, and load them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-'));
    const path = join(dir, 'last.safetensors');
    const params = new Map([
      ['enc.weight', Float32Array.of(1, 2, 3, 4, 5, 6)],
      ['enc.bias', Float32Array.of(7, 8)],
    ]);
    const optimizer = new Map([
      ['__optimizer__.adam.m.enc.weight', new Float32Array(6).fill(0.5)],
      ['__optimizer__.adam.v.enc.weight', new Float32Array(6).fill(0.25)],
    ]);
    const shapes = new Map([
      ['enc.weight', [3, 2]],
      ['enc.bias', [2]],
    ]);
    saveCheckpoint(path, { step: 12, rngState: 0xdeadbeef, optimizerStep: 12, params, optimizer, extra: { config: 'tiny' } }, shapes);
    const raw = readSafetensors(path);
    expect(raw.tensors.get('enc.weight')!.shape).toEqual([3, 2]);
    expect(raw.tensors.get('__optimizer__.adam.v.enc.weight')!.shape).toEqual([3, 2]);
    expect(raw.metadata.format).toBe('oneprompt-checkpoint/1');
    const back = loadCheckpoint(path);
    expect(back.step).toBe(12);
    expect(back.rngState).toBe(0xdeadbeef);
    expect(back.extra).toEqual({ config: 'tiny' });
    expect(Array.from(back.params.get('enc.bias')!)).toEqual([7, 8]);
    expect(back.optimizer.size).toBe(2);

    // The same file loads as weights into Params (as `compile --weights` will).
    const w = new Param('enc.weight', [3, 2], init.zeros, 0);
    const b = new Param('enc.bias', [2], init.zeros, 0);
    loadWeights(path, [w, b]);
    expect(Array.from(w.values())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => loadWeights(path, [new Param('enc.weight', [2, 3], init.zeros, 0), b])).toThrow("'enc.weight' has shape [3, 2], the model declares [2, 3]");
    expect(() => loadWeights(path, [w, b, new Param('head.bias', [1], init.zeros, 0)])).toThrow("no weights for 'head.bias'");
    expect(() => loadWeights(path, [w])).toThrow("weights 'enc.bias' match no parameter");
  });

  it('refuses a weights-only file as a training checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-'));
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, { a: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
    expect(() => loadCheckpoint(path)).toThrow(/not a training checkpoint/);
    expect(readFileSync(path).length).toBeGreaterThan(8);
  });
});
