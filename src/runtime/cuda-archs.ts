// Which GPUs a CUDA library can run on: the compute capabilities its `.nv_fatbin` section holds machine code
// (SASS) or PTX for. A provider library built without a GPU's capability fails only at the first kernel launch
// ("no kernel image is available"), so `setup:cuda` and the CUDA probe check this up front.
//
// Layout read here (the fat binary container that nvcc embeds; not a published format, stable for years):
//   fat binary header: u32 magic 0xBA55ED50, u16 version, u16 header size, u64 size of the entries that follow
//   each entry:        u16 kind (1 PTX, 2 ELF/SASS), u16 version, u32 header size, u64 payload size,
//                      ..., u32 arch at byte 28 (e.g. 90 for compute capability 9.0)
import { execFileSync } from 'node:child_process';

const FATBIN_MAGIC = 0xba55ed50;

export interface FatbinArchs {
  /** Capabilities with machine code, as numbers like 90 (9.0), sorted. */
  readonly sass: readonly number[];
  /** Capabilities with PTX (just-in-time compiled on the same or newer GPUs), sorted. */
  readonly ptx: readonly number[];
  /** Fat binaries found in the section. */
  readonly fatbins: number;
}

export class CudaArchError extends Error {
  override name = 'CudaArchError';
}

/** The `.nv_fatbin` section of an ELF64 little-endian file, or undefined when it has none. */
function fatbinSection(buf: Uint8Array, what: string): Uint8Array | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 64 || dv.getUint32(0) !== 0x7f454c46) throw new CudaArchError(`${what}: not an ELF file`);
  if (buf[4] !== 2 || buf[5] !== 1) throw new CudaArchError(`${what}: not a 64-bit little-endian ELF file`);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  if (shoff + shnum * shentsize > buf.length || shstrndx >= shnum)
    throw new CudaArchError(`${what}: section headers run past the end of the file (truncated?)`);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: dv.getUint32(at, true), offset: Number(dv.getBigUint64(at + 24, true)), size: Number(dv.getBigUint64(at + 32, true)) };
  };
  const names = section(shstrndx);
  const nameAt = (off: number) => {
    let end = names.offset + off;
    while (end < buf.length && buf[end] !== 0) end++;
    return new TextDecoder().decode(buf.subarray(names.offset + off, end));
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (nameAt(s.name) !== '.nv_fatbin') continue;
    if (s.offset + s.size > buf.length) throw new CudaArchError(`${what}: .nv_fatbin runs past the end of the file (truncated?)`);
    return buf.subarray(s.offset, s.offset + s.size);
  }
  return undefined;
}

/** The capabilities an ELF file's embedded CUDA code targets; throws CudaArchError naming `what` if unreadable. */
export function fatbinArchs(buf: Uint8Array, what = 'library'): FatbinArchs {
  const sec = fatbinSection(buf, what);
  const sass = new Set<number>();
  const ptx = new Set<number>();
  let fatbins = 0;
  if (sec) {
    const dv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
    // Fat binaries sit back to back, each 8-byte aligned; skip padding between them.
    for (let pos = 0; pos + 16 <= sec.length; ) {
      if (dv.getUint32(pos, true) !== FATBIN_MAGIC) {
        pos += 8;
        continue;
      }
      fatbins++;
      const headerSize = dv.getUint16(pos + 6, true);
      const end = pos + headerSize + Number(dv.getBigUint64(pos + 8, true));
      if (end > sec.length) throw new CudaArchError(`${what}: fat binary ${fatbins} runs past the end of .nv_fatbin`);
      for (let e = pos + headerSize; e + 32 <= end; ) {
        const kind = dv.getUint16(e, true);
        const entryHeader = dv.getUint32(e + 4, true);
        const payload = Number(dv.getBigUint64(e + 8, true));
        const arch = dv.getUint32(e + 28, true);
        if (kind === 1) ptx.add(arch);
        else if (kind === 2) sass.add(arch);
        if (entryHeader < 32) throw new CudaArchError(`${what}: fat binary ${fatbins} has an entry header of ${entryHeader} bytes`);
        e += entryHeader + payload;
      }
      pos = end;
    }
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { sass: sorted(sass), ptx: sorted(ptx), fatbins };
}

/** "9.0" for 90. */
export const capability = (arch: number): string => `${Math.floor(arch / 10)}.${arch % 10}`;

/**
 * Whether code in `archs` runs on a GPU of compute capability `cc` (e.g. 90): machine code runs on the same
 * major version at an equal or higher minor; PTX is compiled for any equal or higher capability.
 */
export function runsOn(archs: FatbinArchs, cc: number): boolean {
  const major = Math.floor(cc / 10);
  return archs.sass.some((a) => Math.floor(a / 10) === major && a <= cc) || archs.ptx.some((a) => a <= cc);
}

/** One line for people: which capabilities, and whether `cc` (when known) is among those it runs on. */
export function describeArchs(archs: FatbinArchs, cc?: number): string {
  if (archs.fatbins === 0) return 'no CUDA kernels embedded';
  const list = (xs: readonly number[]) => xs.map(capability).join(', ') || 'none';
  const base = `CUDA kernels for compute capability ${list(archs.sass)} (PTX: ${list(archs.ptx)})`;
  if (cc === undefined) return base;
  return `${base}; this GPU is ${capability(cc)}: ${runsOn(archs, cc) ? 'covered' : 'NOT covered (expect "no kernel image is available"; docs/cuda.md)'}`;
}

/** The first GPU's compute capability (e.g. 90) as nvidia-smi reports it, or undefined without a GPU or driver. */
export function gpuCapability(): number | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=compute_cap', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    const m = /^(\d+)\.(\d)/.exec(out.trim());
    return m ? Number(m[1]) * 10 + Number(m[2]) : undefined;
  } catch {
    return undefined;
  }
}
