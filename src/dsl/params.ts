// Parameters named by module path, initialised lazily and deterministically from (seed, path).
import type { Shape } from './types/shape.js';
import { makeValue } from './graph.js';
import { Tensor } from './tensor.js';
import { RuleError, fmtShape } from './dim.js';
import { fillNormal, fillUniform, hashSeed } from '../util/rng.js';

/** How a parameter's values are made. */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'values'; readonly values: Float32Array };

export const init = {
  zeros: { kind: 'zeros' } as Init,
  ones: { kind: 'ones' } as Init,
  constant: (value: number): Init => ({ kind: 'constant', value }),
  uniform: (bound: number): Init => ({ kind: 'uniform', bound }),
  normal: (std: number): Init => ({ kind: 'normal', std }),
  /** PyTorch's default for Linear/Conv: U(−1/√fanIn, 1/√fanIn). */
  fanIn: (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) }),
  values: (values: Float32Array): Init => ({ kind: 'values', values }),
};

export class Param {
  private data: Float32Array | undefined;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly init: Init,
    readonly seed: number,
    /** Frozen parameters are exported but not trained. */
    public trainable = true,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** The values, made on first use (one copy, shared by the emitter and the trainer). */
  values(): Float32Array {
    if (!this.data) this.data = materialise(this.init, this.size, hashSeed(this.seed, this.name));
    return this.data;
  }
  /** Replace the values (loaded weights, trained weights). */
  set(values: Float32Array): void {
    if (values.length !== this.size)
      throw new RuleError(`parameter '${this.name}': got ${values.length} values for shape ${fmtShape(this.shape)} (${this.size})`);
    this.data = values;
  }
  /** Drop made values so they can be garbage-collected (they are remade identically on demand). */
  release(): void {
    if (this.init.kind !== 'values') this.data = undefined;
  }
}

function materialise(init: Init, n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'constant':
      return out.fill(init.value);
    case 'uniform':
      fillUniform(out, seed, -init.bound, init.bound);
      return out;
    case 'normal':
      fillNormal(out, seed, 0, init.std);
      return out;
    case 'values':
      if (init.values.length !== n) throw new RuleError(`init.values: got ${init.values.length} values for ${n} elements`);
      return init.values;
  }
}

/** Where parameters live: one per model build, holding the seed. */
export class ParamStore {
  readonly params = new Map<string, Param>();
  constructor(readonly seed = 0) {}
  root(): Scope {
    return new Scope(this, '');
  }
}

const SEGMENT = /^[A-Za-z0-9_]+$/;

/** A position in the module tree: `scope.at('attn').at('q')` names `attn.q.*`. */
export class Scope {
  constructor(
    readonly store: ParamStore,
    readonly path: string,
  ) {}
  at(name: string | number): Scope {
    const seg = String(name);
    if (!SEGMENT.test(seg)) throw new RuleError(`scope: '${seg}' is not a valid module name (letters, digits, _)`);
    return new Scope(this.store, this.path ? `${this.path}.${seg}` : seg);
  }
  /** A fixed, non-trained tensor saved with the weights (PyTorch calls these buffers), e.g. a Fourier basis. */
  buffer<const S extends Shape>(name: string, shape: S, how: Init): Tensor<S, 'float32'> {
    const t = this.param(name, shape, how);
    this.store.params.get(this.path ? `${this.path}.${name}` : name)!.trainable = false;
    return t;
  }
  /**
   * Declare (or reuse, for weight sharing) the parameter `path.name`. Its dims are numbers when the graph is built;
   * a body checked with named dims may size it by them (`[N, 'N+N+N']` is then [64, 192]).
   */
  param<const S extends Shape>(name: string, shape: S, how: Init): Tensor<S, 'float32'> {
    const full = this.path ? `${this.path}.${name}` : name;
    const dims = shape.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0) throw new RuleError(`parameter '${full}': dim ${d} must be a positive integer`);
      return d;
    });
    let p = this.store.params.get(full);
    if (p) {
      if (p.shape.length !== dims.length || p.shape.some((d, i) => d !== dims[i]))
        throw new RuleError(`parameter '${full}' is reused with shape ${fmtShape(shape)} but was declared ${fmtShape(p.shape)}`);
    } else {
      p = new Param(full, dims, how, this.store.seed);
      this.store.params.set(full, p);
    }
    return new Tensor(paramValue(p));
  }
}

// One Value per Param, so a shared weight is one initializer.
const paramValues = new WeakMap<Param, ReturnType<typeof makeValue>>();
function paramValue(p: Param) {
  let v = paramValues.get(p);
  if (!v) {
    v = makeValue(p.shape, 'float32', { kind: 'param', param: p });
    paramValues.set(p, v);
  }
  return v;
}
