import { InvalidArgumentError, InvalidDataError } from '@vi-mmrec/core';
import type { EnrichedMatrix } from '@vi-mmrec/core';
import type { Rng } from './rng.js';

/**
 * The r-th item (0-based) of `[0, numItems)` that is not in the sorted, duplicate-free
 * `forbidden[a … b)`. Requires `0 ≤ r < numItems − (b − a)`. Exact, O(log(b − a)).
 * @internal
 */
export function nthAllowed(forbidden: Int32Array, a: number, b: number, r: number): number {
  // g(p) = forbidden[p] − (p − a) is the number of allowed items below forbidden[p]; it is
  // non-decreasing, and the answer is r plus the number of p with g(p) ≤ r.
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (forbidden[mid]! - (mid - a) <= r) lo = mid + 1;
    else hi = mid;
  }
  return r + (lo - a);
}

/** A uniform item of `[0, numItems)` outside sorted `forbidden[a … b)`; −1 if none. @internal */
export function sampleAllowed(forbidden: Int32Array, a: number, b: number, numItems: number, rng: Rng): number {
  const free = numItems - (b - a);
  if (free <= 0) return -1;
  return nthAllowed(forbidden, a, b, rng.nextInt(free));
}

/** True when `x` is in sorted `arr[a … b)`. @internal */
export function sortedHas(arr: Int32Array, a: number, b: number, x: number): boolean {
  return sortedIndex(arr, a, b, x) >= 0;
}

/** Index of `x` in sorted `arr[a … b)`, or −1. @internal */
export function sortedIndex(arr: Int32Array, a: number, b: number, x: number): number {
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = arr[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/**
 * An enriched matrix R̄ prepared once for sampling. Nothing is copied per purely virtual
 * entry: sampling reads R̄'s own typed arrays. The only copy is the CSR of the real items
 * (4 bytes per real entry), which negatives and pair checks search. @internal
 */
export interface PreparedMatrix {
  readonly numUsers: number;
  readonly numItems: number;
  /** R̄ itself (rows sorted by item). */
  readonly matrix: EnrichedMatrix;
  /** CSR of the real items per user. */
  readonly realRowPtr: Int32Array;
  readonly realItems: Int32Array;
  /** Number of purely virtual entries. */
  readonly numVirtual: number;
  /** Expected number of virtual pairs drawn per epoch: Σ min(1, R̄) over the virtual entries. */
  readonly expectedVirtual: number;
}

/** Validates R̄'s structure (shape, sorted rows, finite positive weights) and prepares it. @internal */
export function prepareMatrix(matrix: EnrichedMatrix, where = 'result.matrix'): PreparedMatrix {
  const { numUsers, numItems, rowPtr, items, weights, real } = matrix;
  if (!Number.isInteger(numUsers) || numUsers < 0 || !Number.isInteger(numItems) || numItems < 0) {
    throw new InvalidArgumentError('result', `${where}: numUsers and numItems must be non-negative integers.`);
  }
  if (rowPtr.length !== numUsers + 1 || rowPtr[0] !== 0) {
    throw new InvalidDataError(where, `rowPtr must have numUsers + 1 = ${numUsers + 1} entries starting at 0, got ${rowPtr.length}.`);
  }
  const nnz = rowPtr[numUsers]!;
  if (items.length !== nnz || weights.length !== nnz || real.length !== nnz) {
    throw new InvalidDataError(where, `items, weights and real must each have rowPtr[numUsers] = ${nnz} entries.`);
  }
  let numReal = 0;
  let expectedVirtual = 0;
  for (let u = 0; u < numUsers; u++) {
    const a = rowPtr[u]!;
    const b = rowPtr[u + 1]!;
    if (b < a) throw new InvalidDataError(where, `rowPtr decreases at user ${u}.`);
    for (let p = a; p < b; p++) {
      const i = items[p]!;
      if (i < 0 || i >= numItems) throw new InvalidDataError(where, `user ${u}: item id ${i} is outside 0…${numItems - 1}.`);
      if (p > a && items[p - 1]! >= i) throw new InvalidDataError(where, `user ${u}: items are not sorted and distinct at entry ${p}.`);
      const w = weights[p]!;
      if (!Number.isFinite(w) || w <= 0)
        throw new InvalidDataError(where, `user ${u}, item ${i}: weight ${w} is not a finite positive number.`);
      if (real[p] === 1) numReal++;
      else expectedVirtual += Math.min(1, w);
    }
  }
  const realRowPtr = new Int32Array(numUsers + 1);
  const realItems = new Int32Array(numReal);
  let r = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let p = rowPtr[u]!; p < rowPtr[u + 1]!; p++) if (real[p] === 1) realItems[r++] = items[p]!;
    realRowPtr[u + 1] = r;
  }
  return { numUsers, numItems, matrix, realRowPtr, realItems, numVirtual: nnz - numReal, expectedVirtual };
}

/**
 * The purely virtual entries of R̄ drawn for one epoch, each with probability min(1, R̄),
 * in random order: indices into R̄'s `items`/`weights` (use {@link rowOf} for the user). One
 * pass over R̄ in row order (one `nextFloat` per virtual entry), then a Fisher–Yates shuffle;
 * memory is 4 bytes per drawn entry. @internal
 */
export function sampleVirtual(prepared: PreparedMatrix, rng: Rng): Int32Array {
  const { weights, real } = prepared.matrix;
  const nnz = real.length;
  // Capacity: the mean plus 6σ (σ ≤ √mean), never more than the virtual entries; doubled if exceeded.
  const mean = prepared.expectedVirtual;
  let chosen = new Int32Array(Math.min(prepared.numVirtual, Math.ceil(mean + 6 * Math.sqrt(mean) + 16)));
  let n = 0;
  for (let p = 0; p < nnz; p++) {
    if (real[p] === 1 || !(rng.nextFloat() < weights[p]!)) continue;
    if (n === chosen.length) {
      const grown = new Int32Array(Math.min(prepared.numVirtual, 2 * chosen.length));
      grown.set(chosen);
      chosen = grown;
    }
    chosen[n++] = p;
  }
  for (let t = n - 1; t > 0; t--) {
    const s = rng.nextInt(t + 1);
    const x = chosen[t]!;
    chosen[t] = chosen[s]!;
    chosen[s] = x;
  }
  return chosen.subarray(0, n);
}

/** The row (user) of entry `p` of a CSR with row offsets `rowPtr`. @internal */
export function rowOf(rowPtr: Int32Array, p: number): number {
  // Invariant rowPtr[lo] ≤ p < rowPtr[hi]; ends with hi = lo + 1 (empty rows never qualify).
  let lo = 0;
  let hi = rowPtr.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (rowPtr[mid]! <= p) lo = mid;
    else hi = mid;
  }
  return lo;
}
