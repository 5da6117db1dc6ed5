// A progress bar for training on stderr: step, loss, Dice, samples/s, ETA. On a terminal it redraws
// one line; otherwise (logs, CI) it prints a line at every 5% of the run.
import type { StepReport } from './loop.js';

export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class ProgressBar {
  private readonly t0: number;
  private samples = 0;
  private lastPrinted = -1;

  /** `startStep`: where a resumed run starts (speed and ETA count only this run's steps). */
  constructor(
    private readonly out: ProgressStream,
    private readonly totalSteps: number,
    private readonly startStep = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
  }

  /** The line for a step report (exposed for tests). */
  line(r: StepReport): string {
    const elapsed = (this.now() - this.t0) / 1000;
    const done = r.step - this.startStep;
    const rate = elapsed > 0 ? this.samples / elapsed : 0;
    const eta = done > 0 ? (elapsed / done) * (this.totalSteps - r.step) : NaN;
    const width = 20;
    const filled = Math.round((r.step / this.totalSteps) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const digits = String(this.totalSteps).length;
    return `[${bar}] ${String(r.step).padStart(digits)}/${this.totalSteps}  loss ${r.loss.toFixed(4)}  dice ${r.dice.toFixed(3)}  ${rate.toFixed(1)} samples/s  ETA ${formatDuration(eta)}`;
  }

  update(r: StepReport): void {
    this.samples += r.batchSize;
    const text = this.line(r);
    if (this.out.isTTY) {
      const cols = this.out.columns ?? 120;
      this.out.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(cols - 1, text.length))}\x1b[K`);
      if (r.step === this.totalSteps) this.out.write('\n');
      return;
    }
    const every = Math.max(1, Math.round(this.totalSteps / 20));
    if (r.step === this.totalSteps || r.step === this.startStep + 1 || Math.floor(r.step / every) !== Math.floor(this.lastPrinted / every)) {
      this.out.write(text + '\n');
      this.lastPrinted = r.step;
    }
  }
}
