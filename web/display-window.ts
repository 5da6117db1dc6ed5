// Window/level for display: which intensity maps to black and which to white. Presets: the whole range of the
// image or volume (min–max), MRI (its 1st–99th percentiles: a few hot voxels do not wash the scan out), and the CT
// windows of the command line's --window (center/width in HU). Display only: the model sees what the CLI feeds it
// (per-slice min–max), so the page's masks stay equal to `oneprompt segment`'s. Pure.
import { ctWindows } from '../src/app/data/intensity.js';

export interface IntensityStats {
  readonly min: number;
  readonly max: number;
  readonly p1: number;
  readonly p99: number;
}

export interface WindowPreset {
  readonly id: string;
  readonly label: string;
}

export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: 'auto', label: 'Auto (min–max)' },
  { id: 'mri', label: 'MRI (1–99 %)' },
  ...Object.entries(ctWindows).map(([id, w]) => ({ id, label: `CT ${id} (${w.center}/${w.width})` })),
];

/** Min, max and (from at most `maxSamples` evenly spaced values) the 1st and 99th percentiles. */
export function intensityStats(arrays: readonly ArrayLike<number>[], maxSamples = 1 << 18): IntensityStats {
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const stride = Math.max(1, Math.floor(total / maxSamples));
  let min = Infinity;
  let max = -Infinity;
  const samples: number[] = [];
  let n = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, n++) {
      const v = a[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      if (n % stride === 0) samples.push(v);
    }
  }
  if (!samples.length) return { min: 0, max: 0, p1: 0, p99: 0 };
  samples.sort((a, b) => a - b);
  const at = (p: number): number => samples[Math.min(samples.length - 1, Math.round(p * (samples.length - 1)))];
  return { min, max, p1: at(0.01), p99: at(0.99) };
}

/** The [black, white] intensities of a preset. */
export function displayRange(preset: string, stats: IntensityStats): [number, number] {
  const ct = ctWindows[preset];
  if (ct) return [ct.center - ct.width / 2, ct.center + ct.width / 2];
  if (preset === 'mri' && stats.p99 > stats.p1) return [stats.p1, stats.p99];
  return [stats.min, stats.max];
}
