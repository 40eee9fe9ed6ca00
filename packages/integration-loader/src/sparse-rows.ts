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
 * Views of an enriched matrix R̄ prepared once for sampling: the real rows (the evaluation
 * mask), the purely virtual entries with their sampling probability min(1, R̄). @internal
 */
export interface PreparedMatrix {
  readonly numUsers: number;
  readonly numItems: number;
  /** R̄ itself (rows sorted by item). */
  readonly matrix: EnrichedMatrix;
  /** CSR of the real items per user. */
  readonly realRowPtr: Int32Array;
  readonly realItems: Int32Array;
  /** Purely virtual entries: user, item, and R̄ value. */
  readonly virtualUsers: Int32Array;
  readonly virtualItems: Int32Array;
  readonly virtualWeights: Float64Array;
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
  let numVirtual = 0;
  for (let u = 0; u < numUsers; u++) {
    const a = rowPtr[u]!;
    const b = rowPtr[u + 1]!;
    if (b < a) throw new InvalidDataError(where, `rowPtr decreases at user ${u}.`);
    for (let p = a; p < b; p++) {
      const i = items[p]!;
      if (i < 0 || i >= numItems) throw new InvalidDataError(where, `user ${u}: item id ${i} is outside 0…${numItems - 1}.`);
      if (p > a && items[p - 1]! >= i) throw new InvalidDataError(where, `user ${u}: items are not sorted and distinct at entry ${p}.`);
      const w = weights[p]!;
      if (!Number.isFinite(w) || w <= 0) throw new InvalidDataError(where, `user ${u}, item ${i}: weight ${w} is not a finite positive number.`);
      if (real[p] === 1) numReal++;
      else numVirtual++;
    }
  }
  const realRowPtr = new Int32Array(numUsers + 1);
  const realItems = new Int32Array(numReal);
  const virtualUsers = new Int32Array(numVirtual);
  const virtualItems = new Int32Array(numVirtual);
  const virtualWeights = new Float64Array(numVirtual);
  let r = 0;
  let v = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let p = rowPtr[u]!; p < rowPtr[u + 1]!; p++) {
      if (real[p] === 1) {
        realItems[r++] = items[p]!;
      } else {
        virtualUsers[v] = u;
        virtualItems[v] = items[p]!;
        virtualWeights[v++] = weights[p]!;
      }
    }
    realRowPtr[u + 1] = r;
  }
  return { numUsers, numItems, matrix, realRowPtr, realItems, virtualUsers, virtualItems, virtualWeights };
}
