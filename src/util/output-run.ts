// The files one command run writes into an output folder, as one unit: staged in a folder of their own, moved into
// place only when all of them are written, and listed in a manifest written last. So:
// - nothing of the user's is lost: a file the run would replace must be listed in the previous run's manifest (it
//   is ours); anything else in the folder is left alone, and a name clash with it is an error before any write;
// - a run that fails (a bad input, ENOSPC) changes nothing; a killed one leaves the manifest saying
//   "complete": false while files move (so mixed old and new files are marked), or the old run untouched;
// - the previous run's files that this run does not write again are removed (they would mix with the new ones);
// - a staging folder left by a killed run (its pid no longer running) is removed by the next run.
// A new output folder is staged beside it and renamed into place whole. Node-only.
import { existsSync, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { clipName } from './clip-name.js';
import { parseJson } from './json.js';
import { asFileWriteError, FileWriteError, writeFileAtomic } from './atomic-write.js';
import { isProcessAlive } from './process-alive.js';
import { makeDirs } from './make-dirs.js';
import { MAX_JSON_BYTES, readRegularText } from './safe-read.js';

export interface OutputRunOptions {
  /** The output folder. */
  readonly dir: string;
  /** The manifest's file name inside it (e.g. "segment.json"). */
  readonly manifest: string;
  /** The command, for the manifest and for messages ("segment"). */
  readonly command: string;
  /** Files of a previous run's manifest written before manifests listed them (an older version's). */
  readonly legacyFiles?: (json: Record<string, unknown>) => readonly string[] | undefined;
  /** Files without a manifest that are recognisably a previous run's (an older version wrote no manifest). */
  readonly legacyOwned?: (dir: string, rel: string) => boolean;
}

/** The manifest's own keys; commands add theirs. */
export interface ManifestHead {
  /** The command that wrote the folder. */
  readonly oneprompt: string;
  /** False while a run moves its files into place (a kill then leaves old and new files mixed, marked so). */
  readonly complete: boolean;
  /** Every file the run wrote, relative to the folder (the manifest itself not included). */
  readonly files: readonly string[];
}

/** The manifest's name while staged (write() refuses it as an output name). */
const MANIFEST_STAGED = '.manifest';
const STAGING = /^\.oneprompt-(.+)-(\d+)\.partial$/;
const stagingName = (command: string, pid = process.pid): string => `.oneprompt-${command}-${pid}.partial`;

/** Remove staging folders of killed runs inside `dir` (and, for a new folder, beside it). */
function removeDeadStaging(dir: string): void {
  const clean = (parent: string, prefix: string): void => {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      return;
    }
    for (const n of names) {
      const m = STAGING.exec(n.startsWith(prefix) ? n.slice(prefix.length) : '');
      if (m && !isProcessAlive(Number(m[2]))) rmSync(join(parent, n), { recursive: true, force: true });
    }
  };
  clean(dir, '');
  clean(dirname(resolve(dir)), `${basename(resolve(dir))}`);
}

export class OutputRun {
  private readonly staging: string;
  /** True when the folder did not exist: the staging folder becomes it. */
  private readonly fresh: boolean;
  private readonly owned: Set<string>;
  private readonly written: string[] = [];
  private done = false;
  /** Ctrl+C or a kill while staging: remove the staging folder, then let the signal do what it would have done. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.abort();
    process.kill(process.pid, signal);
  };

  constructor(readonly opts: OutputRunOptions) {
    const dir = resolve(opts.dir);
    if (existsSync(dir) && !lstatSync(dir).isDirectory()) throw new Error(`${opts.command}: --out ${clipName(opts.dir)} is a file, expected a folder`);
    removeDeadStaging(dir);
    this.fresh = !existsSync(dir);
    this.owned = this.fresh ? new Set() : this.previousFiles(dir);
    this.staging = this.fresh ? join(dirname(dir), `${basename(dir)}${stagingName(opts.command)}`) : join(dir, stagingName(opts.command));
    try {
      makeDirs(this.staging);
    } catch (e) {
      // Name the folder the user gave (the staging folder is ours), or the parent that could not be made.
      const failed = (e as NodeJS.ErrnoException).path;
      throw asFileWriteError(e, failed && !failed.includes('.oneprompt-') ? failed : dir);
    }
    // SIGKILL cannot be caught; the next run removes what it leaves.
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** The files the previous run in `dir` wrote, from its manifest; throws if the manifest is not ours. */
  private previousFiles(dir: string): Set<string> {
    const path = join(dir, this.opts.manifest);
    if (!existsSync(path)) return new Set();
    let json: unknown;
    try {
      const parsed = parseJson(readRegularText(path, MAX_JSON_BYTES, 'a manifest'));
      json = parsed._tag === 'Right' ? parsed.right : undefined;
    } catch {
      json = undefined;
    }
    const o = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);
    const listed = o && o.oneprompt === this.opts.command ? [...(strings(o.files) ?? []), ...(strings(o.previous) ?? [])] : o && this.opts.legacyFiles?.(o);
    if (!listed) {
      throw new Error(
        `${this.opts.command}: ${clipName(path)} exists and was not written by oneprompt ${this.opts.command}; choose another --out (nothing was written)`,
      );
    }
    return new Set(listed.filter((f) => isInside(dir, f)));
  }

  /** Whether `rel` may be replaced: absent, or written by the previous run. */
  private mayReplace(rel: string): boolean {
    const dir = resolve(this.opts.dir);
    const target = join(dir, rel);
    if (!existsSync(target) && !isSymlink(target)) return true;
    if (!lstatSync(target).isFile()) return false;
    return this.owned.has(rel) || (!existsSync(join(dir, this.opts.manifest)) && (this.opts.legacyOwned?.(dir, rel) ?? false));
  }

  /** Refuse, before anything is written, to replace files this command did not write. */
  checkTargets(rels: readonly string[]): void {
    if (this.fresh) return;
    const clash = rels.filter((r) => !this.mayReplace(r));
    if (clash.length > 0) {
      const dir = this.opts.dir;
      this.abort();
      throw new Error(
        `${this.opts.command}: ${clash.length === 1 ? `${clipName(join(dir, clash[0]))} exists` : `${clash.length} files exist, e.g. ${clipName(join(dir, clash[0]))},`} and ${clash.length === 1 ? 'was' : 'were'} not written by oneprompt ${this.opts.command} ` +
          `(${this.opts.manifest} does not list ${clash.length === 1 ? 'it' : 'them'}); refusing to replace ${clash.length === 1 ? 'it' : 'them'}: choose another --out or move ${clash.length === 1 ? 'it' : 'them'} (nothing was written)`,
      );
    }
  }

  /** Write one output (relative to the folder) into the staging folder. */
  write(rel: string, data: Uint8Array | string): void {
    if (!isInside(resolve(this.opts.dir), rel)) throw new Error(`${this.opts.command}: output name ${clipName(rel)} leaves the output folder`);
    if (rel === MANIFEST_STAGED || rel === this.opts.manifest) throw new Error(`${this.opts.command}: output name ${rel} is reserved for the run's manifest`);
    try {
      writeFileAtomic(join(this.staging, rel), data);
    } catch (e) {
      // Name the file the user asked for, not its staging copy.
      const err = asFileWriteError(e, join(this.opts.dir, rel));
      this.abort();
      throw new FileWriteError(join(this.opts.dir, rel), err.reason, err.code);
    }
    this.written.push(rel);
  }

  /** Move every staged file into place, remove the previous run's others, and write the manifest last. */
  commit(extra: Record<string, unknown> = {}): void {
    const dir = resolve(this.opts.dir);
    const files = [...this.written];
    this.checkTargets(files);
    try {
      const manifest = (complete: boolean, previous?: string[]): string =>
        JSON.stringify({ oneprompt: this.opts.command, complete, files, ...(previous ? { previous } : {}), ...extra }, null, 1) + '\n';
      if (this.fresh) {
        writeFileAtomic(join(this.staging, this.opts.manifest), manifest(true));
        renameSync(this.staging, dir);
      } else {
        const stale = [...this.owned].filter((f) => !files.includes(f));
        // Manifests are written in the staging folder and renamed into place: a kill leaves no temp file in DIR.
        const putManifest = (text: string): void => {
          writeFileAtomic(join(this.staging, MANIFEST_STAGED), text);
          renameSync(join(this.staging, MANIFEST_STAGED), join(dir, this.opts.manifest));
        };
        putManifest(manifest(false, [...this.owned]));
        for (const rel of files) {
          makeDirs(dirname(join(dir, rel)));
          renameSync(join(this.staging, rel), join(dir, rel));
        }
        for (const rel of stale) if (lstatSync(join(dir, rel), { throwIfNoEntry: false })?.isFile()) rmSync(join(dir, rel));
        putManifest(manifest(true));
        rmSync(this.staging, { recursive: true, force: true });
      }
    } catch (e) {
      this.abort();
      throw asFileWriteError(e, join(this.opts.dir, this.opts.manifest));
    } finally {
      this.release();
    }
  }

  /** Give up: remove the staging folder (what was already moved stays, under a manifest marked incomplete). */
  abort(): void {
    if (this.done) return;
    rmSync(this.staging, { recursive: true, force: true });
    this.release();
  }

  private release(): void {
    this.done = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** The staging folder (tests). */
  get stagingDir(): string {
    return this.staging;
  }
}

/** `rel` names a place inside `dir` (no "..", not absolute). */
function isInside(dir: string, rel: string): boolean {
  const r = relative(dir, resolve(dir, rel));
  return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && resolve(dir, rel).startsWith(dir + sep);
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
