// Adam (optionally AdamW's decoupled weight decay), with its moments named by parameter path so
// that a checkpoint can hold them and a resumed run continues with exactly the same state.
import type * as tfjs from '@tensorflow/tfjs';
import type { TF, TFTensor } from '../dsl/graph.js';

export interface AdamConfig {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled weight decay (AdamW), per unit learning rate (default 0). */
  readonly weightDecay?: number;
}

/** Checkpoint names of the moments: `__optimizer__.adam.m.<param path>` and `.v.`. */
export const OPTIMIZER_PREFIX = '__optimizer__.adam.';
export const momentName = (which: 'm' | 'v', param: string): string => `${OPTIMIZER_PREFIX}${which}.${param}`;

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Updates applied so far (the t of the bias corrections). */
  step = 0;
  private readonly slots = new Map<string, { v: tfjs.Variable; m: tfjs.Variable; s: tfjs.Variable }>();

  /** `params`: the trainable variables by parameter path. */
  constructor(
    private readonly tf: TF,
    params: ReadonlyMap<string, tfjs.Variable>,
    cfg: AdamConfig = {},
  ) {
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.epsilon = cfg.epsilon ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0;
    for (const [name, v] of params) this.slots.set(name, { v, m: tf.variable(tf.zerosLike(v), false), s: tf.variable(tf.zerosLike(v), false) });
  }

  get config(): Required<AdamConfig> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  /** One update with the gradients by parameter path (a missing gradient leaves its parameter as is). */
  apply(grads: ReadonlyMap<string, TFTensor>, lr: number): void {
    for (const name of grads.keys())
      if (!this.slots.has(name)) throw new Error(`Adam.apply: gradient for '${name}', which is not a parameter this optimiser trains`);
    this.step++;
    const tf = this.tf;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, { v, m, s }] of this.slots) {
        const g = grads.get(name);
        if (!g) continue;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        s.assign(tf.add(tf.mul(s, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        // PyTorch's form: p −= lr/bc1 · m / (√(s/bc2) + ε).
        const denom = tf.add(tf.sqrt(tf.div(s, bc2)), this.epsilon);
        let next = tf.sub(v, tf.mul(tf.div(m, denom), lr / bc1));
        if (this.weightDecay) next = tf.sub(next, tf.mul(v, lr * this.weightDecay));
        v.assign(next);
      }
    });
  }

  /** The moments by checkpoint name (copies). */
  state(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, { m, s }] of this.slots) {
      out.set(momentName('m', name), m.dataSync() as Float32Array);
      out.set(momentName('v', name), s.dataSync() as Float32Array);
    }
    return out;
  }

  /** Restore moments and step; every trained parameter must have both moments. */
  loadState(state: ReadonlyMap<string, Float32Array>, step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`Adam.loadState: step must be a non-negative integer, got ${step}`);
    for (const [name, { m, s }] of this.slots) {
      for (const [which, slot] of [
        ['m', m],
        ['v', s],
      ] as const) {
        const key = momentName(which, name);
        const data = state.get(key);
        if (!data) throw new Error(`Adam.loadState: the checkpoint has no '${key}' (was '${name}' frozen or renamed?)`);
        if (data.length !== slot.size) throw new Error(`Adam.loadState: '${key}' has ${data.length} values, the parameter has ${slot.size}`);
        const t = this.tf.tensor(data, slot.shape, 'float32');
        slot.assign(t);
        t.dispose();
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const { m, s } of this.slots.values()) {
      m.dispose();
      s.dispose();
    }
    this.slots.clear();
  }
}
