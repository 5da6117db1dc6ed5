// A static file server on node:http for the browser tool. It only serves files: GET and HEAD, no request bodies
// (bounded, then refused), no directory listings, nothing outside its mounts (safe-path.ts refuses traversal before
// any file system call; symlinks that leave a mount are refused after realpath). Binds to loopback unless told, and
// answers only requests whose Host header names it (allowedHosts): a page on evil.example that rebinds its DNS name
// to 127.0.0.1 sends "Host: evil.example" and is refused, so it cannot read what the server serves.
import { createReadStream, realpathSync, statSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { contentTypeFor } from './content-types.js';
import { DEFAULT_MAX_URL_BYTES, requestSegments } from './safe-path.js';

export const LOOPBACK = '127.0.0.1';

/** Cache-Control values: files that change while serving (page, model, samples) are revalidated by ETag. */
export const CACHE = { revalidate: 'no-cache', day: 'public, max-age=86400' } as const;

interface MountBase {
  /** Cache-Control for this mount (default CACHE.revalidate). */
  readonly cache?: string;
}
/** Files under `dir` at URL `prefix` (which ends in '/'), optionally only the named relative paths. */
export interface DirMount extends MountBase {
  readonly kind: 'dir';
  readonly prefix: string;
  readonly dir: string;
  readonly only?: readonly string[];
}
/** One file at one URL path. */
export interface FileMount extends MountBase {
  readonly kind: 'file';
  readonly path: string;
  readonly file: string;
}
/** Bytes made by the server (bundled script, generated JSON), at one URL path; `body` runs per request. */
export interface BytesMount extends MountBase {
  readonly kind: 'bytes';
  readonly path: string;
  readonly type: string;
  readonly body: () => Uint8Array | string | Promise<Uint8Array | string>;
}
export type Mount = DirMount | FileMount | BytesMount;

export interface Limits {
  /** Longest request target (414 above). */
  readonly maxUrlBytes: number;
  /** Largest request body (413 above); smaller ones are read and ignored. */
  readonly maxBodyBytes: number;
  /** Largest request head (Node answers 431 above). */
  readonly maxHeaderBytes: number;
}
export const DEFAULT_LIMITS: Limits = { maxUrlBytes: DEFAULT_MAX_URL_BYTES, maxBodyBytes: 1024, maxHeaderBytes: 16 * 1024 };

export interface StaticServerOptions {
  readonly mounts: readonly Mount[];
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  readonly limits?: Partial<Limits>;
  /** Extra headers on every response (e.g. Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
  /** One line per refused request (default: silent). */
  readonly log?: (line: string) => void;
  /**
   * Host names (without port) the server answers to, e.g. ['localhost', '127.0.0.1', '[::1]']; requests naming any
   * other host get 403. Default: any host (no check).
   */
  readonly allowedHosts?: readonly string[];
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port (IPv6 hosts in brackets). */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

type Resolved =
  | { readonly kind: 'file'; readonly file: string; readonly stats: Stats; readonly cache: string }
  | { readonly kind: 'bytes'; readonly mount: BytesMount };

const stripSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

/** The file or generated body that segments name, or undefined (404). */
function resolveMount(mounts: readonly Mount[], segments: readonly string[]): Resolved | undefined {
  const path = segments.join('/');
  for (const m of mounts) {
    if (m.kind === 'bytes' && stripSlashes(m.path) === path) return { kind: 'bytes', mount: m };
    if (m.kind === 'file' && stripSlashes(m.path) === path) {
      const stats = statFile(m.file);
      return stats ? { kind: 'file', file: m.file, stats, cache: m.cache ?? CACHE.revalidate } : undefined;
    }
    if (m.kind === 'dir') {
      const prefix = stripSlashes(m.prefix);
      if (prefix !== '' && !path.startsWith(prefix + '/')) continue;
      const rest = prefix === '' ? path : path.slice(prefix.length + 1);
      if (rest === '' || rest.endsWith('/')) continue; // a folder: never listed
      if (m.only && !m.only.includes(rest)) continue;
      const file = insideRoot(m.dir, rest);
      const stats = file ? statFile(file) : undefined;
      if (file && stats) return { kind: 'file', file, stats, cache: m.cache ?? CACHE.revalidate };
    }
  }
  return undefined;
}

/** root/rest, or undefined when it (or a symlink on the way) leads outside root. */
function insideRoot(root: string, rest: string): string | undefined {
  const base = resolve(root);
  const candidate = resolve(join(base, rest));
  if (!candidate.startsWith(base + sep)) return undefined;
  try {
    const realBase = realpathSync(base);
    const real = realpathSync(candidate);
    return real.startsWith(realBase + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

const statFile = (file: string): Stats | undefined => {
  try {
    const s = statSync(file);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
};

const etagOf = (s: Stats): string => `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;

export function startStaticServer(opts: StaticServerOptions): Promise<RunningServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const host = opts.host ?? LOOPBACK;
  const common: Record<string, string> = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', ...opts.headers };

  const send = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void => {
    const body = Buffer.from(`${status} ${text}\n`);
    res.writeHead(status, {
      ...common,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string, extra: Record<string, string> = {}): void => {
    opts.log?.(`${status} ${req.method} ${(req.url ?? '').slice(0, 200)}: ${reason}`);
    send(res, status, reason, extra);
  };

  const allowed = opts.allowedHosts && new Set(opts.allowedHosts.map((h) => h.toLowerCase()));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '';
    if (allowed && req.headers.host !== undefined && !allowed.has(hostName(req.headers.host))) {
      return refuse(
        req,
        res,
        403,
        `Host ${JSON.stringify(req.headers.host.slice(0, 100))} is not a name of this server (it answers to ${[...allowed].join(', ')})`,
        { Connection: 'close' },
      );
    }
    if (Buffer.byteLength(url) > limits.maxUrlBytes)
      return refuse(req, res, 414, `request target longer than ${limits.maxUrlBytes} bytes`, { Connection: 'close' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!Number.isFinite(declared) || declared > limits.maxBodyBytes) {
      return refuse(req, res, 413, `request body larger than ${limits.maxBodyBytes} bytes`, { Connection: 'close' });
    }
    // A chunked body has no declared length: count it as it arrives.
    const bodyOk = await drainBody(req, limits.maxBodyBytes);
    if (!bodyOk) return refuse(req, res, 413, `request body larger than ${limits.maxBodyBytes} bytes`, { Connection: 'close' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, 405, 'only GET and HEAD', { Allow: 'GET, HEAD' });
    const segs = requestSegments(url, limits.maxUrlBytes);
    if (E.isLeft(segs)) return refuse(req, res, segs.left.status, segs.left.reason);
    const found = resolveMount(opts.mounts, segs.right);
    if (!found) return send(res, 404, 'not found');
    if (found.kind === 'bytes') {
      const body = await found.mount.body();
      const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      res.writeHead(200, {
        ...common,
        'Content-Type': found.mount.type,
        'Content-Length': String(buf.length),
        'Cache-Control': found.mount.cache ?? CACHE.revalidate,
      });
      res.end(req.method === 'HEAD' ? undefined : buf);
      return;
    }
    const etag = etagOf(found.stats);
    const headers = {
      ...common,
      'Content-Type': contentTypeFor(found.file),
      'Cache-Control': found.cache,
      ETag: etag,
      'Last-Modified': found.stats.mtime.toUTCString(),
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(found.stats.size) });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.(`500 ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });

  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      ok({
        host: addr.address,
        port: addr.port,
        url: `http://${shown}:${addr.port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The host name of a Host header, lower case, without the port: "LocalHost:8080" → "localhost", "[::1]:80" → "[::1]". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1 || h.length);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** Read and drop a request body; false as soon as it passes `max` bytes. */
function drainBody(req: IncomingMessage, max: number): Promise<boolean> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return Promise.resolve(true);
  return new Promise((ok) => {
    let seen = 0;
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > max) {
        req.off('data', onData);
        req.pause();
        ok(false);
      }
    };
    req.on('data', onData);
    req.on('end', () => ok(seen <= max));
    req.on('error', () => ok(false));
  });
}
