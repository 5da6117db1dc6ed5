import { describe, expect, it } from 'vitest';
import { EncodingCache } from '../../src/app/inference/encoding-cache.js';

describe('EncodingCache', () => {
  it('keeps encodings while they fit the budget, first come first kept, and drops what is no longer wanted', () => {
    const c = new EncodingCache<Float32Array>(40, (e) => e.byteLength);
    expect(c.set('a', new Float32Array(4))).toBe(true); // 16 bytes
    expect(c.set('b', new Float32Array(4))).toBe(true); // 32
    expect(c.set('c', new Float32Array(4))).toBe(false); // would be 48: not kept, a and b stay
    expect([c.get('a')?.length, c.get('b')?.length, c.get('c')]).toEqual([4, 4, undefined]);
    expect([c.size, c.bytes]).toEqual([2, 32]);
    expect(c.set('a', new Float32Array(2))).toBe(true); // replacing counts the difference: 8 + 16
    expect(c.bytes).toBe(24);
    c.retain((k) => k !== 'b');
    expect([c.size, c.bytes, c.get('b')]).toEqual([1, 8, undefined]);
    expect(c.set('c', new Float32Array(8))).toBe(true);
    expect(c.bytes).toBe(40);
  });
});
