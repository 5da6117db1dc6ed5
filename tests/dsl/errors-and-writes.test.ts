import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildShapeError, build, input, matmul, add, ParamStore, linear, type Shape, type Tensor } from '../../src/dsl/index.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { saveModel } from '../../src/onnx/save.js';

describe('build-time shape errors', () => {
  it('a matmul on `number` dims that disagree names the op, the tensors, their shapes and this source line', () => {
    const k = [256, 255][Number('1')]; // a dim the compiler only knows as `number`
    const a = input('a', ['B', 4, 256]);
    const b = input('b', [k, 3]);
    let err: unknown;
    try {
      matmul(a as Tensor<Shape, 'float32'>, b as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BuildShapeError);
    const msg = (err as Error).message;
    expect(msg).toContain('matmul: inner dims differ (256 vs 255)');
    expect(msg).toContain("input 'a' [B, 4, 256]");
    expect(msg).toContain("input 'b' [255, 3]");
    expect(msg).toMatch(/at tests\/dsl\/errors-and-writes\.test\.ts:\d+:\d+/);
  });

  it('names the module path of the failing op', () => {
    const s = new ParamStore(0).root();
    const width = [8, 9][Number('1')];
    const x = input('x', ['B', 8]);
    const h = linear(s.at('enc').at('fc'), x, 16);
    expect(() => add(h as Tensor<Shape, 'float32'>, input('y', [width]) as never)).toThrow(/add: cannot broadcast 16 with 9/);
  });
});

describe('atomic writes', () => {
  it('replaces the file whole and leaves no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const path = join(dir, 'm.bin');
    writeFileSync(path, 'old');
    writeFileAtomic(path, [Uint8Array.of(1, 2), Uint8Array.of(3)]);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['m.bin']);
  });

  it('on a failure mid-write keeps the old file and removes the temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const path = join(dir, 'm.bin');
    writeFileSync(path, 'old');
    const bad = { byteLength: 4 } as unknown as Uint8Array; // not a buffer: the write throws after the temp file exists
    expect(() => writeFileAtomic(path, [Uint8Array.of(1), bad])).toThrow();
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['m.bin']);
  });

  it('a graph whose emission fails writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const path = join(dir, 'bad.onnx');
    const x = input('x', [2, 3]);
    const other = input('other', [2, 3]);
    // `other` is used but not declared as an input: build refuses, so no file can appear.
    expect(() => saveModel(build({ inputs: { x }, outputs: { y: add(x, other) } }), path)).toThrow(/not listed in inputs/);
    expect(existsSync(path)).toBe(false);
  });
});
