#!/usr/bin/env node
// Prints the ONNX Runtime version a native library was built as (e.g. 1.29.0), read from the
// NUL-terminated version string ONNX Runtime embeds; prints nothing when none is found.
// Usage: node scripts/ort-lib-version.mjs LIBRARY.so
import { closeSync, openSync, readSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: ort-lib-version.mjs LIBRARY.so');
  process.exit(2);
}
const fd = openSync(path, 'r');
const chunk = Buffer.alloc(1 << 24);
const found = new Set();
let tail = '';
for (;;) {
  const n = readSync(fd, chunk, 0, chunk.length, null);
  if (n === 0) break;
  // Keep a few bytes of the previous chunk so a string split across chunks is still seen.
  const text = tail + chunk.toString('latin1', 0, n);
  for (const m of text.matchAll(/\x00(1\.[1-9][0-9]\.[0-9]{1,2})\x00/g)) found.add(m[1]);
  tail = text.slice(-16);
}
closeSync(fd);
if (found.size > 0) console.log([...found].sort().join(' '));
