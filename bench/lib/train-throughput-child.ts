// Child process for bench/train.ts: training samples/s of one configuration on one backend, alone in a process
// (tfjs-wasm's heap only grows, and aborts when a run needs more than its 4 GB). Prints one JSON line.
//   node --import tsx bench/lib/train-throughput-child.ts CONFIG BATCH ort|wasm STEPS DATA_DIR
import { ParamStore } from '../../src/dsl/params.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { TfjsEngine, type TrainEngine } from '../../src/train/engine.js';
import { TfjsExecutor } from '../../src/train/tfjs/executor.js';
import { train } from '../../src/train/loop.js';
import { OrtEngine } from '../../src/train/ort/engine.js';
import { constantLr } from '../../src/train/schedule.js';
import { getTask } from '../../src/app/train/tasks.js';

const [config, batchArg, backend, stepsArg, dir] = process.argv.slice(2);
const [batch, steps] = [Number(batchArg), Number(stepsArg)];
const task = getTask(config);
const model = task.model(new ParamStore(0));
const data = await task.data(dir, batch);
const engine: TrainEngine =
  backend === 'ort'
    ? await OrtEngine.create({
        graph: model.graph,
        logits: model.logits,
        schedule: { lr: 1e-4, totalSteps: 1000 },
        batch,
        threads: 2,
        io: process.env.IO === 'bind' ? 'bind' : 'copy',
      })
    : new TfjsEngine({
        executor: new TfjsExecutor((await useBackend('wasm')).tf, model.graph),
        logits: model.logits,
        lr: constantLr(1e-4),
        ownsExecutor: true,
      });
// One warm-up step, then the median of the measured steps (robust to other load on the machine).
const times: number[] = [];
let t = 0;
await train({
  engine,
  paramShapes: new Map(model.graph.params.map((p) => [p.name, p.shape])),
  nextBatch: data.nextBatch,
  totalSteps: steps + 1,
  seed: 1,
  onStart: () => void (t = performance.now()),
  onStep: (r) => {
    const now = performance.now();
    if (r.step > 1) times.push(now - t);
    t = now;
  },
});
await engine.dispose();
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
console.log(JSON.stringify({ samplesPerSecond: batch / (median / 1000), stepSeconds: times.map((x) => x / 1000) }));
