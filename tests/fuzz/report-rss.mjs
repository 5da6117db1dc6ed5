// Loaded with `node --import` into a child process: prints the process's peak resident memory when it exits, so a
// test can hold a command to a memory cap (`max-rss-kib N` on the last line of stderr). On Linux it is VmHWM from
// /proc/self/status: getrusage's ru_maxrss survives fork+exec, so a child would report its parent's peak when that
// was larger. Elsewhere, ru_maxrss.
import { readFileSync } from 'node:fs';

const peakKib = () => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    /* no /proc */
  }
  return process.resourceUsage().maxRSS;
};
process.on('exit', () => process.stderr.write(`\nmax-rss-kib ${peakKib()}\n`));
