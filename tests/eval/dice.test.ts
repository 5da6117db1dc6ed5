import { describe, expect, it } from 'vitest';
import { dice, meanStd, formatMeanStd } from '../../src/app/eval/dice.js';

const m = (bits: string) => ({ width: bits.length, height: 1, data: Uint8Array.from(bits, (c) => (c === '1' ? 1 : 0)) });

describe('Dice', () => {
  it('scores overlap in percent', () => {
    expect(dice(m('1100'), m('1100'))).toBe(100);
    expect(dice(m('1100'), m('0011'))).toBe(0);
    expect(dice(m('1111'), m('0011'))).toBeCloseTo((200 * 2) / 6, 10);
    expect(dice(m('1100'), m('0110'))).toBe(50);
    expect(dice(m('0000'), m('0000'))).toBe(100);
    expect(dice(m('1000'), m('0000'))).toBe(0);
  });

  it('refuses masks of different sizes', () => {
    expect(() => dice(m('10'), m('100'))).toThrow('dice: prediction is 2×1, target is 3×1');
  });

  it('gives mean ± population std', () => {
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(formatMeanStd(meanStd([80, 90]))).toBe('85.0 ± 5.0');
    expect(meanStd([]).n).toBe(0);
  });
});
