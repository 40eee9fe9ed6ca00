import { InvalidArgumentError, UnsupportedOperationError } from './errors.js';
import type { FeatureBlock, ItemRange, NeighbourSearchRequest, NeighbourTable } from './spi.js';

/**
 * Writes the L2-normalised rows of `block` into `target` as float32 (norms in float64) and
 * returns one flag per item: 1 when the row is non-zero. Zero rows are written as zeros.
 * `target` row i starts at `offset + i * stride`; pass `stride > dim` to build a
 * concatenation of several parts.
 */
export function writeNormalizedRows(
  block: FeatureBlock,
  numItems: number,
  target: Float32Array,
  stride: number = block.dim,
  offset = 0,
): Uint8Array {
  const { data, dim } = block;
  const nonzero = new Uint8Array(numItems);
  for (let i = 0; i < numItems; i++) {
    const base = i * dim;
    let ss = 0;
    for (let c = 0; c < dim; c++) {
      const v = data[base + c]!;
      ss += v * v;
    }
    const out = offset + i * stride;
    if (ss > 0) {
      nonzero[i] = 1;
      const inv = 1 / Math.sqrt(ss);
      for (let c = 0; c < dim; c++) target[out + c] = data[base + c]! * inv;
    } else {
      target.fill(0, out, out + dim);
    }
  }
  return nonzero;
}

/** Per-item validity of an output: non-zero in at least one of its parts. */
export function outputValidity(nonzeroByPart: readonly Uint8Array[], parts: readonly number[], numItems: number): Uint8Array {
  const valid = new Uint8Array(numItems);
  for (const p of parts) {
    const nz = nonzeroByPart[p]!;
    for (let i = 0; i < numItems; i++) valid[i] = valid[i]! | nz[i]!;
  }
  return valid;
}

/** Allocates an empty (all padding) neighbour table of `rows` rows. */
export function emptyNeighbourTable(rows: number, k: number): NeighbourTable {
  const indices = new Int32Array(rows * k).fill(-1);
  const scores = new Float32Array(rows * k).fill(-Infinity);
  return { k, indices, scores };
}

/**
 * Running top-k of one row: keeps the k best (score descending, smaller id first on equal
 * scores). Reusable across rows with {@link TopKSelector.reset}.
 */
export class TopKSelector {
  private readonly ids: Int32Array;
  private readonly vals: Float64Array;
  private size = 0;
  /** Score of the worst kept candidate once full (a candidate must beat it). */
  threshold = -Infinity;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.vals = new Float64Array(k);
  }

  /** Forgets every candidate. */
  reset(): void {
    this.size = 0;
    this.threshold = -Infinity;
  }

  /** Number of candidates kept so far. */
  get count(): number {
    return this.size;
  }

  /** Offers candidate `id` with `score`; ids may come in any order. */
  push(id: number, score: number): void {
    const k = this.k;
    if (this.size < k) {
      this.siftUp(this.size++, id, score);
      if (this.size === k) this.threshold = this.vals[0]!;
      return;
    }
    const rv = this.vals[0]!;
    if (score < rv || (score === rv && id > this.ids[0]!)) return;
    this.siftDown(id, score);
    this.threshold = this.vals[0]!;
  }

  /** Writes the kept candidates, best first, at `out[offset…offset+k)`; pads with -1/-Infinity. */
  drainSorted(outIds: Int32Array, outScores: Float32Array, offset: number): void {
    const n = this.size;
    // Heap pop order is worst first: fill from the back.
    for (let pos = n - 1; pos >= 0; pos--) {
      outIds[offset + pos] = this.ids[0]!;
      outScores[offset + pos] = this.vals[0]!;
      const lastId = this.ids[this.size - 1]!;
      const lastVal = this.vals[this.size - 1]!;
      this.size--;
      if (this.size > 0) this.siftDown(lastId, lastVal);
    }
    for (let pos = n; pos < this.k; pos++) {
      outIds[offset + pos] = -1;
      outScores[offset + pos] = -Infinity;
    }
    this.reset();
  }

  // Min-heap on "quality": worse = lower score, or equal score and larger id.
  private static worse(va: number, ia: number, vb: number, ib: number): boolean {
    return va < vb || (va === vb && ia > ib);
  }

  private siftUp(pos: number, id: number, score: number): void {
    const ids = this.ids;
    const vals = this.vals;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!TopKSelector.worse(score, id, vals[parent]!, ids[parent]!)) break;
      ids[pos] = ids[parent]!;
      vals[pos] = vals[parent]!;
      pos = parent;
    }
    ids[pos] = id;
    vals[pos] = score;
  }

  private siftDown(id: number, score: number): void {
    const ids = this.ids;
    const vals = this.vals;
    const n = this.size;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && TopKSelector.worse(vals[r]!, ids[r]!, vals[l]!, ids[l]!)) c = r;
      if (!TopKSelector.worse(vals[c]!, ids[c]!, score, id)) break;
      ids[pos] = ids[c]!;
      vals[pos] = vals[c]!;
      pos = c;
    }
    ids[pos] = id;
    vals[pos] = score;
  }
}

/**
 * Checks a request's shape (core calls it before any backend; backends may call it again for
 * direct use). Throws `InvalidArgumentError` on a malformed request and
 * `UnsupportedOperationError` when `maxItems` is exceeded.
 */
export function validateNeighbourRequest(request: NeighbourSearchRequest, backend: string, maxItems?: number): void {
  const { numItems, parts, outputs } = request;
  if (!Number.isInteger(numItems) || numItems < 0) {
    throw new InvalidArgumentError('numItems', `numItems must be a non-negative integer, got ${numItems}.`);
  }
  if (maxItems !== undefined && numItems > maxItems) {
    throw new UnsupportedOperationError(
      backend,
      'searchNeighbours',
      `Backend '${backend}' supports at most ${maxItems} items, got ${numItems}; use another backend.`,
    );
  }
  parts.forEach((p, idx) => {
    if (!Number.isInteger(p.dim) || p.dim < 1) {
      throw new InvalidArgumentError('parts', `part ${idx}: dim must be a positive integer, got ${p.dim}.`);
    }
    if (p.data.length !== numItems * p.dim) {
      throw new InvalidArgumentError(
        'parts',
        `part ${idx}: expected ${numItems} × ${p.dim} = ${numItems * p.dim} values, got ${p.data.length}.`,
      );
    }
  });
  if (request.rows !== undefined) checkItemRange(request.rows, numItems);
  outputs.forEach((o, idx) => {
    if (!Number.isInteger(o.k) || o.k < 1) {
      throw new InvalidArgumentError('k', `output ${idx}: k must be an integer ≥ 1, got ${o.k}.`);
    }
    if (o.parts.length === 0 || o.parts.some((p) => !Number.isInteger(p) || p < 0 || p >= parts.length)) {
      throw new InvalidArgumentError('outputs', `output ${idx}: parts must be non-empty indices into parts.`);
    }
  });
}

/**
 * Checks an optional factory option that must be a positive integer; returns it (or
 * undefined when absent). Throws `InvalidArgumentError` naming the factory (e.g. `'cpuBackend'`) and the option.
 */
export function positiveIntegerOption(factory: string, option: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new InvalidArgumentError(option, `${factory}: ${option} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

/** Throws `InvalidArgumentError` (option `rows`) unless `range` is integers with 0 ≤ start ≤ end ≤ numItems. @internal */
export function checkItemRange(range: ItemRange, numItems: number): void {
  const { start, end } = range;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= numItems)) {
    throw new InvalidArgumentError(
      'rows',
      `rows must be integers with 0 ≤ start ≤ end ≤ numItems (${numItems}), got ${String(start)} … ${String(end)}.`,
    );
  }
}

/** The query rows of a validated request: its `rows`, or every item. */
export function queryRows(request: NeighbourSearchRequest): ItemRange {
  return request.rows ?? { start: 0, end: request.numItems };
}
