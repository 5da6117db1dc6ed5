// Build → emit → write, atomically: a bad graph throws before any byte reaches disk.
import type { Graph } from '../dsl/build.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { emitChunks, type EmitOptions } from './emit.js';

/** Streams the weights from the parameters to disk: no in-memory copy of the model is made. Returns the file size. */
export function saveModel(graph: Graph, path: string, opts: EmitOptions = {}): number {
  const chunks = emitChunks(graph, opts);
  writeFileAtomic(path, chunks);
  return chunks.reduce((n, c) => n + c.byteLength, 0);
}
