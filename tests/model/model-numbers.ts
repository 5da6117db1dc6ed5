// The numbers a model build must keep: parameter names, shapes and count, a hash of the initial weights, and
// ONNX Runtime's output on fixed seeded inputs. tests/model/fixtures/model-numbers.json holds them as recorded
// before the model code was retyped (issue 11); model-numbers.test.ts compares every build with them.
// Write the fixture again (only when the model is meant to change in numbers):
//   npx tsx tests/model/model-numbers.ts write
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configs, withVariant, type EncoderKind, type MaskingStep, type OnePromptConfig, type PromptingStep } from '../../graphs/oneprompt/config.js';
import { buildOnePrompt } from '../../graphs/oneprompt/model.js';
import { emit } from '../../src/onnx/emit.js';
import { onnx } from '../../src/onnx/proto.js';
import { Model } from '../../src/runtime/session.js';
import { randomModelInputs } from '../../graphs/oneprompt/random-inputs.js';
import { OUTPUT_NAME } from '../../graphs/oneprompt/contract.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/model-numbers.json', import.meta.url));

export interface Variant {
  readonly config: 'tiny' | 'small' | 'base';
  readonly parser?: PromptingStep;
  readonly masking?: MaskingStep;
  readonly encoder?: EncoderKind;
}

export interface ParamNumbers {
  /** [name, shape] in graph order. */
  readonly params: [string, number[]][];
  readonly count: number;
  /** sha256 of every parameter's float32 values, in graph order (absent where the weights are too large to make in a test). */
  readonly weightsSha256?: string;
}

export interface OutputNumbers {
  readonly dims: number[];
  /** Every `stride`-th value of the output. */
  readonly stride: number;
  readonly sample: number[];
  readonly sum: number;
  readonly sumAbs: number;
  readonly sumSquares: number;
}

export interface VariantNumbers extends ParamNumbers {
  readonly key: string;
  readonly outputs?: OutputNumbers;
  /** sha256 of the emitted model with each node's source location (its doc string) cleared: the same graph and weights. */
  readonly graphSha256?: string;
}

/** sha256 of an ONNX model with the nodes' doc strings (the DSL's source locations, which move with any edit) cleared. */
export function graphSha256(bytes: Uint8Array): string {
  const model = onnx.ModelProto.decode(bytes);
  for (const node of model.graph?.node ?? []) node.docString = '';
  return createHash('sha256').update(onnx.ModelProto.encode(model).finish()).digest('hex');
}

const PARSERS: PromptingStep[] = ['add', 'concat-mlp', 'stack-mlp'];
const MASKINGS: MaskingStep[] = ['add', 'binary', 'norm', 'gaussian'];

/** tiny (default and its 12 parser × masking variants and the ViT encoder), small, and base (parameters only). */
export const VARIANTS: readonly (Variant & { readonly run: boolean })[] = [
  { config: 'tiny', run: true },
  ...PARSERS.flatMap((parser) => MASKINGS.map((masking) => ({ config: 'tiny' as const, parser, masking, run: true }))),
  { config: 'tiny', encoder: 'vit', run: true },
  { config: 'small', run: true },
  { config: 'base', run: false },
];

export const variantKey = (v: Variant): string => [v.config, v.encoder ?? '', v.parser ?? '', v.masking ?? ''].filter(Boolean).join('/');
export const variantConfig = (v: Variant): OnePromptConfig => withVariant(configs[v.config], v);

const SEED = 0;
const INPUT_SEED = 1234;
const BATCH = 2;

export function paramNumbers(c: OnePromptConfig, withWeights: boolean): { numbers: ParamNumbers; bytes?: Uint8Array } {
  const model = buildOnePrompt(c, SEED);
  const params = model.graph.params.map((p): [string, number[]] => [p.name, [...p.shape]]);
  const count = model.graph.params.reduce((a, p) => a + p.size, 0);
  if (!withWeights) return { numbers: { params, count } };
  const hash = createHash('sha256');
  for (const p of model.graph.params) hash.update(new Uint8Array(p.values().buffer, p.values().byteOffset, p.values().byteLength));
  return { numbers: { params, count, weightsSha256: hash.digest('hex') }, bytes: emit(model.graph) };
}

export async function outputNumbers(c: OnePromptConfig, bytes: Uint8Array): Promise<OutputNumbers> {
  const model = await Model.load(bytes, { threads: 1 });
  try {
    const out = (await model.run(randomModelInputs(c, BATCH, INPUT_SEED)))[OUTPUT_NAME];
    const data = out.data as Float32Array;
    const stride = Math.max(1, Math.floor(data.length / 512));
    const sample: number[] = [];
    let sum = 0;
    let sumAbs = 0;
    let sumSquares = 0;
    for (let i = 0; i < data.length; i++) {
      if (i % stride === 0) sample.push(data[i]);
      sum += data[i];
      sumAbs += Math.abs(data[i]);
      sumSquares += data[i] * data[i];
    }
    return { dims: [...out.dims], stride, sample, sum, sumAbs, sumSquares };
  } finally {
    await model.release();
  }
}

export async function variantNumbers(v: Variant & { readonly run: boolean }): Promise<VariantNumbers> {
  const c = variantConfig(v);
  const { numbers, bytes } = paramNumbers(c, v.run);
  return { key: variantKey(v), ...numbers, ...(bytes ? { outputs: await outputNumbers(c, bytes), graphSha256: graphSha256(bytes) } : {}) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === 'write') {
  const all: VariantNumbers[] = [];
  for (const v of VARIANTS) {
    all.push(await variantNumbers(v));
    console.log(`${variantKey(v)}: ${all[all.length - 1].count} parameters`);
  }
  writeFileSync(FIXTURE, JSON.stringify({ seed: SEED, inputSeed: INPUT_SEED, batch: BATCH, variants: all }) + '\n');
  console.log(`wrote ${FIXTURE}`);
}
