import { Rng } from './rng.js';

// The models consume the "bring your own loader" protocol of @vi-mmrec/integration-loader
// (types only: nothing of VI-MMRec runs inside a model).
import type { PairBatch, SparseInteractions, TrainingLoader } from '@vi-mmrec/integration-loader';

export type { PairBatch, SparseInteractions, TrainingLoader };

/** Options of {@link baselineLoader}. */
export interface BaselineLoaderOptions {
  /** Pairs per batch; default 2048 (MMRec). */
  readonly batchSize?: number;
  /** Seed of shuffling and negative sampling; default 0. */
  readonly seed?: number;
}

/** Builds a CSR (values 1, duplicates merged, items sorted) from parallel pair arrays. */
export function csrFromPairs(numUsers: number, numItems: number, users: Int32Array, items: Int32Array): SparseInteractions {
  const count = new Int32Array(numUsers + 1);
  for (let p = 0; p < users.length; p++) count[users[p]! + 1]!++;
  for (let u = 0; u < numUsers; u++) count[u + 1]! += count[u]!;
  const fill = count.slice(0, numUsers);
  const raw = new Int32Array(users.length);
  for (let p = 0; p < users.length; p++) raw[fill[users[p]!]!++] = items[p]!;
  const rowPtr = new Int32Array(numUsers + 1);
  const out: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    const row = raw
      .subarray(count[u], count[u + 1])
      .slice()
      .sort();
    for (let q = 0; q < row.length; q++) if (q === 0 || row[q] !== row[q - 1]) out.push(row[q]!);
    rowPtr[u + 1] = out.length;
  }
  void numItems;
  return { numUsers, numItems, rowPtr, items: Int32Array.from(out), values: new Float32Array(out.length).fill(1) };
}

/** True when `item` is in the sorted row `[lo, hi)` of `items`. */
export function rowHas(items: Int32Array, lo: number, hi: number, item: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = items[mid]!;
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * Samples one negative for user `u` uniformly among items not in `exclude`'s row (rejection
 * sampling; falls back to any item after many rejections, for users who interacted with almost
 * everything).
 */
export function sampleNegative(rng: Rng, exclude: SparseInteractions, u: number): number {
  const lo = exclude.rowPtr[u]!;
  const hi = exclude.rowPtr[u + 1]!;
  const n = exclude.numItems;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const j = rng.int(n);
    if (!rowHas(exclude.items, lo, hi, j)) return j;
  }
  return rng.int(n);
}

/** Yields an epoch of shuffled pairs in batches, with one sampled negative per positive. */
export async function* pairEpoch(
  users: Int32Array,
  items: Int32Array,
  exclude: SparseInteractions,
  rng: Rng,
  batchSize: number,
): AsyncGenerator<PairBatch> {
  const order = new Int32Array(users.length);
  for (let p = 0; p < order.length; p++) order[p] = p;
  rng.shuffle(order);
  for (let start = 0; start < order.length; start += batchSize) {
    const n = Math.min(batchSize, order.length - start);
    const bu = new Int32Array(n);
    const bp = new Int32Array(n);
    const bn = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      const p = order[start + b]!;
      bu[b] = users[p]!;
      bp[b] = items[p]!;
      bn[b] = sampleNegative(rng, exclude, bu[b]!);
    }
    yield { users: bu, positives: bp, negatives: bn };
  }
}

/**
 * The MMRec-like baseline loader: each epoch shuffles the training pairs, batches them
 * (2048 by default) and draws one negative per positive uniformly among the items the user
 * has not interacted with. Seeded: the same seed gives the same epochs.
 */
export function baselineLoader(train: SparseInteractions, options: BaselineLoaderOptions = {}): TrainingLoader {
  const batchSize = options.batchSize ?? 2048;
  const rng = new Rng(options.seed ?? 0);
  const users = new Int32Array(train.items.length);
  for (let u = 0; u < train.numUsers; u++) users.fill(u, train.rowPtr[u], train.rowPtr[u + 1]);
  const items = train.items;
  return {
    numUsers: train.numUsers,
    numItems: train.numItems,
    [Symbol.asyncIterator]: () => pairEpoch(users, items, train, rng, batchSize),
    interactionMatrix: () => train,
    evaluationMask: () => train,
  };
}
