// Toy segmentation tasks that train in seconds: bright ellipses on a noisy, shaded background.
// 'blobs' segments them with a per-pixel MLP over each pixel's 3×3 neighbourhood (gathered on the host);
// 'blobs-conv' with a small conv net on the image. They exercise the whole training path (graph, loss,
// Adam, checkpoints, CLI) end to end, and stand in for the model configs in tests and benchmarks.
import { build } from '../../dsl/build.js';
import { conv2dLayer, gelu } from '../../dsl/index.js';
import { linear } from '../../dsl/layers/linear.js';
import type { ParamStore } from '../../dsl/params.js';
import { input } from '../../dsl/tensor.js';
import type { DataRng } from '../rng.js';
import type { Batch } from '../loop.js';
import type { TrainData, TrainModel, TrainTask } from '../task.js';

export interface BlobsConfig {
  /** Image side (pixels). */
  readonly size: number;
  readonly hidden: number;
}

export const BLOBS_DEFAULT: BlobsConfig = { size: 16, hidden: 16 };
const PATCH = 9;

export function blobsModel(store: ParamStore, cfg: BlobsConfig = BLOBS_DEFAULT): TrainModel {
  const n = cfg.size * cfg.size;
  const patches = input('patches', ['B', n, PATCH]);
  const root = store.root().at('segmenter');
  const h1 = gelu(linear(root.at('fc1'), patches, cfg.hidden));
  const h2 = gelu(linear(root.at('fc2'), h1, cfg.hidden));
  const logits = linear(root.at('head'), h2, 1);
  return { graph: build({ name: 'blobs_segmenter', inputs: { patches }, outputs: { mask_logits: logits } }), logits: 'mask_logits' };
}

/** image (B, 1, S, S) → conv 3×3 → GELU → conv 3×3 → GELU → conv 1×1 → mask logits (B, 1, S, S). */
export function blobsConvModel(store: ParamStore, cfg: BlobsConfig = BLOBS_DEFAULT): TrainModel {
  const image = input('image', ['B', 1, cfg.size, cfg.size]);
  const root = store.root().at('segmenter');
  const c1 = gelu(conv2dLayer(root.at('conv1'), image, { out: cfg.hidden, kernel: 3, padding: 1 }));
  const c2 = gelu(conv2dLayer(root.at('conv2'), c1 as never, { out: cfg.hidden, kernel: 3, padding: 1 }));
  const logits = conv2dLayer(root.at('head'), c2 as never, { out: 1, kernel: 1 });
  return { graph: build({ name: 'blobs_conv_segmenter', inputs: { image }, outputs: { mask_logits: logits } }), logits: 'mask_logits' };
}

/** One synthetic sample: image and mask, S×S, row-major. */
export function blobSample(rng: DataRng, size: number): { image: Float32Array; mask: Float32Array } {
  const image = new Float32Array(size * size);
  const mask = new Float32Array(size * size);
  const blobs = 1 + rng.int(2);
  const shapes = Array.from({ length: blobs }, () => ({
    cx: size * (0.2 + 0.6 * rng.next()),
    cy: size * (0.2 + 0.6 * rng.next()),
    rx: size * (0.1 + 0.15 * rng.next()),
    ry: size * (0.1 + 0.15 * rng.next()),
  }));
  const gx = rng.next() * 0.3 - 0.15;
  const gy = rng.next() * 0.3 - 0.15;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inside = shapes.some((s) => ((x + 0.5 - s.cx) / s.rx) ** 2 + ((y + 0.5 - s.cy) / s.ry) ** 2 <= 1);
      const i = y * size + x;
      mask[i] = inside ? 1 : 0;
      image[i] = 0.35 + gx * (x / size - 0.5) + gy * (y / size - 0.5) + (inside ? 0.3 : 0) + 0.12 * rng.normal();
    }
  return { image, mask };
}

/** Each pixel's 3×3 neighbourhood (zero outside the image), as [S·S, 9]. */
export function patches3x3(image: Float32Array, size: number, out: Float32Array, offset: number): void {
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let k = offset + (y * size + x) * PATCH;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          out[k++] = yy >= 0 && yy < size && xx >= 0 && xx < size ? image[yy * size + xx] : 0;
        }
    }
}

export function blobsBatch(rng: DataRng, batchSize: number, size: number): Batch {
  const n = size * size;
  const patches = new Float32Array(batchSize * n * PATCH);
  const target = new Float32Array(batchSize * n);
  for (let b = 0; b < batchSize; b++) {
    const { image, mask } = blobSample(rng, size);
    patches3x3(image, size, patches, b * n * PATCH);
    target.set(mask, b * n);
  }
  return {
    inputs: { patches: { dtype: 'float32', dims: [batchSize, n, PATCH], data: patches } },
    target: { dtype: 'float32', dims: [batchSize, n, 1], data: target },
  };
}

/** Images and masks as (B, 1, S, S), for the conv segmenter. */
export function blobsImageBatch(rng: DataRng, batchSize: number, size: number): Batch {
  const n = size * size;
  const image = new Float32Array(batchSize * n);
  const target = new Float32Array(batchSize * n);
  for (let b = 0; b < batchSize; b++) {
    const s = blobSample(rng, size);
    image.set(s.image, b * n);
    target.set(s.mask, b * n);
  }
  return {
    inputs: { image: { dtype: 'float32', dims: [batchSize, 1, size, size], data: image } },
    target: { dtype: 'float32', dims: [batchSize, 1, size, size], data: target },
  };
}

/** `--data synthetic` (256 samples an epoch) or `--data synthetic:N`. */
export function blobsData(spec: string, batchSize: number, cfg: BlobsConfig = BLOBS_DEFAULT, makeBatch = blobsBatch): TrainData {
  const m = /^synthetic(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error(`config 'blobs' trains on generated data: pass --data synthetic or --data synthetic:N (N samples an epoch), got '${spec}'`);
  const samples = m[1] ? Number(m[1]) : 256;
  if (samples < 1) throw new Error(`--data synthetic:N needs N ≥ 1`);
  return {
    samplesPerEpoch: samples,
    nextBatch: (_step, rng) => makeBatch(rng, batchSize, cfg.size),
    summary: `synthetic blobs, ${cfg.size}×${cfg.size}, ${samples} samples an epoch (drawn fresh each step)`,
  };
}

export const blobsTask: TrainTask = {
  name: 'blobs',
  description: 'toy per-pixel MLP segmenter on synthetic blobs (trains in seconds; for testing the pipeline)',
  model: (store) => blobsModel(store),
  data: (dir, batchSize) => blobsData(dir, batchSize),
};

export const blobsConvTask: TrainTask = {
  name: 'blobs-conv',
  description: 'toy conv segmenter on synthetic blobs (image in, mask logits out)',
  model: (store) => blobsConvModel(store, { size: 16, hidden: 8 }),
  data: (dir, batchSize) => blobsData(dir, batchSize, { size: 16, hidden: 8 }, blobsImageBatch),
};
