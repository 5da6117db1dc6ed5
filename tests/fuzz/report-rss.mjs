// Loaded with `node --import` into a child process: prints the process's peak resident memory when it exits, so a
// test can hold a command to a memory cap (`max-rss-kib N` on the last line of stderr).
process.on('exit', () => process.stderr.write(`\nmax-rss-kib ${process.resourceUsage().maxRSS}\n`));
