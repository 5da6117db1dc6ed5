// Inputs too big for the repository, made at test time: gzip bombs streamed to disk (a 1 GiB inflation is never held
// in memory here either), and helpers to run the CLI in a child process with its peak memory reported.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';

export const REPO = join(import.meta.dirname, '..', '..');

/** `parts` written through gzip (level 9) to `path`; a part may repeat (zeros). */
export async function gzipTo(path: string, parts: Iterable<Uint8Array>): Promise<void> {
  const gz = createGzip({ level: 9 });
  const done = new Promise<void>((ok, fail) => {
    gz.pipe(createWriteStream(path)).on('finish', ok).on('error', fail);
    gz.on('error', fail);
  });
  for (const p of parts) if (!gz.write(p)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
}

export function* repeat(chunk: Uint8Array, times: number): Generator<Uint8Array> {
  for (let i = 0; i < times; i++) yield chunk;
}

/** A NIfTI-1 header (+4 bytes of extension flags) for `dims` of uint8 (2) or float32 (16). */
export function niftiHeader(dims: readonly number[], datatype = 2): Uint8Array {
  const h = new Uint8Array(352);
  const v = new DataView(h.buffer);
  v.setInt32(0, 348, true);
  v.setInt16(40, dims.length, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  for (let i = dims.length; i < 7; i++) v.setInt16(42 + 2 * i, 1, true);
  v.setInt16(70, datatype, true);
  v.setInt16(72, datatype === 16 ? 32 : 8, true);
  for (let i = 0; i < 8; i++) v.setFloat32(76 + 4 * i, 1, true);
  v.setFloat32(108, 352, true);
  h.set([0x6e, 0x2b, 0x31, 0], 344);
  return h;
}

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident memory of the child (KiB). */
  readonly maxRssKib: number;
}

/** `oneprompt ARGS...` in a child process (with `nodeArgs` to node), its peak memory reported. */
export function runChild(args: readonly string[], opts: { nodeArgs?: readonly string[]; timeoutMs?: number } = {}): ChildRun {
  const r = spawnSync(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--import', join(REPO, 'tests', 'fuzz', 'report-rss.mjs'), join(REPO, 'bin', 'oneprompt.mjs'), ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 300_000,
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const m = /max-rss-kib (\d+)\s*$/.exec(r.stderr ?? '');
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(/\nmax-rss-kib \d+\s*$/, ''), maxRssKib: m ? Number(m[1]) : NaN };
}
