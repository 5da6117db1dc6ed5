// Child process for bench/train.ts: peak memory of ONNX Runtime training steps of one configuration, alone in
// a process. Prints one JSON line: the process's peak RSS after building the model, after creating the
// training-step session, and after the steps; the seconds per step; the trainable parameter count.
//   node --import tsx bench/lib/train-step-child.ts CONFIG BATCH STEPS
import { configs, type ConfigName } from '../../graphs/oneprompt/config.js';
import { ParamStore } from '../../src/dsl/params.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { OrtEngine } from '../../src/train/ort/engine.js';
import { getTask } from '../../src/app/train/tasks.js';

const [config, batchArg, stepsArg] = process.argv.slice(2);
const batch = Number(batchArg ?? 1);
const steps = Number(stepsArg ?? 1);
const peakMiB = () => process.resourceUsage().maxRSS / 1024;
/** Phases on stderr, so that a parent that had to stop the child (memory) knows how far it got. */
const phase = (what: string) => process.stderr.write(`${what}: peak ${peakMiB().toFixed(0)} MiB\n`);

const model = getTask(config).model(new ParamStore(0));
for (const p of model.graph.params) p.values();
const afterModel = peakMiB();
phase('model built');
let t0 = performance.now();
const engine = await OrtEngine.create({ graph: model.graph, logits: model.logits, schedule: { lr: 1e-4, totalSteps: 100 }, batch, threads: 2 });
const createSecs = (performance.now() - t0) / 1000;
const afterSession = peakMiB();
phase('session created');
const c = configs[config as ConfigName];
const inputs = randomModelInputs(c, batch, 1);
const target = {
  dtype: 'float32' as const,
  dims: [batch, 1, c.size, c.size],
  data: Float32Array.from({ length: batch * c.size * c.size }, (_, i) => (i % 7 < 3 ? 1 : 0)),
};
const secs: number[] = [];
for (let s = 0; s < steps; s++) {
  t0 = performance.now();
  const r = await engine.step({ inputs, target }, s);
  secs.push((performance.now() - t0) / 1000);
  if (!Number.isFinite(r.loss)) throw new Error(`loss ${r.loss}`);
  phase(`step ${s + 1} (${secs[s].toFixed(1)} s)`);
}
await engine.dispose();
console.log(
  JSON.stringify({
    config,
    batch,
    createSecs,
    secs,
    afterModelMiB: afterModel,
    afterSessionMiB: afterSession,
    peakMiB: peakMiB(),
    trainable: engine.trainable.reduce((n, p) => n + p.size, 0),
  }),
);
