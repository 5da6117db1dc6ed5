// The machine's fp32 FMA peak, measured by compiling and running bench/lib/fma-peak.c (cc -O2 -march=native).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Peak {
  readonly gflops: number;
  readonly threads: number;
  readonly simdWidth: number;
  readonly measured: boolean;
}

export function measureFmaPeak(threads?: number): Peak {
  const src = fileURLToPath(new URL('./fma-peak.c', import.meta.url));
  const exe = join(mkdtempSync(join(tmpdir(), 'fma-')), 'fma-peak');
  try {
    execFileSync('cc', ['-O2', '-march=native', '-pthread', '-o', exe, src], { stdio: 'pipe' });
    const [g, t, w] = execFileSync(exe, threads ? [String(threads)] : [], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
    return { gflops: g, threads: t, simdWidth: w, measured: true };
  } catch {
    // No C compiler: fall back to the figure measured on the project's reference machine (2 cores).
    return { gflops: 190, threads: 2, simdWidth: 16, measured: false };
  }
}
