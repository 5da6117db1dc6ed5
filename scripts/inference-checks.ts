// Inference-time changes a user might expect to help, measured with eval's own protocol (Dice and selectivity,
// src/app/eval) on the validation structures, so that a model choice never rests on them:
// - a decision threshold other than logit 0: every logit shifted by an offset (+1: more foreground); what
//   `compile --type-bias` then puts in the graph per prompt type;
// - a left-right mirror ensemble: the model also run on the mirrored query, template and prompt, its logits mirrored
//   back and averaged with the plain run's (weight --mirror);
// - two passes: the prompt segments the template itself, and that mask prompts the query as SegLab (weight --two-pass);
// - zooming in: template and query cropped alike around the prompt, enlarged, run, the logits shrunk back into place
//   (src/app/data/zoom.ts; --zoom factor, --zoom-weight inside the crop);
// - a blend with copying: with SegLab prompts, the model's probabilities averaged with the prompt mask itself (the
//   template's mask, which is what copy-template outputs), weight --copy-blend;
// - a shift ensemble: query, template and prompt shifted alike by K pixels right, down and both (half an encoder token
//   at K = 4, so a prompt lands in other token cells), each run's logits shifted back and averaged with the plain
//   run's (--shift K).
// --second-patient scores each query as a second patient, as `eval --second-patient` does. docs/brain-data.md has
// what they gave (the mirror, two passes, zooming in and the shift ensemble lower Dice or leave it; the offsets are in
// "Averaging runs and a per-type calibration").
//
//   npx tsx scripts/inference-checks.ts [--model compiled/oneprompt-default.onnx] [--data runs/data/inia19-128]
//       [--tasks validation] [--prompt click] [--offsets 0,-1,1] [--mirror 0.5] [--two-pass 1] [--second-patient 0.5]
//       [--zoom 2] [--zoom-weight 0.5] [--copy-blend 0.4] [--shift 4] [--threads 2] [--report r.json]
//
// The model runs once; the other offsets replay its recorded logits.
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { evalJson } from '../src/app/cli/eval.js';
import { readDataset, tasksOf } from '../src/app/data/dataset.js';
import { orThrow } from '../src/app/data/errors.js';
import { PROMPT_TYPES, type PromptType } from '../src/app/data/prompt.js';
import { typeOneHot, type PromptTensors } from '../src/app/data/prompt-tensors.js';
import { evaluate } from '../src/app/eval/protocol.js';
import { DEFAULT_MAX_OTHERS, evaluateSelectivity } from '../src/app/eval/selectivity.js';
import { loadSegmenter } from '../src/app/inference/load-segmenter.js';
import type { DecodeItem, PromptSegmenter } from '../src/app/inference/prompt-segmenter.js';
import { cropAround, enlarge, pasteBack, promptBox, promptInCrop } from '../src/app/data/zoom.js';

const o = new Command()
  .option('--model <file>', 'compiled One-Prompt model', 'compiled/oneprompt-default.onnx')
  .option('--data <dir>', 'dataset', 'runs/data/inia19-128')
  .addOption(
    new Option('--tasks <part>', 'which tasks of split.json').choices(['validation', 'heldout', 'heldout-slices', 'train', 'all']).default('validation'),
  )
  .addOption(new Option('--prompt <type>', 'simulated prompt type (oracle quality, 1 template per task)').choices(PROMPT_TYPES).default('click'))
  .option('--offsets <list>', 'logit offsets to score, comma-separated', '0,-1,-0.5,0.5,1')
  .option('--mirror <w>', 'weight of the mirrored run in the ensemble (0: no ensemble)', '0')
  .option('--two-pass <w>', 'weight of the two-pass run (the prompt segments the template, that mask prompts the query as SegLab; 0: off)', '0')
  .option('--zoom <z>', 'also run the model on a crop of side S/z around the prompt, enlarged to S×S (1: off)', '1')
  .option('--zoom-weight <w>', "weight of the zoomed run's logits inside the crop (the plain run's elsewhere)", '1')
  .option('--copy-blend <w>', "SegLab only: weight of the prompt mask (copying the template's mask) in a probability average with the model (0: off)", '0')
  .option('--shift <k>', 'shift ensemble: also run with everything shifted by k pixels right, down and both; the 4 runs averaged (0: off)', '0')
  .option('--second-patient <warp>', "score each query as a second patient (eval's --second-patient)")
  .option('--threads <n>', 'ONNX Runtime threads', '2')
  .option('--report <file>', "write the first offset's scores as an `eval --json` report (for `oneprompt compare`)")
  .parse()
  .opts<{
    model: string;
    data: string;
    tasks: 'validation' | 'heldout' | 'heldout-slices' | 'train' | 'all';
    prompt: PromptType;
    offsets: string;
    mirror: string;
    twoPass: string;
    secondPatient?: string;
    threads: string;
    zoom: string;
    zoomWeight: string;
    copyBlend: string;
    shift: string;
    report?: string;
  }>();

const offsets = o.offsets.split(',').map(Number);
const mirror = Number(o.mirror);
if (offsets.some((x) => !Number.isFinite(x))) throw new Error(`--offsets: numbers, comma-separated; got '${o.offsets}'`);
if (!(mirror >= 0 && mirror <= 1)) throw new Error(`--mirror: a weight in [0, 1]; got '${o.mirror}'`);
const twoPass = Number(o.twoPass);
if (!(twoPass >= 0 && twoPass <= 1)) throw new Error(`--two-pass: a weight in [0, 1]; got '${o.twoPass}'`);

const zoom = Number(o.zoom);
if (!(zoom >= 1)) throw new Error(`--zoom: a factor ≥ 1; got '${o.zoom}'`);
const zoomWeight = Number(o.zoomWeight);
if (!(zoomWeight >= 0 && zoomWeight <= 1)) throw new Error(`--zoom-weight: a weight in [0, 1]; got '${o.zoomWeight}'`);

const copyBlend = Number(o.copyBlend);
if (!(copyBlend >= 0 && copyBlend <= 1)) throw new Error(`--copy-blend: a weight in [0, 1]; got '${o.copyBlend}'`);
if (copyBlend > 0 && o.prompt !== 'seglab') throw new Error(`--copy-blend: only with --prompt seglab (a mask to copy); got --prompt ${o.prompt}`);

const shift = Number(o.shift);
if (!(Number.isInteger(shift) && shift >= 0)) throw new Error(`--shift: a whole number of pixels ≥ 0; got '${o.shift}'`);
/** Zooming in and the shift ensemble run the model on moved or cropped images, so encode keeps the images too. */
const keepPlanes = zoom > 1 || shift > 0;

const dataset = orThrow(readDataset(o.data));
const tasks = tasksOf(dataset, o.tasks).map((t) => t.name);
const model = await loadSegmenter(o.model, { threads: Number(o.threads) });
const plain = model.prompts as PromptSegmenter<unknown>;
const S = model.geometry.size;

/** An S×S plane (or a stack of them) mirrored left-right. */
function mirrorPlanes(p: Float32Array): Float32Array {
  const out = new Float32Array(p.length);
  for (let row = 0; row < p.length / S; row++) for (let x = 0; x < S; x++) out[row * S + x] = p[row * S + S - 1 - x];
  return out;
}

/** The prompt mirrored: x → 1 − x for every point in use, a box's corners kept as (left, right), the raster mirrored. */
function mirrorPrompt(p: PromptTensors): PromptTensors {
  const points = new Float32Array(p.points);
  for (let i = 0; i < p.labels.length; i++) if (p.labels[i] !== 0) points[2 * i] = 1 - points[2 * i];
  if (p.type[PROMPT_TYPES.indexOf('bbox')] === 1) [points[0], points[2]] = [points[2], points[0]];
  return { ...p, points, mask: mirrorPlanes(p.mask) };
}

/** An S×S plane (or a stack of them) moved dx pixels right and dy down; what moves in is `fill`'s (zeros by default). */
function shiftPlanes(p: Float32Array, dx: number, dy: number, fill?: Float32Array): Float32Array {
  const out = fill ? new Float32Array(fill) : new Float32Array(p.length);
  for (let base = 0; base < p.length; base += S * S)
    for (let y = Math.max(0, dy); y < Math.min(S, S + dy); y++)
      for (let x = Math.max(0, dx); x < Math.min(S, S + dx); x++) out[base + y * S + x] = p[base + (y - dy) * S + x - dx];
  return out;
}

/** The prompt moved as shiftPlanes moves the images: every point in use by (dx, dy) / S, the raster by (dx, dy). */
function shiftPrompt(p: PromptTensors, dx: number, dy: number): PromptTensors {
  const points = new Float32Array(p.points);
  for (let i = 0; i < p.labels.length; i++)
    if (p.labels[i] !== 0) {
      points[2 * i] += dx / S;
      points[2 * i + 1] += dy / S;
    }
  return { ...p, points, mask: shiftPlanes(p.mask, dx, dy) };
}

/**
 * The shift ensemble's other three runs: query, template and prompt moved alike, the logits moved back. The strip a
 * run moved out of view takes the plain run's logits, so that it does not count as undecided (logit 0) there.
 */
async function shiftedLogits(
  items: readonly { query: Float32Array; template: Float32Array; prompt: PromptTensors }[],
  plainLogits: Float32Array,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [dx, dy] of [
    [shift, 0],
    [0, shift],
    [shift, shift],
  ]) {
    const queries = await plain.encode(
      items.map((it) => shiftPlanes(it.query, dx, dy)),
      'query',
    );
    const templates = await plain.encode(
      items.map((it) => shiftPlanes(it.template, dx, dy)),
      'template',
    );
    const z = await plain.decode(items.map((it, b) => ({ query: queries[b], template: templates[b], prompt: shiftPrompt(it.prompt, dx, dy) })));
    out.push(shiftPlanes(z, -dx, -dy, plainLogits));
  }
  return out;
}

/**
 * Two passes: the prompt first segments the template itself (template as its own query), and that mask, thresholded at
 * logit 0, prompts the query as a SegLab mask would. The template's encoding serves as a query (encode asks for 'both').
 */
async function twoPassLogits(items: readonly DecodeItem<unknown>[]): Promise<Float32Array> {
  const onTemplate = await plain.decode(items.map((it) => ({ query: it.template, template: it.template, prompt: it.prompt })));
  const seglab = typeOneHot('seglab');
  return plain.decode(
    items.map((it, b) => ({
      query: it.query,
      template: it.template,
      prompt: {
        points: new Float32Array(it.prompt.points.length),
        labels: new Float32Array(it.prompt.labels.length),
        mask: Float32Array.from(onTemplate.subarray(b * S * S, (b + 1) * S * S), (v) => (v > 0 ? 1 : 0)),
        type: seglab,
      },
    })),
  );
}

/** Zoomed logits: template and query cropped alike around the template's prompt, run, shrunk back into place. */
async function zoomedLogits(
  items: readonly { query: Float32Array; template: Float32Array; prompt: PromptTensors }[],
  full: Float32Array,
): Promise<Float32Array> {
  const crops = items.map((it) => {
    const box = promptBox(it.prompt, S);
    return box ? cropAround(box, S, zoom) : { x0: 0, y0: 0, c: S };
  });
  const queries = await plain.encode(
    items.map((it, b) => enlarge(it.query, S, crops[b], false)),
    'query',
  );
  const templates = await plain.encode(
    items.map((it, b) => enlarge(it.template, S, crops[b], false)),
    'template',
  );
  const z = await plain.decode(items.map((it, b) => ({ query: queries[b], template: templates[b], prompt: promptInCrop(it.prompt, S, crops[b]) })));
  const out = new Float32Array(full.length);
  for (const [b, k] of crops.entries()) {
    const at = (x: Float32Array) => x.subarray(b * S * S, (b + 1) * S * S);
    out.set(pasteBack(at(full), at(z), S, k, zoomWeight), b * S * S);
  }
  return out;
}

/**
 * The model's probability p averaged with the prompt mask (weight w = copyBlend), back to a logit. For w < ½ a pixel
 * inside the template's mask is kept where p > (½ − w) / (1 − w), one outside it only where p > ½ / (1 − w): the
 * template's mask where the model does not object, and the model's confident pixels beyond it.
 */
function blendWithCopy(logits: Float32Array, items: readonly { prompt: PromptTensors }[]): Float32Array {
  const out = new Float32Array(logits.length);
  const eps = 1e-6;
  for (const [b, it] of items.entries())
    for (let i = 0; i < S * S; i++) {
      const k = b * S * S + i;
      const p = (1 - copyBlend) / (1 + Math.exp(-logits[k])) + copyBlend * it.prompt.mask[i];
      const q = Math.min(1 - eps, Math.max(eps, p));
      out[k] = Math.log(q / (1 - q));
    }
  return out;
}

/** The plain model, or the mirror ensemble; every decode's logits recorded so that offsets replay them. */
function recorded(): { seg: PromptSegmenter<{ a: unknown; b?: unknown; plane?: Float32Array }>; score: (offset: number, replay: boolean) => void } {
  const calls: Float32Array[] = [];
  let replaying = false;
  let next = 0;
  let offset = 0;
  const seg: PromptSegmenter<{ a: unknown; b?: unknown; plane?: Float32Array }> = {
    geometry: plain.geometry,
    bytes: (e) => (e.a === undefined ? 0 : plain.bytes(e.a)) + (e.b === undefined ? 0 : plain.bytes(e.b)),
    async encode(planes, role) {
      if (replaying) return planes.map(() => ({ a: undefined }));
      // Two passes run the template as its own query: a pair's template encoding must then hold the query's parts too.
      const as = twoPass > 0 ? 'both' : role;
      const a = await plain.encode(planes, as);
      const b = mirror > 0 ? await plain.encode(planes.map(mirrorPlanes), as) : [];
      return a.map((x, i) => ({ a: x, b: b[i], plane: keepPlanes ? planes[i] : undefined }));
    },
    async decode(items) {
      let logits: Float32Array;
      if (replaying) logits = calls[next++];
      else {
        const plainItems = items.map((it) => ({ query: it.query.a, template: it.template.a, prompt: it.prompt }));
        logits = await plain.decode(plainItems);
        if (mirror > 0) {
          const m = mirrorPlanes(
            await plain.decode(items.map((it): DecodeItem<unknown> => ({ query: it.query.b, template: it.template.b, prompt: mirrorPrompt(it.prompt) }))),
          );
          logits = logits.map((v, i) => (1 - mirror) * v + mirror * m[i]);
        }
        if (twoPass > 0) {
          const t = await twoPassLogits(plainItems);
          logits = logits.map((v, i) => (1 - twoPass) * v + twoPass * t[i]);
        }
        const raw = keepPlanes
          ? items.map((it) => ({ query: it.query.plane as Float32Array, template: it.template.plane as Float32Array, prompt: it.prompt }))
          : [];
        if (zoom > 1) logits = await zoomedLogits(raw, logits);
        if (shift > 0) {
          const runs = [logits, ...(await shiftedLogits(raw, logits))];
          logits = logits.map((_, i) => runs.reduce((sum, r) => sum + r[i], 0) / runs.length);
        }
        if (copyBlend > 0) logits = blendWithCopy(logits, items);
        calls.push(logits);
      }
      return offset === 0 ? logits : logits.map((v) => v + offset);
    },
  };
  return {
    seg,
    score: (x, replay) => {
      [replaying, next, offset] = [replay, 0, x];
    },
  };
}

const secondPatient = o.secondPatient === undefined ? undefined : Number(o.secondPatient);
if (secondPatient !== undefined && !(secondPatient >= 0)) throw new Error(`--second-patient: a warp factor ≥ 0; got '${o.secondPatient}'`);
const common = {
  dataset,
  tasks,
  quality: 'oracle' as const,
  templates: 1,
  seed: 0,
  geometry: model.geometry,
  batchSize: 8,
  promptType: o.prompt,
  secondPatient,
};
const dice = recorded();
const sel = recorded();
console.log(
  `${o.model}, ${o.tasks} tasks of ${o.data}, ${o.prompt} prompts (oracle, 1 template), mirror weight ${mirror}, two-pass weight ${twoPass}, zoom ${zoom} (weight ${zoomWeight}), copy blend ${copyBlend}, shift ${shift}${secondPatient === undefined ? '' : `, each query as a second patient (warp ${secondPatient})`}:`,
);
console.log('| logit offset | Dice | selectivity |\n| --- | --- | --- |');
for (const [k, offset] of offsets.entries()) {
  for (const r of [dice, sel]) r.score(offset, k > 0);
  const d = orThrow(await evaluate(common, dice.seg));
  const s = orThrow(await evaluateSelectivity({ ...common, maxOthers: DEFAULT_MAX_OTHERS }, sel.seg));
  console.log(`| ${offset} | ${d.mean.model?.toFixed(2)} | ${s.mean?.model?.toFixed(2) ?? '—'} |`);
  if (k === 0 && o.report) writeFileSync(o.report, `${JSON.stringify(evalJson(d, s), null, 2)}\n`);
}
await model.release();
