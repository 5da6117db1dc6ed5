import { describe, expect, it } from 'vitest';
import { progress } from '../../src/app/cli/progress.js';

const sink = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, io: { out: () => {}, err: (t: string) => void writes.push(t), errIsTTY: isTTY } };
};

describe('CLI progress', () => {
  it('prints about every 10% and the end once when stderr is not a terminal', () => {
    let now = 0;
    const { writes, io } = sink(false);
    const p = progress(io, 'segment', 100, 'queries', () => now);
    for (let d = 1; d <= 100; d++) {
      now = d * 50;
      p.update(d);
    }
    p.update(100);
    expect(writes).toHaveLength(11);
    expect(writes[0]).toBe('segment: 1/100 queries (1%)  0:05 left\n');
    expect(writes.at(-1)).toBe('segment: 100/100 queries (100%)\n');
  });

  it('redraws one line on a terminal and ends it at the end', () => {
    const { writes, io } = sink(true);
    const p = progress(io, 'eval', 3, 'pairs', () => 0);
    [1, 2, 3].forEach((d) => p.update(d, 'task-a'));
    expect(writes).toHaveLength(3);
    expect(writes.every((w) => w.startsWith('\reval: '))).toBe(true);
    expect(writes[2]).toBe('\reval: 3/3 pairs (100%)  task-a\x1b[K\n');
  });
});
