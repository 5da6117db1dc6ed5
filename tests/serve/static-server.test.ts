import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSegments } from '../../src/app/serve/safe-path.js';
import { startStaticServer, type RunningServer } from '../../src/app/serve/static-server.js';
import { get, rawRequest } from './raw-http.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
let tmp: string;
let root: string;
let srv: RunningServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oneprompt-static-'));
  root = join(tmp, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(tmp, 'secret.txt'), SECRET);
  writeFileSync(join(root, 'secret.txt.png'), 'a png that is not the secret');
  for (const f of ['page.html', 'app.js', 'ort.mjs', 'style.css', 'ort.wasm', 'model.onnx', 'tool.json', 'slice.png', 'slice.jpg']) {
    writeFileSync(join(root, f), `contents of ${f}`);
  }
  writeFileSync(join(root, 'sub', 'deep.png'), 'deep');
  writeFileSync(join(root, '.env'), SECRET);
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'link.txt'));
  srv = await startStaticServer({
    mounts: [
      { kind: 'file', path: '/', file: join(root, 'page.html') },
      { kind: 'bytes', path: '/generated.json', type: 'application/json; charset=utf-8', body: () => '{"ok":true}' },
      { kind: 'dir', prefix: '/files/', dir: root, cache: 'public, max-age=86400' },
      { kind: 'dir', prefix: '/some/', dir: root, only: ['app.js'] },
    ],
  });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('static server: directory traversal', () => {
  const attempts = [
    '/files/../secret.txt',
    '/files/sub/../../secret.txt',
    '/../secret.txt',
    '/files/%2e%2e/secret.txt',
    '/files/%2E%2E/secret.txt',
    '/files/.%2e/secret.txt',
    '/files/..%2fsecret.txt',
    '/files/sub/..%2F..%2Fsecret.txt',
    '/files/%2e%2e%2fsecret.txt',
    '/files/%252e%252e/secret.txt',
    '/files/%252e%252e%252fsecret.txt',
    '/files/..%252fsecret.txt',
    '/files/..\\secret.txt',
    '/files/..%5csecret.txt',
    '/files/%c0%ae%c0%ae/secret.txt',
    '/files/secret.txt%00.png',
    '/files/link.txt',
    '/files/.env',
    '/files//etc/passwd',
    '/files/',
    '/files/sub/',
    '/some/page.html',
  ];
  for (const target of attempts) {
    it(`refuses ${target}`, async () => {
      const r = await get(srv.port, target);
      expect([400, 403, 404]).toContain(r.status);
      expect(r.body.toString()).not.toContain(SECRET);
    });
  }

  it('says why: traversal is 403, encoded separators and double encoding are 400', async () => {
    expect((await get(srv.port, '/files/../secret.txt')).status).toBe(403);
    expect((await get(srv.port, '/files/%2e%2e/secret.txt')).status).toBe(403);
    expect((await get(srv.port, '/files/..%2fsecret.txt')).status).toBe(400);
    expect((await get(srv.port, '/files/%252e%252e/secret.txt')).status).toBe(400);
  });

  it('rejects traversal in the pure path check too', () => {
    for (const t of ['/a/../b', '/%2e%2e/x', '/..%2fx', '/%252e%252e/x', '/a\\..\\b', '/a%00b', '/.git/config', '/a//b', 'relative']) {
      expect(E.isLeft(requestSegments(t)), t).toBe(true);
    }
    expect(requestSegments('/files/sub/deep.png?v=1#x')).toEqual(E.right(['files', 'sub', 'deep.png']));
    expect(requestSegments('/a%20b.png')).toEqual(E.right(['a b.png']));
    expect(requestSegments('/')).toEqual(E.right(['']));
  });

  it('still serves the files inside the root, also with a query string', async () => {
    const r = await get(srv.port, '/files/sub/deep.png?v=2');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('deep');
    expect((await get(srv.port, '/files/secret.txt.png')).body.toString()).toBe('a png that is not the secret');
    expect((await get(srv.port, '/some/app.js')).status).toBe(200);
  });
});

describe('static server: bounded requests', () => {
  it('refuses an over-long URL with 414', async () => {
    const r = await get(srv.port, `/files/${'a'.repeat(5000)}.png`);
    expect(r.status).toBe(414);
  });

  it('refuses a declared oversized body with 413', async () => {
    const r = await rawRequest(srv.port, 'POST /files/app.js HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n', 'x'.repeat(4096));
    expect(r.status).toBe(413);
  });

  it('refuses an oversized chunked body with 413', async () => {
    const chunk = 'x'.repeat(4000);
    const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    const r = await rawRequest(srv.port, 'GET /files/app.js HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n', body);
    expect(r.status).toBe(413);
  });

  it('refuses an oversized request head (431) and methods other than GET/HEAD (405)', async () => {
    const big = await get(srv.port, '/files/app.js', 'GET', `X-Big: ${'b'.repeat(40000)}\r\n`);
    expect(big.status).toBe(431);
    const post = await rawRequest(srv.port, 'POST /files/app.js HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n', 'hi');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('static server: responses', () => {
  const expected: Record<string, string> = {
    'page.html': 'text/html; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
    'ort.mjs': 'text/javascript; charset=utf-8',
    'style.css': 'text/css; charset=utf-8',
    'ort.wasm': 'application/wasm',
    'model.onnx': 'application/octet-stream',
    'tool.json': 'application/json; charset=utf-8',
    'slice.png': 'image/png',
    'slice.jpg': 'image/jpeg',
  };
  for (const [file, type] of Object.entries(expected)) {
    it(`serves .${file.split('.').pop()} as ${type}`, async () => {
      const r = await get(srv.port, `/files/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(type);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.body.toString()).toBe(`contents of ${file}`);
    });
  }

  it('serves a file mount at /, generated bytes, cache headers and 304 on a matching ETag', async () => {
    const page = await get(srv.port, '/');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    const gen = await get(srv.port, '/generated.json');
    expect(JSON.parse(gen.body.toString())).toEqual({ ok: true });
    const wasm = await get(srv.port, '/files/ort.wasm');
    expect(wasm.headers['cache-control']).toBe('public, max-age=86400');
    const again = await get(srv.port, '/files/ort.wasm', 'GET', `If-None-Match: ${wasm.headers.etag}\r\n`);
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('answers HEAD with headers only', async () => {
    const r = await get(srv.port, '/files/model.onnx', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String('contents of model.onnx'.length));
    expect(r.body.length).toBe(0);
  });
});

describe('static server: bind address', () => {
  it('binds to loopback by default', () => {
    expect(srv.host).toBe('127.0.0.1');
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is not reachable on a non-loopback address unless told', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return; // no other interface on this machine: nothing more to show
    const reach = (port: number): Promise<boolean> =>
      new Promise((ok) => {
        const s = connect({ port, host: external.address });
        s.on('connect', () => (s.destroy(), ok(true)));
        s.on('error', () => ok(false));
      });
    expect(await reach(srv.port)).toBe(false);
    const open = await startStaticServer({ host: '0.0.0.0', mounts: [] });
    try {
      expect(open.host).toBe('0.0.0.0');
      expect(await reach(open.port)).toBe(true);
    } finally {
      await open.close();
    }
  });
});
