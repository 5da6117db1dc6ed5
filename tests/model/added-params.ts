// A module added to a model (the raster route, the prototype route, refinement blocks) must keep every parameter the
// plain model had and add only its own; a route must also start at zero.
import { expect } from 'vitest';
import type { Graph } from '../../src/dsl/index.js';

/** The extended graph's parameters that the plain graph lacks; fails unless every plain parameter remains. */
export function addedParams(plain: Graph, extended: Graph): Graph['params'] {
  const plainNames = new Set(plain.params.map((p) => p.name));
  const added = extended.params.filter((p) => !plainNames.has(p.name));
  expect(extended.params.length - added.length).toBe(plain.params.length);
  return added;
}

/** The routed graph's parameters that the plain graph lacks; fails unless each is zero and the plain ones all remain. */
export function zeroStartedParams(plain: Graph, routed: Graph): Graph['params'] {
  const added = addedParams(plain, routed);
  for (const p of added)
    expect(
      p.values().every((v) => v === 0),
      p.name,
    ).toBe(true);
  return added;
}
