// A route added to a model (the raster route, the prototype route) must start at zero: the parameters the routed
// graph has beyond the plain one, checked to be all zeros, with every plain parameter still there.
import { expect } from 'vitest';
import type { Graph } from '../../src/dsl/index.js';

/** The routed graph's parameters that the plain graph lacks; fails unless each is zero and the plain ones all remain. */
export function zeroStartedParams(plain: Graph, routed: Graph): Graph['params'] {
  const plainNames = new Set(plain.params.map((p) => p.name));
  const added = routed.params.filter((p) => !plainNames.has(p.name));
  expect(routed.params.length - added.length).toBe(plain.params.length);
  for (const p of added)
    expect(
      p.values().every((v) => v === 0),
      p.name,
    ).toBe(true);
  return added;
}
