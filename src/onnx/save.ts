// Build → emit → write, atomically: a bad graph throws before any byte reaches disk.
import type { Graph } from '../dsl/build.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { emit, type EmitOptions } from './emit.js';

export function saveModel(graph: Graph, path: string, opts: EmitOptions = {}): Uint8Array {
  const bytes = emit(graph, opts);
  writeFileAtomic(path, bytes);
  return bytes;
}
