// `train --parser/--masking/--encoder/--augment/--steps` (issue 14): a One-Prompt variant trains under a name that
// says what it is, its graph is that variant's, and a run of exactly N steps leaves a model.onnx.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/app/data/synth.js';
import { ParamStore } from '../../src/dsl/params.js';
import { trainTaskName } from '../../src/app/cli/train.js';
import { useBackend } from '../../src/train/tfjs/backend.js';
import { runTrainingJob } from '../../src/train/run.js';
import { getTask } from '../../src/app/train/tasks.js';
import { runCli } from '../cli/run-cli.js';
import { DataRng } from '../../src/train/rng.js';
import type { DatasetRecord } from '../../src/app/data/dataset-provenance.js';

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = mkdtempSync(join(tmpdir(), 'variant-data-'));
  synthesize({ out: data, tasks: 2, images: 4, size: 32, seed: 2 });
});

const paramNames = (name: string) =>
  getTask(name)
    .model(new ParamStore(0))
    .graph.params.map((p) => p.name);

describe('training Prompt-Parser variants', () => {
  it("registers a variant under a name that says what it is, with that variant's graph", () => {
    expect(trainTaskName({ config: 'tiny' })).toBe('tiny');
    const name = trainTaskName({ config: 'tiny', parser: 'concat-mlp', masking: 'binary', augment: true });
    expect(name).toBe('tiny+parser=concat-mlp+masking=binary+augment');
    expect(trainTaskName({ config: 'tiny', parser: 'concat-mlp', masking: 'binary', augment: true })).toBe(name);
    expect(getTask(name).description).toContain('concat-mlp prompting, binary masking, two-patient augmentation');
    // Binary masking has no Gaussian-kernel conv (parser.masking.*) and concat-mlp prompting an MLP instead of the
    // N×3N stack weight; the plain config (stack-mlp, gaussian) is the other way round.
    const plain = paramNames('tiny');
    const variant = paramNames(name);
    expect(plain.some((p) => p.includes('parser.masking.'))).toBe(true);
    expect(variant.some((p) => p.includes('parser.masking.'))).toBe(false);
    expect(variant.some((p) => p.includes('parser.mlp.'))).toBe(true);
    expect(plain.some((p) => p.includes('parser.mlp.'))).toBe(false);
    expect(() => trainTaskName({ config: 'blobs', parser: 'add' })).toThrow(
      "apply to the One-Prompt configurations (tiny, small, base, tiny128, brain128, brain128r, brain128p, brain128d, brain128g), not to 'blobs'",
    );
  });

  it("names the augmentation's warp factor and the interactive share in the task, and refuses a warp without --augment", () => {
    expect(trainTaskName({ config: 'tiny', augment: true, warp: 1 })).toBe('tiny+augment');
    const name = trainTaskName({ config: 'tiny', augment: true, warp: 0.3, interactive: 0.5 });
    expect(name).toBe('tiny+augment+warp=0.3+interactive=0.5');
    expect(getTask(name).description).toContain('two-patient augmentation (warp ×0.3), 0.5 interactive samples');
    expect(trainTaskName({ config: 'tiny', interactive: 0.3 })).toBe('tiny');
    expect(() => trainTaskName({ config: 'tiny', warp: 0.5 })).toThrow(/add --augment/);
    const mixed = trainTaskName({ config: 'tiny', augment: true, warp: 0.5, warpMix: true });
    expect(mixed).toBe('tiny+augment+warp=0.5+warpmix');
    expect(getTask(mixed).description).toContain('(warp ×0.5), each pair warped by a random share of it');
    expect(() => trainTaskName({ config: 'tiny', warpMix: true })).toThrow(/--warp-mix .* add --augment/);
    const clicky = trainTaskName({ config: 'tiny', augment: true, promptMix: { click: 3, seglab: 1 } });
    expect(clicky).toBe('tiny+augment+prompts=click3-seglab1');
    expect(getTask(clicky).description).toContain('two-patient augmentation, prompts click 75%, seglab 25%');
    expect(() => trainTaskName({ config: 'tiny', promptMix: { click: 0 } })).toThrow('the prompt mix: at least one prompt type needs a weight above 0');
    const boxed = trainTaskName({ config: 'tiny', augment: true, largeTargetPrompts: { bbox: 1, seglab: 1 } });
    expect(boxed).toBe('tiny+augment+large=bbox1-seglab1');
    expect(getTask(boxed).description).toContain('on the large targets bbox 50%, seglab 50%');
    expect(() => trainTaskName({ config: 'tiny', targets: 'structures', largeTargetPrompts: { bbox: 1 } })).toThrow(
      'a prompt mix for the large targets, but --targets structures leaves them out',
    );
    // The large targets are marked by `dataset from-labels --coarse`: a synthetic dataset has no such marks.
    expect(() => getTask(boxed).data(data, 2)).toThrow(
      /dataset\.json is missing: --targets and --large-target-prompts need a dataset built by `oneprompt dataset from-labels --coarse`/,
    );
    const unmarked = mkdtempSync(join(tmpdir(), 'variant-unmarked-'));
    synthesize({ out: unmarked, tasks: 2, images: 4, size: 32, seed: 2 });
    writeFileSync(join(unmarked, 'dataset.json'), JSON.stringify({ structures: [] }));
    expect(() => getTask(boxed).data(unmarked, 2)).toThrow(`${unmarked}/dataset.json: generator must be "oneprompt dataset from-labels"`);
    const noLarge: DatasetRecord = {
      generator: 'oneprompt dataset from-labels',
      inputs: { image: { path: 'i.nii', sha256: '0'.repeat(64) }, labels: { path: 'l.nii', sha256: '0'.repeat(64) } },
      options: { planes: ['axial'], size: 32, minPixels: 25, minSlices: 4, maxSlices: 24, grouping: 'mirror' },
      structures: [],
    };
    writeFileSync(join(unmarked, 'dataset.json'), JSON.stringify(noLarge));
    expect(() => getTask(boxed).data(unmarked, 2)).toThrow(`${unmarked}: no training task is a large target (--large-target-prompts)`);
  });

  it('draws prompts of the --qualities given, names them in the task, and refuses unknown ones', async () => {
    const oracle = trainTaskName({ config: 'tiny', promptMix: { click: 1 }, qualities: ['oracle'] });
    expect(oracle).toBe('tiny+prompts=click1+qualities=oracle');
    expect(getTask(oracle).description).toContain('prompts click 100%, prompt quality oracle');
    const low = trainTaskName({ config: 'tiny', promptMix: { click: 1 }, qualities: ['low'] });
    const points = async (name: string, seed: number) => (await (await getTask(name).data(data, 4)).nextBatch(0, new DataRng(seed))).inputs.prompt_points.data;
    // The same samples: oracle clicks sit at the deepest pixel whatever the draw, low-quality ones on the border.
    expect(await points(oracle, 1)).toEqual(await points(oracle, 1));
    expect(await points(low, 1)).not.toEqual(await points(oracle, 1));
    expect(() => trainTaskName({ config: 'tiny', qualities: [] })).toThrow('no prompt quality given; choose from low, medium, high, oracle');
    expect(() => trainTaskName({ config: 'tiny', qualities: ['high', 'high'] })).toThrow('each prompt quality once, got high,high');
    const bad = await runCli('train', '--config', 'tiny', '--data', data, '--out', join(tmpdir(), 'never-written'), '--qualities', 'oracle,best');
    expect(bad.stderr).toContain(
      "option '--qualities <levels>' argument 'oracle,best' is invalid. unknown prompt quality 'best'; choose from low, medium, high, oracle",
    );
    const twice = await runCli('train', '--config', 'tiny', '--data', data, '--out', join(tmpdir(), 'never-written'), '--qualities', 'high,high');
    expect(twice.stderr).toContain('each prompt quality once, got high,high');
  }, 60_000);

  it('zooms in on the prompt for --zoom-share of the pairs, names it in the task, and refuses what it cannot do', async () => {
    const name = trainTaskName({ config: 'tiny', zoom: 2 });
    expect(name).toBe('tiny+zoom=2x0.5');
    expect(getTask(name).description).toContain('0.5 of the pairs zoomed in on the prompt by ×1–2');
    expect(trainTaskName({ config: 'tiny', zoom: 3, zoomShare: 0.25 })).toBe('tiny+zoom=3x0.25');
    expect(() => trainTaskName({ config: 'tiny', zoomShare: 0.5 })).toThrow('--zoom-share is the share of pairs zoomed in: add --zoom');
    expect(() => trainTaskName({ config: 'tiny', zoom: 2, zoomShare: 1.5 })).toThrow(
      'zooming in needs a factor > 1 and a share in [0, 1], got factor 2 and share 1.5',
    );
    // Every pair zoomed: the same draw gives other query pixels than without zooming, and the same ones twice.
    const all = trainTaskName({ config: 'tiny', zoom: 2, zoomShare: 1 });
    const queries = async (n: string) => (await (await getTask(n).data(data, 4)).nextBatch(0, new DataRng(3))).inputs.query.data;
    expect(await queries(all)).toEqual(await queries(all));
    expect(await queries(all)).not.toEqual(await queries('tiny'));
    const bad = await runCli('train', '--config', 'tiny', '--data', data, '--out', join(tmpdir(), 'never-written'), '--zoom', '1');
    expect(bad.stderr).toContain("option '--zoom <factor>' argument '1' is invalid. a zoom factor > 1, e.g. 2");
  }, 60_000);

  it('reads --prompt-mix on the command line, and prints what is wrong with a bad option', async () => {
    const bad = await runCli('train', '--config', 'tiny', '--data', data, '--out', join(tmpdir(), 'never-written'), '--prompt-mix', 'click=3,clicks=1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      "option '--prompt-mix <weights>' argument 'click=3,clicks=1' is invalid. unknown prompt type 'clicks' in 'clicks=1' (expected click, bbox, doodle, seglab)",
    );
    // The variant checks run in the action, after commander's parsing: their sentences are printed too.
    const other = await runCli('train', '--config', 'blobs', '--data', 'synthetic', '--out', join(tmpdir(), 'never-written'), '--prompt-mix', 'click=1');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      'oneprompt: --parser, --masking, --encoder, --augment, --warp, --warp-mix, --interactive, --targets, --prompt-mix, --large-target-prompts, --qualities and --zoom apply',
    );
    const unwarped = await runCli('train', '--config', 'tiny', '--data', data, '--out', join(tmpdir(), 'never-written'), '--warp-mix');
    expect(unwarped.stderr).toContain("oneprompt: --warp-mix varies the augmentation's spatial warp: add --augment");
  }, 60_000);

  it('trains exactly --steps steps of a variant and writes its model', async () => {
    const out = mkdtempSync(join(tmpdir(), 'variant-run-'));
    const config = trainTaskName({ config: 'tiny', parser: 'add', masking: 'norm', augment: true });
    const r = await runTrainingJob({ config, data, steps: 3, batch: 2, backend: 'wasm', out, stderr: { write: () => true } });
    expect(r.totalSteps).toBe(3);
    expect(readFileSync(join(out, 'loss.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toMatchObject({ config, steps: '3' });
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  }, 120_000);
});
