// Content types by file extension for what the browser tool serves. The browser refuses to compile WebAssembly
// streamed with any type but application/wasm, and to run module scripts without a JavaScript type.
import { extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.nii': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.dcm': 'application/dicom',
};

export const contentTypeFor = (name: string): string => TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
