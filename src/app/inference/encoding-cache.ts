// Encodings kept across prompts within a byte budget (the browser tool keeps each slice's encoding while prompts
// change, prompt-segmenter.ts). An encoding that would overflow the budget is not kept: it is made again when next
// needed. First come, first kept: a volume scanned slice by slice on every prompt would be thrown out in turn by a
// least-recently-used cache just before it is needed again, while this keeps a fixed part of it and re-encodes the
// rest. Browser-safe.
export class EncodingCache<E> {
  private readonly entries = new Map<string, { readonly encoding: E; readonly bytes: number }>();
  private held = 0;

  constructor(
    /** The most bytes of encodings kept. */
    readonly budget: number,
    private readonly bytesOf: (e: E) => number,
  ) {}

  get(key: string): E | undefined {
    return this.entries.get(key)?.encoding;
  }

  /** Keep `e` under `key` if it fits in what is left of the budget; whether it was kept. */
  set(key: string, e: E): boolean {
    const bytes = this.bytesOf(e);
    const old = this.entries.get(key);
    if (this.held - (old?.bytes ?? 0) + bytes > this.budget) return false;
    this.held += bytes - (old?.bytes ?? 0);
    this.entries.set(key, { encoding: e, bytes });
    return true;
  }

  /** Drop the entries whose key fails `keep` (images no longer shown, another plane). */
  retain(keep: (key: string) => boolean): void {
    for (const [key, v] of this.entries)
      if (!keep(key)) {
        this.entries.delete(key);
        this.held -= v.bytes;
      }
  }

  get size(): number {
    return this.entries.size;
  }
  get bytes(): number {
    return this.held;
  }
}
