// issue 16 items 7, 14, 18: one training run per run folder (a second is refused; a killed one's lock is taken
// over), a log line torn by a kill does not block --resume, and a run that fails on its first batch leaves nothing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTrainingJob } from '../../src/train/run.js';
import { registerTask, taskNames } from '../../src/train/task.js';
import { blobsTask } from '../../src/train/tasks/blobs.js';
import { acquireRunLock, LOCK_FILE, RunLockError } from '../../src/util/run-lock.js';
import { slowBlobsTask } from './fixtures/slow-blobs.js';
import '../../src/app/train/tasks.js'; // the One-Prompt configurations' training tasks

const quiet = { write: () => true, isTTY: false };
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

beforeAll(() => {
  if (!taskNames().includes('blobs-slow')) registerTask(slowBlobsTask(0));
  if (!taskNames().includes('blobs-broken'))
    registerTask({
      ...blobsTask,
      name: 'blobs-broken',
      data: (dir, batch) => ({
        ...(blobsTask.data(dir, batch) as ReturnType<typeof blobsTask.data> & object),
        nextBatch: () => {
          throw new Error('batch 0: image 3 is unreadable');
        },
      }),
    } as typeof blobsTask);
});

describe('a training run folder (issue 16)', () => {
  it('refuses a second run on the same --out while the first runs, and takes over the lock of a killed one', async () => {
    const out = tmp('locked-');
    const common = [
      'train',
      '--config',
      'blobs-slow',
      '--data',
      'synthetic:400',
      '--epochs',
      '1',
      '--batch',
      '4',
      '--backend',
      'wasm',
      '--checkpoint-every',
      '5',
    ];
    const fixture = fileURLToPath(new URL('./fixtures/train-cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...common, '--out', out], {
      env: { ...process.env, STEP_DELAY_MS: '50', LATE_FROM_STEP: '5', LATE_STEP_DELAY_MS: '2000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
    try {
      while (!existsSync(join(out, LOCK_FILE)) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      const owner = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')) as { pid: number };
      expect(owner.pid).toBe(child.pid);
      await expect(runTrainingJob({ config: 'blobs', data: 'synthetic:16', batch: 4, backend: 'wasm', out, resume: true, stderr: quiet })).rejects.toThrow(
        new RegExp(`is in use by another \`oneprompt train\` \\(pid ${child.pid}, started .*\\); wait for it to finish or choose another --out`),
      );
      while (!existsSync(join(out, 'last.safetensors')) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // The killed run's lock is stale: --resume takes it over and says so.
    const said: string[] = [];
    const r = await runTrainingJob({
      config: 'blobs-slow',
      data: 'synthetic:400',
      epochs: 1,
      batch: 4,
      backend: 'wasm',
      checkpointEvery: 5,
      resume: true,
      out,
      stderr: { write: (s: string) => (said.push(s), true), isTTY: false },
    });
    expect(r.startStep).toBeGreaterThan(0);
    expect(said.join('')).toContain(`took over the lock of pid ${child.pid}, which is no longer running`);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it('refuses a second lock in the same process, and releases on demand', () => {
    const dir = tmp('lock-');
    const lock = acquireRunLock(dir, 'train');
    expect(() => acquireRunLock(dir, 'train')).toThrow(RunLockError);
    lock.release();
    acquireRunLock(dir, 'train').release();
    // A lock file left by a process that is gone (here: an unused pid) is stale.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'then', command: 'train' }));
    const taken = acquireRunLock(dir, 'train');
    expect(taken.tookOverFrom).toBe(2 ** 22 + 12345);
    taken.release();
    // So is a takeover left half-done by a process that died (its guard file names a pid that is not running).
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12346, host: hostname(), started: 'then', command: 'train' }));
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), JSON.stringify({ pid: 2 ** 22 + 12347, host: hostname(), started: 'then', command: 'train' }));
    const again = acquireRunLock(dir, 'train');
    expect(again.tookOverFrom).toBe(2 ** 22 + 12346);
    again.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  // Six processes take the run lock of one folder at the same moment: once with no lock there, once with a stale
  // lock (a pid that is not running) that all of them find. Exactly one wins; the others are refused, naming it.
  it.each([
    ['no lock there', undefined],
    ['a stale lock there', 2 ** 22 + 4321],
  ])(
    'six processes racing for one run folder (%s): exactly one wins, and no one takes over a live lock',
    async (_, stalePid) => {
      const dir = tmp('race-');
      if (stalePid !== undefined) writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: stalePid, host: hostname(), started: 'then', command: 'train' }));
      const fixture = fileURLToPath(new URL('./fixtures/race-lock.ts', import.meta.url));
      const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const lines = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
      const nextLine = async (l: AsyncIterator<string>) => (await l.next()).value as string;
      const exited = children.map((c) => new Promise<void>((ok) => c.on('exit', () => ok())));
      try {
        await Promise.all(lines.map(nextLine)); // all loaded: "ready"
        for (const c of children) c.stdin.write('go\n');
        const results = (await Promise.all(lines.map(nextLine))).map(
          (line) => JSON.parse(line) as { won: boolean; tookOverFrom?: number | null; message?: string },
        );
        expect(results.filter((r) => r.won)).toEqual([{ won: true, tookOverFrom: stalePid ?? null }]);
        for (const r of results.filter((r) => !r.won)) expect(r.message).toMatch(/is in use by another `oneprompt train` \(pid \d+/);
      } finally {
        for (const c of children) c.stdin.end();
        await Promise.all(exited);
      }
      expect(readdirSync(dir)).toEqual([]); // the winner released; no staged or takeover files left
    },
    120_000,
  );

  it('resumes past a log line torn by a kill, and names a corrupt line elsewhere', async () => {
    const out = tmp('torn-');
    const opts = { config: 'blobs', data: 'synthetic:16', batch: 4, backend: 'wasm' as const, out, stderr: quiet };
    await runTrainingJob(opts);
    const log = join(out, 'loss.jsonl');
    const lines = readFileSync(log, 'utf8');
    appendFileSync(log, '{"step": 5, "loss": 0.3');
    await runTrainingJob({ ...opts, resume: true });
    expect(readFileSync(log, 'utf8')).toBe(lines);
    writeFileSync(log, lines.replace('\n', '\nnot json\n'));
    await expect(runTrainingJob({ ...opts, resume: true })).rejects.toThrow(`${log}: line 2 is not JSON`);
  });

  it('a run whose first batch fails leaves no run.json, no empty log, and no folder it made', async () => {
    const fresh = join(tmp('broken-'), 'run');
    await expect(runTrainingJob({ config: 'blobs-broken', data: 'synthetic:16', batch: 4, backend: 'wasm', out: fresh, stderr: quiet })).rejects.toThrow(
      'image 3 is unreadable',
    );
    expect(existsSync(fresh)).toBe(false);
    const existing = tmp('broken-existing-');
    writeFileSync(join(existing, 'notes.txt'), 'mine');
    await expect(runTrainingJob({ config: 'blobs-broken', data: 'synthetic:16', batch: 4, backend: 'wasm', out: existing, stderr: quiet })).rejects.toThrow(
      'image 3 is unreadable',
    );
    expect(readdirSync(existing)).toEqual(['notes.txt']);
  });
});
