// Progress of long CLI work on stderr: "segment: 12/40 runs (30%)  0:03 left". On a terminal it redraws one
// line; otherwise (logs, CI, tests) it prints at about every 10% and at the end.
import { formatDuration } from '../../train/progress.js';
import type { CliIO } from './io.js';

export interface Progress {
  /** `done` of `total` finished; `note` is shown after the count (e.g. the task name). */
  update(done: number, note?: string): void;
}

export function progress(io: CliIO, label: string, total: number, unit: string, now: () => number = () => performance.now()): Progress {
  const t0 = now();
  let lastDecile = -1;
  let finished = false;
  return {
    update(done, note) {
      const frac = total > 0 ? done / total : 1;
      const elapsed = (now() - t0) / 1000;
      const left = done > 0 && done < total ? `  ${formatDuration((elapsed / done) * (total - done))} left` : '';
      const text = `${label}: ${done}/${total} ${unit} (${Math.round(100 * frac)}%)${note ? `  ${note}` : ''}${left}`;
      if (io.errIsTTY) {
        io.err(`\r${text}\x1b[K${done >= total ? '\n' : ''}`);
        return;
      }
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile && !finished) {
        io.err(text + '\n');
        lastDecile = decile;
        finished = done >= total;
      }
    },
  };
}
