import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOnePrompt } from '../../graphs/oneprompt/compile.js';
import { bundleApp, REPO_ROOT } from '../../src/app/serve/app-bundle.js';
import { findSampleSets } from '../../src/app/serve/sample-sets.js';
import { ORT_FILES, ortDistDir, startToolServer, type ToolServer } from '../../src/app/serve/tool-server.js';
import { get } from './raw-http.js';

let tmp: string;
let model: string;
let samples: string;
let srv: ToolServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oneprompt-tool-'));
  model = join(tmp, 'tiny.onnx');
  compileOnePrompt({ config: 'tiny', out: model });
  samples = join(tmp, 'samples');
  // A plain folder: template.png is the template whatever its place in the listing.
  mkdirSync(join(samples, 'mri'), { recursive: true });
  for (const f of ['a.png', 'b.png', 'template.png', 'notes.txt']) writeFileSync(join(samples, 'mri', f), f);
  // The dataset layout with a SegLab template prompt.
  mkdirSync(join(samples, 'ct', 'images'), { recursive: true });
  mkdirSync(join(samples, 'ct', 'masks'), { recursive: true });
  for (const f of ['0001.png', '0002.png', '0003.png']) writeFileSync(join(samples, 'ct', 'images', f), f);
  writeFileSync(join(samples, 'ct', 'templates.json'), JSON.stringify([{ image: '0002.png', prompt: { type: 'seglab', mask: 'masks/0002.png' } }]));
  // A folder with one image cannot make a template and a query.
  mkdirSync(join(samples, 'single'));
  writeFileSync(join(samples, 'single', 'x.png'), 'x');
  srv = await startToolServer({ model, samples });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the tool server', () => {
  it('serves the page with a policy that keeps its data in the browser', async () => {
    const r = await get(srv.port, '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toContain('<script type="module" src="/app.js">');
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
    // Cross-origin isolation, which onnxruntime-web's wasm threads need (SharedArrayBuffer).
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('serves the bundled script, which loads onnxruntime-web from /ort/', async () => {
    const r = await get(srv.port, '/app.js');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.body.length).toBe(srv.bundleBytes);
    expect(r.body.toString()).toMatch(/from\s*"\/ort\/ort\.wasm\.min\.mjs"/);
  });

  it("serves onnxruntime-web's wasm build from the package, and nothing else of it", async () => {
    for (const f of ORT_FILES) {
      const r = await get(srv.port, `/ort/${f}`);
      expect(r.status, f).toBe(200);
      expect(r.body.length, f).toBe(statSync(join(ortDistDir(), f)).size);
    }
    const wasm = await get(srv.port, '/ort/ort-wasm-simd-threaded.wasm');
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect([...wasm.body.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]); // "\0asm"
    expect((await get(srv.port, '/ort/ort-wasm-simd-threaded.mjs')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(srv.port, '/ort/ort.node.min.mjs')).status).toBe(404);
  });

  it('serves the model and says where it and the samples are', async () => {
    const m = await get(srv.port, '/model.onnx');
    expect(m.body.equals(readFileSync(model))).toBe(true);
    const info = JSON.parse((await get(srv.port, '/tool.json')).body.toString());
    expect(info.model).toEqual({ url: '/model.onnx', name: 'tiny.onnx' });
    expect(info.samples).toEqual([
      {
        name: 'ct',
        template: '/samples/ct/images/0002.png',
        queries: ['/samples/ct/images/0001.png', '/samples/ct/images/0003.png'],
        prompt: { type: 'seglab', mask: '../masks/0002.png' },
      },
      { name: 'mri', template: '/samples/mri/template.png', queries: ['/samples/mri/a.png', '/samples/mri/b.png'] },
    ]);
    expect((await get(srv.port, '/samples/mri/a.png')).body.toString()).toBe('a.png');
    expect((await get(srv.port, '/samples/mri/')).status).toBe(404);
    expect((await get(srv.port, '/samples/../tiny.onnx')).status).toBe(403);
    // No pair given: none served, none announced.
    expect((await get(srv.port, '/model.encoder.onnx')).status).toBe(404);
  });

  it('serves the encoder/decoder pair beside the model and announces it', async () => {
    const pairDir = join(tmp, 'pair');
    const r = compileOnePrompt({ config: 'tiny', out: join(pairDir, 'm.onnx'), split: true });
    const s = await startToolServer({ model: r.path, pair: { encoder: r.pair!.encoder.path, decoder: r.pair!.decoder.path }, samples });
    try {
      const info = JSON.parse((await get(s.port, '/tool.json')).body.toString());
      expect(info.model).toEqual({ url: '/model.onnx', name: 'm.onnx', pair: { encoder: '/model.encoder.onnx', decoder: '/model.decoder.onnx' } });
      expect((await get(s.port, '/model.encoder.onnx')).body.equals(readFileSync(r.pair!.encoder.path))).toBe(true);
      expect((await get(s.port, '/model.decoder.onnx')).body.equals(readFileSync(r.pair!.decoder.path))).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('sample sets', () => {
  it('takes prompt.json as the prompt of the middle image, as scripts/make-sample-mri.ts writes it', () => {
    const dir = join(tmp, 'prompted');
    mkdirSync(join(dir, 'mri', 'images'), { recursive: true });
    for (const f of ['s1.png', 's2.png', 's3.png', 's4.png']) writeFileSync(join(dir, 'mri', 'images', f), '');
    writeFileSync(join(dir, 'mri', 'prompt.json'), '{"type":"bbox","box":[1,2,3,4]}');
    expect(findSampleSets(dir, '/samples/')).toEqual([
      {
        name: 'mri',
        template: '/samples/mri/images/s3.png',
        queries: ['/samples/mri/images/s1.png', '/samples/mri/images/s2.png', '/samples/mri/images/s4.png'],
        prompt: { type: 'bbox', box: [1, 2, 3, 4] },
      },
    ]);
    writeFileSync(join(dir, 'mri', 'prompt.json'), '{"type":"bbox","box":[1,2,3]}'); // malformed: no prompt, same template rule
    expect(findSampleSets(dir, '/samples/')[0].prompt).toBeUndefined();
  });

  it("offers the repository's MRI sample with its box prompt on the middle slice", () => {
    const repoSamples = join(REPO_ROOT, 'samples');
    if (!existsSync(join(repoSamples, 'mri'))) return;
    const mri = findSampleSets(repoSamples, '/samples/').find((s) => s.name === 'mri');
    expect(mri?.template).toBe('/samples/mri/images/axial-066.png');
    expect(mri?.queries.length).toBeGreaterThanOrEqual(1);
    expect((mri?.prompt as { type: string } | undefined)?.type).toBe('bbox');
  });

  it('caps the queries and encodes names for URLs', () => {
    const dir = join(tmp, 'many');
    mkdirSync(join(dir, 'set one'), { recursive: true });
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, 'set one', `s ${String(i).padStart(2, '0')}.png`), '');
    const [set] = findSampleSets(dir, '/samples/');
    expect(set.template).toBe('/samples/set%20one/s%2000.png');
    expect(set.queries).toHaveLength(8);
    expect(findSampleSets(join(tmp, 'does-not-exist'))).toEqual([]);
  });
});

describe('bundling the page script', () => {
  it('fails with the cause and place when a browser module imports node code', async () => {
    const entry = join(tmp, 'bad-entry.ts');
    writeFileSync(entry, "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n");
    await expect(bundleApp(entry)).rejects.toThrow(/bundling the page script failed: .*node:fs.*bad-entry\.ts:1/);
  });
});
