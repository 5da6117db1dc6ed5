// Running the CLI in-process for tests: main(args) with a recording io, plus small file helpers.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { main } from '../../src/app/cli/main.js';
import { recordingIO } from '../../src/app/cli/io.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(...args: string[]): Promise<CliRun> {
  const io = recordingIO();
  const code = await main(args, io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `oneprompt-cli-${label}-`));

export interface PngInfo {
  readonly width: number;
  readonly height: number;
  /** pngjs's RGBA expansion of the file. */
  readonly rgba: Uint8Array;
  readonly colorType: number;
}

export function readPng(path: string): PngInfo {
  const bytes = readFileSync(path);
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data), colorType: bytes[25] };
}

/** Every file under a folder, as paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(dir.length + 1))
    .sort();
}

export const TINY_MODEL = 'compiled/oneprompt-tiny.onnx';
export const MRI = {
  dir: 'samples/mri',
  template: 'samples/mri/images/axial-066.png',
  prompt: 'samples/mri/prompt.json',
  queries: ['036', '046', '056', '076', '086'].map((n) => `samples/mri/images/axial-${n}.png`),
  mask: (n: string) => `samples/mri/masks/axial-${n}.png`,
  width: 128,
  height: 93,
};
