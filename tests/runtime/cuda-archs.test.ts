import { describe, expect, it } from 'vitest';
import { CudaArchError, describeArchs, fatbinArchs, runsOn } from '../../src/runtime/cuda-archs.js';

type Entry = { kind: 'sass' | 'ptx'; arch: number; payload: number };

/** A fat binary: header (16 bytes) and entries of 64-byte headers with zeroed payloads. */
function fatbin(entries: Entry[]): Uint8Array {
  const body = entries.reduce((n, e) => n + 64 + e.payload, 0);
  const out = new Uint8Array(16 + body);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xba55ed50, true);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, 16, true);
  dv.setBigUint64(8, BigInt(body), true);
  let at = 16;
  for (const e of entries) {
    dv.setUint16(at, e.kind === 'ptx' ? 1 : 2, true);
    dv.setUint32(at + 4, 64, true);
    dv.setBigUint64(at + 8, BigInt(e.payload), true);
    dv.setUint32(at + 28, e.arch, true);
    at += 64 + e.payload;
  }
  return out;
}

/** A minimal ELF64 LE file whose sections are a string table and, optionally, .nv_fatbin holding `section`. */
function elf(section?: Uint8Array, sectionName = '.nv_fatbin'): Uint8Array {
  const names = new TextEncoder().encode(`\0.shstrtab\0${sectionName}\0`);
  const dataOff = 64;
  const namesOff = dataOff + (section?.length ?? 0);
  const shoff = Math.ceil((namesOff + names.length) / 8) * 8;
  const headers = section ? 3 : 2;
  const out = new Uint8Array(shoff + headers * 64);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setBigUint64(0x28, BigInt(shoff), true);
  dv.setUint16(0x3a, 64, true);
  dv.setUint16(0x3c, headers, true);
  dv.setUint16(0x3e, 1, true);
  if (section) out.set(section, dataOff);
  out.set(names, namesOff);
  const header = (i: number, name: number, offset: number, size: number) => {
    const at = shoff + i * 64;
    dv.setUint32(at, name, true);
    dv.setBigUint64(at + 24, BigInt(offset), true);
    dv.setBigUint64(at + 32, BigInt(size), true);
  };
  header(1, 1, namesOff, names.length);
  if (section) header(2, 11, dataOff, section.length);
  return out;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

describe('CUDA architectures of a library', () => {
  // Two fat binaries, as a provider library holds hundreds, with 8 bytes of padding between them.
  const lib = elf(
    concat(
      fatbin([
        { kind: 'sass', arch: 80, payload: 40 },
        { kind: 'sass', arch: 90, payload: 8 },
      ]),
      new Uint8Array(8),
      fatbin([
        { kind: 'sass', arch: 75, payload: 0 },
        { kind: 'ptx', arch: 86, payload: 24 },
        { kind: 'sass', arch: 90, payload: 16 },
      ]),
    ),
  );

  it('lists the machine-code and PTX capabilities in .nv_fatbin', () => {
    expect(fatbinArchs(lib)).toEqual({ sass: [75, 80, 90], ptx: [86], fatbins: 2 });
    expect(fatbinArchs(elf())).toEqual({ sass: [], ptx: [], fatbins: 0 });
    expect(fatbinArchs(elf(new Uint8Array(32), '.rodata')).fatbins).toBe(0);
  });

  it('knows which GPUs that code runs on', () => {
    const sassOnly = { sass: [75, 80, 86, 89, 90, 120], ptx: [], fatbins: 1 };
    for (const cc of [75, 80, 86, 87, 89, 90, 120, 121]) expect(runsOn(sassOnly, cc), String(cc)).toBe(true);
    for (const cc of [70, 100, 103]) expect(runsOn(sassOnly, cc), String(cc)).toBe(false);
    // PTX is compiled for newer GPUs of any major version, never for older ones.
    expect(runsOn({ sass: [], ptx: [90], fatbins: 1 }, 100)).toBe(true);
    expect(runsOn({ sass: [], ptx: [90], fatbins: 1 }, 89)).toBe(false);
    expect(describeArchs(sassOnly, 100)).toBe(
      'CUDA kernels for compute capability 7.5, 8.0, 8.6, 8.9, 9.0, 12.0 (PTX: none); this GPU is 10.0: NOT covered (expect "no kernel image is available"; docs/cuda.md)',
    );
    expect(describeArchs(sassOnly, 90)).toMatch(/this GPU is 9\.0: covered$/);
    expect(describeArchs({ sass: [], ptx: [], fatbins: 0 })).toBe('no CUDA kernels embedded');
  });

  it('names the file when it is not a readable library', () => {
    expect(() => fatbinArchs(new TextEncoder().encode('{"name": "x"} and some more bytes to pass sixty-four of them....'), 'package.json')).toThrow(
      new CudaArchError('package.json: not an ELF file'),
    );
    expect(() => fatbinArchs(lib.subarray(0, lib.length - 100), 'cut.so')).toThrow(/cut\.so: section headers run past the end of the file \(truncated\?\)/);
  });
});
