/** Typed arrays a {@link Column} can hold. @internal */
export type ColumnArray = Int32Array | Uint32Array | Uint8Array | Float64Array;

const FIRST_CHUNK = 1 << 10;
const MAX_CHUNK = 1 << 20;

/**
 * A growable column of numbers stored in typed-array chunks (no per-row objects, no copying
 * while it grows). {@link toArray} assembles the exact-length array, releasing chunks as it
 * copies them, so the peak is the data plus one chunk. @internal
 */
export class Column<T extends ColumnArray> {
  private readonly chunks: T[] = [];
  private current: T;
  private used = 0;
  private done = 0;

  constructor(private readonly make: (length: number) => T) {
    this.current = make(FIRST_CHUNK);
  }

  /** Number of values pushed. */
  get length(): number {
    return this.done + this.used;
  }

  /** Appends a value. */
  push(value: number): void {
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.done += this.used;
      this.current = this.make(Math.min(MAX_CHUNK, this.current.length * 2));
      this.used = 0;
    }
    this.current[this.used++] = value;
  }

  /** The values as one array of exactly {@link length} elements; the column is empty afterwards. */
  toArray(): T {
    const out = this.make(this.length);
    let at = 0;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      out.set(chunk, at);
      at += chunk.length;
      this.chunks[c] = this.make(0);
    }
    out.set(this.current.subarray(0, this.used), at);
    this.chunks.length = 0;
    this.current = this.make(0);
    this.used = 0;
    this.done = 0;
    return out;
  }
}
