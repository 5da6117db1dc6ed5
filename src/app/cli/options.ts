// Argument parsers shared by the segmentation commands (segment, everything, eval, synth): each turns a string into
// a checked value or throws commander's InvalidArgumentError, which commander prints with the option's name.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PLANES, type Plane } from '../data/nifti.js';
import { ctWindows, type Normalisation } from '../data/intensity.js';
import type { Device } from '../../runtime/session.js';
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_VOXELS, setLoadLimits, type LoadLimits } from '../data/limits.js';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
};

export const nonNegativeInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
};

/** A finite number ≥ 0 (a factor such as --warp). */
export const fractionOrMore = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
};

/** A number in [0, 1]. */
export const fraction = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got '${v}'`);
  return n;
};

export const DEVICES: readonly Device[] = ['cpu', 'cuda'];

export const plane = (v: string): Plane => {
  if (!(PLANES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${PLANES.join(', ')}, got '${v}'`);
  return v as Plane;
};

/** "--window soft-tissue" (a CT preset) or "--window 40,400" (center,width); default per-image min–max. */
export const windowOption = (v: string): Normalisation => {
  const preset = ctWindows[v];
  if (preset) return { kind: 'window', ...preset };
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
  if (!m || !(Number(m[2]) > 0)) {
    throw new InvalidArgumentError(`expected CENTER,WIDTH (e.g. 40,400) or a preset (${Object.keys(ctWindows).join(', ')}), got '${v}'`);
  }
  return { kind: 'window', center: Number(m[1]), width: Number(m[2]) };
};

export const WINDOW_HELP = `intensity window CENTER,WIDTH or a CT preset (${Object.keys(ctWindows).join(', ')}); default: per-image min–max`;

/** What withRuntimeOptions declares, as the parsed options hold it. */
export interface RuntimeCliOptions {
  readonly device?: Device;
  readonly batch?: number;
  readonly threads?: number;
}

/** What withImageOptions declares, as the parsed options hold it. */
export interface ImageCliOptions {
  readonly plane?: Plane;
  readonly slice?: number;
  readonly window?: Normalisation;
}

/** --device, --batch and --threads: how a command runs the model (segment, everything, eval declare them alike). */
export function withRuntimeOptions(cmd: Command, batchHelp: string): Command {
  return cmd
    .addOption(new Option('--device <device>', 'execution device (cuda falls back to cpu with a warning)').choices(DEVICES).default('cpu'))
    .option('--batch <n>', batchHelp, positiveInt, 8)
    .option('--threads <n>', 'ONNX Runtime threads (default: all cores)', positiveInt);
}

/** --plane, --slice and --window: how a volume, series or CT image becomes the 2-D image the model sees. */
export function withImageOptions(cmd: Command, sliceHelp: string): Command {
  return cmd
    .option('--plane <plane>', 'volumes: axial, coronal or sagittal', plane)
    .option('--slice <n>', sliceHelp, nonNegativeInt)
    .option('--window <w>', WINDOW_HELP, windowOption);
}

/** What withLimitOptions declares, as the parsed options hold it. */
export interface LimitCliOptions {
  readonly maxPixels?: number;
  readonly maxVoxels?: number;
}

/** --max-pixels and --max-voxels: the largest image and volume the loaders accept (docs/limits.md). */
export function withLimitOptions(cmd: Command): Command {
  return cmd.addOption(maxPixelsOption()).addOption(maxVoxelsOption());
}
export const maxPixelsOption = (): Option =>
  new Option('--max-pixels <n>', `largest image the loaders accept, in pixels (default ${DEFAULT_MAX_PIXELS}, e.g. 8192×4096); docs/limits.md`).argParser(
    positiveInt,
  );
export const maxVoxelsOption = (): Option =>
  new Option('--max-voxels <n>', `largest volume the loaders accept, in voxels (default ${DEFAULT_MAX_VOXELS}, e.g. 512×512×256); docs/limits.md`).argParser(
    positiveInt,
  );

/** Run `f` with the command's limits in force, and the previous ones back afterwards. */
export async function withLimits<T>(o: LimitCliOptions, f: () => Promise<T>): Promise<T> {
  const before: LoadLimits = setLoadLimits({ maxPixels: o.maxPixels, maxVoxels: o.maxVoxels });
  try {
    return await f();
  } finally {
    setLoadLimits(before);
  }
}
