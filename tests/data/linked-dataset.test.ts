// src/app/data/linked-dataset.ts: a dataset made from another by linking, with its own split.json and entries; staged
// and renamed into place, nothing left behind when it fails.
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRawSplit, writeLinkedDataset } from '../../src/app/data/linked-dataset.js';
import { tempDir } from '../cli/run-cli.js';

function source(): string {
  const dir = join(tempDir('linked'), 'src');
  for (const t of ['a', 'b']) mkdirSync(join(dir, t, 'images'), { recursive: true });
  writeFileSync(join(dir, 'dataset.json'), '{}\n');
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: ['a'], heldout: ['b'], seed: 3 }));
  return dir;
}

describe('linked datasets', () => {
  it('links the source, writes its own split.json and entries, and keeps the keys it does not change', () => {
    const from = source();
    const split = readRawSplit(from);
    if (E.isLeft(split)) throw new Error(split.left.message);
    const out = `${from}-new`;
    writeLinkedDataset({ from, out, split: { ...split.right, train: ['a', 'c'] }, fill: (d) => mkdirSync(join(d, 'c')) });
    expect(readdirSync(out).sort()).toEqual(['a', 'b', 'c', 'dataset.json', 'split.json']);
    expect(lstatSync(join(out, 'a')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(out, 'c')).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'))).toEqual({ train: ['a', 'c'], heldout: ['b'], seed: 3 });
    expect(() => writeLinkedDataset({ from, out, split: split.right })).toThrow(`${out} exists; give a new folder`);
  });

  it('refuses an entry that would hide the source’s, and leaves nothing behind', () => {
    const from = source();
    const out = `${from}-clash`;
    expect(() => writeLinkedDataset({ from, out, split: { train: [] }, fill: (d) => mkdirSync(join(d, 'a')) })).toThrow(
      `${out}: a is both the source's and new; the source's would be hidden`,
    );
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  });

  it('reads split.json with "train" checked', () => {
    const from = source();
    writeFileSync(join(from, 'split.json'), JSON.stringify({ train: ['a', 3] }));
    const r = readRawSplit(from);
    expect(E.isLeft(r) && r.left).toEqual({ file: join(from, 'split.json'), where: 'train', message: '"train" must be a list of task names' });
  });
});
