// The browser prompting tool's server: the page, its bundled script, onnxruntime-web's wasm build, one model and
// the sample images, nothing else. /tool.json tells the page where the model and the samples are. The
// Content-Security-Policy keeps the page from sending anything anywhere but this server (connect-src 'self').
import { createRequire } from 'node:module';
import { hostname, networkInterfaces } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pageFiles } from './app-bundle.js';
import { SAMPLES_DIR } from '../../util/package-root.js';
import { findSampleSets } from './sample-sets.js';
import { CACHE, startStaticServer, type Mount, type RunningServer } from './static-server.js';

/** The onnxruntime-web files the wasm backend needs (its ES module, the wasm glue, the wasm binary). */
export const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Makes the page cross-origin isolated, which browsers require before they give it SharedArrayBuffer, and so
 * onnxruntime-web's wasm threads. Everything the page loads comes from this server, so nothing is blocked.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export interface ToolServerOptions {
  /** The ONNX model the page loads by default. */
  readonly model: string;
  /** Its encoder/decoder pair (`compile --split`), which the page then loads instead: each slice encoded once. */
  readonly pair?: { readonly encoder: string; readonly decoder: string };
  /** Folder of sample sets (default: the package's samples/). */
  readonly samples?: string;
  readonly host?: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /** More host names to answer to (a reverse proxy's, a DNS name of this machine). */
  readonly allowHosts?: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** An IPv6 address as it appears in a Host header: in brackets. */
const asHostName = (address: string): string => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address).toLowerCase();

/**
 * The names the tool answers to: loopback names, the address it is bound to, and when bound to every interface
 * (0.0.0.0, ::) this machine's interface addresses and host name; plus any the caller adds.
 */
export function toolHostNames(bound: string, extra: readonly string[] = []): string[] {
  const names = new Set([...LOOPBACK_NAMES, asHostName(bound), ...extra.map(asHostName)]);
  if (WILDCARDS.has(bound)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(asHostName(a.address));
  }
  return [...names];
}

export interface ToolServer extends RunningServer {
  readonly bundleBytes: number;
}

export function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports no ./package.json; its wasm entry (require condition) lives in dist/.
  return dirname(require.resolve('onnxruntime-web/wasm'));
}

export async function startToolServer(o: ToolServerOptions): Promise<ToolServer> {
  const { dir: web, script: bundle } = await pageFiles();
  const samples = o.samples ?? SAMPLES_DIR;
  const modelName = basename(o.model);
  const pairMounts: Mount[] = o.pair
    ? [
        { kind: 'file', path: '/model.encoder.onnx', file: o.pair.encoder },
        { kind: 'file', path: '/model.decoder.onnx', file: o.pair.decoder },
      ]
    : [];
  const mounts: Mount[] = [
    { kind: 'file', path: '/', file: join(web, 'index.html') },
    { kind: 'file', path: '/index.html', file: join(web, 'index.html') },
    { kind: 'file', path: '/style.css', file: join(web, 'style.css') },
    { kind: 'bytes', path: '/app.js', type: 'text/javascript; charset=utf-8', body: () => bundle.code },
    { kind: 'dir', prefix: '/ort/', dir: ortDistDir(), only: ORT_FILES, cache: CACHE.day },
    { kind: 'file', path: '/model.onnx', file: o.model },
    ...pairMounts,
    {
      kind: 'bytes',
      path: '/tool.json',
      type: 'application/json; charset=utf-8',
      body: () =>
        JSON.stringify({
          model: { url: '/model.onnx', name: modelName, ...(o.pair ? { pair: { encoder: '/model.encoder.onnx', decoder: '/model.decoder.onnx' } } : {}) },
          samples: findSampleSets(samples, '/samples/'),
        }),
    },
    { kind: 'dir', prefix: '/samples/', dir: samples },
  ];
  const allowedHosts = toolHostNames(o.host ?? '127.0.0.1', o.allowHosts);
  const server = await startStaticServer({
    mounts,
    host: o.host,
    port: o.port,
    log: o.log,
    allowedHosts,
    headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, ...CROSS_ORIGIN_ISOLATION },
  });
  return { ...server, bundleBytes: bundle.bytes };
}
