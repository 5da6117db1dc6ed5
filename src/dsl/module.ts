// Functional modules: `(scope, ...inputs) => outputs`. Wrapping one names its nodes by its scope's path.
import { withPath } from './graph.js';
import type { Scope } from './params.js';

/** Mark a function as a module; the wrapper keeps the function's (generic) type. */
export function defineModule<F extends (s: Scope, ...args: any[]) => any>(fn: F): F {
  const wrapped = (s: Scope, ...args: unknown[]) => withPath(s.path, () => fn(s, ...args));
  return wrapped as F;
}
