// issue 16: the tool server answers only to its own names (a DNS-rebinding page is refused), a FIFO in a sample set
// freezes nothing, and `serve` refuses an empty --host and tells loopback addresses from others.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/app/cli/serve.js';
import { hostName } from '../../src/app/serve/static-server.js';
import { startToolServer, toolHostNames, type ToolServer } from '../../src/app/serve/tool-server.js';
import { REPO_ROOT } from '../../src/app/serve/app-bundle.js';
import { runCli } from '../cli/run-cli.js';
import { get, rawRequest } from './raw-http.js';

let tmp: string;
let srv: ToolServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oneprompt-hostile-serve-'));
  const set = join(tmp, 'samples', 'piped');
  mkdirSync(set, { recursive: true });
  for (const f of ['a.png', 'b.png']) writeFileSync(join(set, f), f);
  // A FIFO as the set's templates.json and one named like an image: reading either would block the server forever.
  execFileSync('mkfifo', [join(set, 'templates.json'), join(set, 'c.png')]);
  srv = await startToolServer({ model: join(REPO_ROOT, 'compiled', 'oneprompt-tiny.onnx'), samples: join(tmp, 'samples'), allowHosts: ['op.example.org'] });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const withHost = (host: string, target = '/tool.json') => rawRequest(srv.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

describe('serve against hostile requests and files (issue 16)', () => {
  it('refuses a request naming another host (DNS rebinding) with 403, for every path', async () => {
    for (const target of ['/tool.json', '/model.onnx', '/samples/piped/a.png', '/']) {
      const r = await withHost('evil.example', target);
      expect(r.status, target).toBe(403);
      expect(r.body.toString()).toContain('is not a name of this server');
    }
    expect((await withHost('evil.example:8080')).status).toBe(403);
    expect((await withHost('127.0.0.1.evil.example')).status).toBe(403);
  });

  it('answers to loopback names, its bound address and the names it was told, with or without a port', async () => {
    for (const host of [
      'localhost',
      `localhost:${srv.port}`,
      '127.0.0.1',
      `127.0.0.1:${srv.port}`,
      '[::1]',
      `[::1]:${srv.port}`,
      'LOCALHOST',
      'op.example.org:443',
    ]) {
      expect((await withHost(host)).status, host).toBe(200);
    }
  });

  it('offers a sample set whose templates.json is a FIFO without blocking, and leaves the FIFO image out', async () => {
    const r = await get(srv.port, '/tool.json');
    expect(r.status).toBe(200);
    const tool = JSON.parse(r.body.toString()) as { samples: { name: string; template: string; queries: string[]; prompt?: unknown }[] };
    const piped = tool.samples.find((s) => s.name === 'piped')!;
    expect(piped.prompt).toBeUndefined();
    expect([piped.template, ...piped.queries].some((u) => u.endsWith('c.png'))).toBe(false);
    expect((await get(srv.port, '/samples/piped/c.png')).status).toBe(404);
    // Still answering afterwards.
    expect((await get(srv.port, '/tool.json')).status).toBe(200);
  });

  it('parses Host headers and tells loopback addresses from the others', () => {
    expect(hostName('LocalHost:8080')).toBe('localhost');
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('example.org.')).toBe('example.org');
    expect(toolHostNames('127.0.0.2')).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '[::1]', '127.0.0.2']));
    expect(toolHostNames('0.0.0.0').length).toBeGreaterThan(3);
    for (const h of ['127.0.0.1', '127.0.0.2', '127.8.9.10', 'localhost', '::1', '[::1]', 'app.localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.org', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('refuses an empty --host instead of binding every interface', async () => {
    const r = await runCli('serve', '--host', '', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--host is empty');
  });

  it('stops on SIGTERM while a FIFO sits in its sample set', async () => {
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'oneprompt.mjs'),
        'serve',
        '--port',
        '0',
        '--samples',
        join(tmp, 'samples'),
        '--model',
        join(REPO_ROOT, 'compiled', 'oneprompt-tiny.onnx'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /at (http:\/\/[^\s]+)\//.exec(out);
        if (m) ok(m[1]);
      });
      child.on('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    });
    const port = Number(new URL(url).port);
    expect((await get(port, '/tool.json')).status).toBe(200);
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
