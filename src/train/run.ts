// One training run in a run directory: backend, model and data from a registered task, the loop,
// and the files a run leaves behind:
//   RUN_DIR/run.json          the options (written at a fresh start)
//   RUN_DIR/loss.jsonl        one JSON line per step {step, loss, ce, dice_loss, dice, lr, samples_per_s, time}
//   RUN_DIR/loss.png          the loss curve, redrawn at each checkpoint
//   RUN_DIR/last.safetensors  the latest checkpoint (weights under module paths + Adam state + data RNG)
//   RUN_DIR/model.onnx        the trained graph with its weights, written at the end
//   RUN_DIR/train.lock        while the run lasts: a second run on the same folder is refused (src/util/run-lock.ts)
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ParamStore } from '../dsl/params.js';
import { saveModel } from '../onnx/save.js';
import { appendToFile, writeFileAtomic } from '../util/atomic-write.js';
import { useBackend, type BackendName } from './tfjs/backend.js';
import { TfjsEngine, type TrainEngine } from './engine.js';
import { TfjsExecutor } from './tfjs/executor.js';
import { train, type StepReport, type TrainResult } from './loop.js';
import { OrtEngine } from './ort/engine.js';
import type { Device } from '../runtime/session.js';
import { lossCurvePng, type CurvePoint } from './plot.js';
import { ProgressBar, type ProgressStream } from './progress.js';
import { warmupCosine, type WarmupCosine } from './schedule.js';
import type { TrainModel } from './task.js';
import { getTask, type TrainTask } from './task.js';
import { loadInitialWeights, loadPartialWeights } from './init-weights.js';
import { formatLossWeights, type LossWeights } from './loss.js';
import { acquireRunLock, RunLockError } from '../util/run-lock.js';

export interface TrainJobOptions {
  /** A registered task's name (registerTask, src/train/task.ts), or the task itself. */
  readonly config: string | TrainTask;
  readonly data: string;
  readonly out: string;
  readonly epochs?: number;
  /** Train exactly this many steps instead of whole epochs. */
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  /**
   * 'ort': the emitted training-step model on ONNX Runtime; 'tfjs' (the first tfjs backend that starts) or a
   * tfjs backend by name; 'auto' (default): ONNX Runtime, or tfjs when the graph cannot be trained there.
   */
  readonly backend?: TrainBackend;
  /** ONNX Runtime's device (default cpu; cuda falls back to cpu with a warning). */
  readonly device?: Device;
  /** ONNX Runtime threads (default: its choice, the number of cores). */
  readonly threads?: number;
  readonly resume?: boolean;
  readonly seed?: number;
  /** Steps between checkpoints (default: one epoch, at most 100 steps). */
  readonly checkpointEvery?: number;
  /** Parameter-path prefixes to keep fixed (default: the task's). */
  readonly freeze?: readonly string[];
  readonly warmupSteps?: number;
  /** Start from these weights (safetensors or float32 ONNX of the same config) with a fresh optimiser: fine-tuning. */
  readonly init?: string;
  /** With init: take only the parameters the file has with the same name and shape, except these prefixes (PartialInit). */
  readonly initPartial?: { readonly exclude?: readonly string[] };
  /** The loss's weights and options (src/train/loss.ts; default: cross-entropy + soft Dice, as the paper). */
  readonly loss?: LossWeights;
  /** Where the progress bar and messages go (default: process.stderr). */
  readonly stderr?: ProgressStream;
}

export type TrainBackend = 'auto' | 'ort' | 'tfjs' | BackendName;

export interface TrainJobResult extends TrainResult {
  /** 'ort' or the tfjs backend that trained. */
  readonly backend: 'ort' | BackendName;
  readonly totalSteps: number;
  readonly files: { readonly checkpoint: string; readonly log: string; readonly curve: string; readonly onnx: string };
}

interface LogRecord extends CurvePoint {
  readonly step: number;
}

export class TrainJobError extends Error {
  override name = 'TrainJobError';
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new TrainJobError(`${what} must be a positive integer, got ${v}`);
  return v;
}

function readLog(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: LogRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      out.push(JSON.parse(lines[i]) as LogRecord);
    } catch {
      // A last line without its newline was torn by a kill mid-write: that step is redone on resume, drop it.
      if (i === lines.length - 1 && !text.endsWith('\n')) break;
      throw new TrainJobError(`${path}: line ${i + 1} is not JSON`);
    }
  }
  return out;
}

/**
 * Train with RUN_DIR locked against a second run. A fresh run that fails before its first step is logged (a bad
 * first batch, say) leaves nothing behind: not run.json, nor an empty loss.jsonl, nor the folder if it made it.
 */
export async function runTrainingJob(o: TrainJobOptions): Promise<TrainJobResult> {
  const existed = existsSync(o.out);
  let lock;
  try {
    lock = acquireRunLock(o.out, 'train');
  } catch (e) {
    throw e instanceof RunLockError ? new TrainJobError(`train: ${e.message}`) : e;
  }
  if (lock.tookOverFrom !== undefined)
    (o.stderr ?? process.stderr).write(`train: ${o.out}: took over the lock of pid ${lock.tookOverFrom}, which is no longer running\n`);
  try {
    return await runTrainingJobLocked(o);
  } catch (e) {
    const logged = (): number => {
      try {
        return readLog(join(o.out, 'loss.jsonl')).length;
      } catch {
        return 1; // a log we cannot read is not ours to delete
      }
    };
    if (!o.resume && !existsSync(join(o.out, 'last.safetensors')) && logged() === 0) {
      for (const f of ['run.json', 'loss.jsonl', 'loss.png']) rmSync(join(o.out, f), { force: true });
      lock.release();
      if (!existed) rmdirQuietly(o.out);
    }
    throw e;
  } finally {
    lock.release();
  }
}

/** Remove a folder if it is empty (this run made it and wrote nothing that stays). */
function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty, or gone: leave it */
  }
}

async function runTrainingJobLocked(o: TrainJobOptions): Promise<TrainJobResult> {
  const err = o.stderr ?? process.stderr;
  const say = (s: string) => err.write(s + '\n');
  const epochs = positiveInt(o.epochs ?? 1, '--epochs');
  const batch = positiveInt(o.batch ?? 4, '--batch');
  const lr = o.lr ?? 1e-3;
  if (!(lr > 0)) throw new TrainJobError(`--lr must be positive, got ${lr}`);
  const seed = o.seed ?? 0;

  const files = {
    checkpoint: join(o.out, 'last.safetensors'),
    log: join(o.out, 'loss.jsonl'),
    curve: join(o.out, 'loss.png'),
    onnx: join(o.out, 'model.onnx'),
  };
  if (!o.resume && existsSync(files.checkpoint))
    throw new TrainJobError(`${o.out} already holds a run (${files.checkpoint}); pass --resume to continue it or choose another --out`);

  const task = typeof o.config === 'string' ? getTask(o.config) : o.config;
  const data = await task.data(o.data, batch);
  const totalSteps = o.steps !== undefined ? positiveInt(o.steps, '--steps') : Math.ceil((epochs * data.samplesPerEpoch) / batch);
  const stepsPerEpoch = Math.ceil(data.samplesPerEpoch / batch);
  const every = o.checkpointEvery !== undefined ? positiveInt(o.checkpointEvery, '--checkpoint-every') : Math.min(stepsPerEpoch, 100);
  const freeze = o.freeze ?? task.freeze ?? [];

  const model = task.model(new ParamStore(seed));
  // A resumed run takes its weights from its own checkpoint; these are only the starting point of a fresh one.
  if (o.init && o.initPartial) {
    const r = loadPartialWeights(o.init, model.graph.params, o.initPartial);
    const count = (why: string) => r.kept.filter((k) => k.why === why).length;
    const size = (names: readonly string[]) => model.graph.params.filter((p) => names.includes(p.name)).reduce((n, p) => n + p.size, 0);
    say(
      `train: ${r.loaded.length} parameter tensors (${size(r.loaded)} values) from ${o.init}; ${r.kept.length} keep their seeded values (${count('excluded')} excluded, ${count('missing')} not in the file, ${count('shape')} of another shape)${
        r.kept.length
          ? `: ${r.kept
              .slice(0, 4)
              .map((k) => k.name)
              .join(', ')}${r.kept.length > 4 ? ', …' : ''}`
          : ''
      }`,
    );
  } else if (o.init) {
    loadInitialWeights(o.init, model.graph.params);
    say(`train: starting from the weights in ${o.init}`);
  } else if (o.initPartial) throw new TrainJobError('--init-partial and --init-exclude need --init FILE');
  const schedule = { lr, totalSteps, warmupSteps: o.warmupSteps };
  const lossText = formatLossWeights(o.loss);
  const customLoss = lossText !== formatLossWeights();
  const { engine, backend } = await makeEngine(o, model, {
    freeze,
    schedule,
    batch,
    say,
    summary: `config ${task.name}${customLoss ? `; loss ${lossText}` : ''}; data: ${data.summary}`,
  });
  const trainedNames = engine instanceof OrtEngine ? new Set(engine.trainable.map((p) => p.name)) : undefined;
  if (engine instanceof OrtEngine && engine.untouched.length)
    say(
      `train: warning: the loss does not reach ${engine.untouched.length} trained parameter(s) through differentiable ops (${engine.untouched
        .slice(0, 3)
        .map((p) => p.name)
        .join(', ')}${engine.untouched.length > 3 ? ', …' : ''}); they keep their values`,
    );
  const trainable = model.graph.params
    .filter((p) => (trainedNames ? trainedNames.has(p.name) : p.trainable && !freeze.some((f) => p.name.startsWith(f))))
    .reduce((n, p) => n + p.size, 0);
  const total = model.graph.params.reduce((n, p) => n + p.size, 0);
  say(
    `train: ${total} parameters (${trainable} trained${freeze.length ? `, frozen: ${freeze.join(', ')}` : ''}); ${o.steps !== undefined ? `${totalSteps} steps of batch ${batch} (${((totalSteps * batch) / data.samplesPerEpoch).toFixed(2)} epochs)` : `${epochs} epoch(s) × ${stepsPerEpoch} steps of batch ${batch} = ${totalSteps} steps`}; checkpoint every ${every}`,
  );

  mkdirSync(o.out, { recursive: true });
  // Everything that shapes the trajectory; a resume must match it exactly.
  const identity = {
    config: task.name,
    data: o.data,
    epochs: String(epochs),
    ...(o.steps !== undefined ? { steps: String(o.steps) } : {}),
    batch: String(batch),
    lr: String(lr),
    seed: String(seed),
    freeze: freeze.join(','),
    warmup: String(o.warmupSteps ?? 'default'),
    ...(o.init ? { init: o.init } : {}),
    ...(o.initPartial ? { initPartial: (o.initPartial.exclude ?? []).join(',') || 'all' } : {}),
    ...(customLoss ? { loss: lossText } : {}),
  };
  let log: LogRecord[] = [];
  let bar: ProgressBar | undefined;
  const started = Date.now();
  const drawCurve = () => writeFileAtomic(files.curve, lossCurvePng(log, { title: `loss ${task.name}` }));

  try {
    const result = await train({
      engine,
      paramShapes: new Map(model.graph.params.map((p) => [p.name, p.shape])),
      nextBatch: data.nextBatch,
      totalSteps,
      seed,
      resume: o.resume,
      checkpoint: { path: files.checkpoint, every, metadata: identity },
      onStart: (startStep) => {
        if (startStep > 0) say(`train: resuming ${files.checkpoint} at step ${startStep}`);
        else if (o.resume) say(`train: no checkpoint in ${o.out}; starting from step 0`);
        // Steps after the checkpoint were lost with the killed process; their log lines go too.
        log = readLog(files.log).filter((r) => r.step <= startStep);
        writeFileAtomic(files.log, log.map((r) => JSON.stringify(r) + '\n').join(''));
        if (startStep === 0)
          writeFileAtomic(join(o.out, 'run.json'), JSON.stringify({ ...identity, backend, totalSteps, checkpointEvery: every }, null, 2) + '\n');
        bar = new ProgressBar(err, totalSteps, startStep);
      },
      onStep: (r: StepReport) => {
        bar!.update(r);
        const rec = {
          step: r.step,
          loss: r.loss,
          ce: r.crossEntropy,
          dice_loss: r.diceLoss,
          dice: r.dice,
          lr: r.lr,
          batch: r.batchSize,
          time_s: (Date.now() - started) / 1000,
        };
        log.push(rec);
        appendToFile(files.log, JSON.stringify(rec) + '\n');
      },
      onCheckpoint: drawCurve,
    });
    // What was trained is what is deployed: the same graph, emitted with the trained weights.
    engine.syncParams();
    saveModel(model.graph, files.onnx, { metadata: { trained_steps: String(totalSteps), config: task.name } });
    drawCurve();
    if (result.last)
      say(
        `train: done, ${totalSteps} steps; last loss ${result.last.loss.toFixed(4)}, dice ${result.last.dice.toFixed(3)}; wrote ${files.checkpoint}, ${files.onnx}, ${files.log}, ${files.curve}`,
      );
    return { ...result, backend, totalSteps, files };
  } finally {
    await engine.dispose();
  }
}

interface EngineSettings {
  readonly freeze: readonly string[];
  readonly schedule: WarmupCosine;
  readonly batch: number;
  readonly say: (s: string) => void;
  /** The rest of the first log line. */
  readonly summary: string;
}

/** The engine for --backend (and --device): ONNX Runtime's training step, or the graph on a tfjs backend. */
async function makeEngine(o: TrainJobOptions, model: TrainModel, s: EngineSettings): Promise<{ engine: TrainEngine; backend: 'ort' | BackendName }> {
  const choice = o.backend ?? 'auto';
  if (o.device === 'cuda' && choice !== 'ort' && choice !== 'auto')
    throw new TrainJobError(`--device cuda runs the ONNX Runtime step (--backend ort); tfjs reaches a GPU only through --backend node-gpu`);
  if (choice === 'ort' || choice === 'auto') {
    try {
      const engine = await OrtEngine.create({
        graph: model.graph,
        logits: model.logits,
        freeze: s.freeze,
        schedule: s.schedule,
        lossWeights: o.loss,
        batch: s.batch,
        device: o.device,
        threads: o.threads,
        warn: s.say,
      });
      s.say(`train: backend ort (ONNX Runtime ${engine.device}, one training-step model per step); ${s.summary}`);
      return { engine, backend: 'ort' };
    } catch (e) {
      if (choice === 'ort') throw e;
      s.say(`train: ONNX Runtime cannot train this graph (${String((e as Error).message).split('\n')[0]}); using tfjs`);
    }
  }
  const tfjs = await useBackend(choice === 'auto' || choice === 'tfjs' ? 'auto' : choice);
  s.say(`train: backend ${tfjs.name}${tfjs.skipped.length ? ` (skipped ${tfjs.skipped.map((x) => x.split(':')[0]).join(', ')})` : ''}; ${s.summary}`);
  const executor = new TfjsExecutor(tfjs.tf, model.graph, { freeze: s.freeze });
  return {
    engine: new TfjsEngine({ executor, logits: model.logits, lr: warmupCosine(s.schedule), lossWeights: o.loss, ownsExecutor: true }),
    backend: tfjs.name,
  };
}
