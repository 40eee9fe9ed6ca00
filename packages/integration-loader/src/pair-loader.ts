import { InvalidArgumentError, InvalidDataError } from '@vi-mmrec/core';
import { Rng, checkSeed } from './rng.js';
import { sampleAllowed } from './sparse-rows.js';
import type { PairBatch, SparseInteractions, TrainingLoader } from './types.js';

/** Random-stream domain of {@link pairLoader} (distinct from the wrapper's). */
const DOMAIN = 0x504c4431;

/** Options of {@link pairLoader}. */
export interface PairLoaderOptions {
  /** Number of users U (ids 0 … U−1). */
  readonly numUsers: number;
  /** Number of items I (ids 0 … I−1). */
  readonly numItems: number;
  /** User of each training pair. */
  readonly users: ArrayLike<number>;
  /** Item of each training pair (aligned with `users`). */
  readonly items: ArrayLike<number>;
  /** Pairs per batch; default 1024. */
  readonly batchSize?: number;
  /** Seed of shuffling and negative sampling; default 0. */
  readonly seed?: number;
  /** Negatives per pair, drawn uniformly from the items the user has no pair with; default 1, 0 for none. */
  readonly negatives?: number;
  /** Shuffle the pairs every epoch (default true); false keeps the given order. */
  readonly shuffle?: boolean;
}

/** A plain {@link TrainingLoader} over in-memory pairs, with both matrices. */
export interface PairLoader extends TrainingLoader {
  /**
   * Number of pairs per epoch (duplicates included). A fixed count of the real pairs: read
   * through `withVirtualInteractions` it throws (its epochs also hold virtual pairs).
   */
  readonly numPairs: number;
  /** The binary matrix of the pairs (duplicates merged). */
  interactionMatrix(): SparseInteractions;
  /** Same as {@link PairLoader.interactionMatrix}: every pair is a real training item. */
  evaluationMask(): SparseInteractions;
}

function checkCount(value: unknown, option: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(option, `${option} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

/**
 * A plain loader for users without one: each epoch yields the given pairs (shuffled with a
 * per-epoch seeded permutation unless `shuffle: false`) in batches of `batchSize`, each pair
 * with `negatives` negatives drawn uniformly from the items the user has no pair with.
 * Epoch e is a pure function of (`seed`, e): iterating again gives the next epoch.
 *
 * @throws InvalidArgumentError for bad options; InvalidDataError for an id out of range or
 *   a user who has every item (no negative possible).
 */
export function pairLoader(options: PairLoaderOptions): PairLoader {
  const numUsers = checkCount(options.numUsers, 'numUsers', 0);
  const numItems = checkCount(options.numItems, 'numItems', 0);
  const batchSize = checkCount(options.batchSize ?? 1024, 'batchSize', 1);
  const negatives = checkCount(options.negatives ?? 1, 'negatives', 0);
  const seed = checkSeed(options.seed ?? 0);
  const shuffle = options.shuffle ?? true;
  const { users, items } = options;
  if (users.length !== items.length) {
    throw new InvalidArgumentError('items', `users has ${users.length} entries but items has ${items.length}.`);
  }
  const n = users.length;
  const pairUsers = Int32Array.from(users);
  const pairItems = Int32Array.from(items);
  // Binary user-row CSR of the pairs (sorted, duplicates merged).
  const counts = new Int32Array(numUsers + 1);
  for (let p = 0; p < n; p++) {
    const u = pairUsers[p]!;
    const i = pairItems[p]!;
    if (!(u >= 0 && u < numUsers)) throw new InvalidDataError(`pair ${p}`, `user id ${u} is outside 0…${numUsers - 1}.`);
    if (!(i >= 0 && i < numItems)) throw new InvalidDataError(`pair ${p}`, `item id ${i} is outside 0…${numItems - 1}.`);
    counts[u + 1]!++;
  }
  for (let u = 0; u < numUsers; u++) counts[u + 1]! += counts[u]!;
  const fill = counts.slice(0, numUsers);
  const raw = new Int32Array(n);
  for (let p = 0; p < n; p++) raw[fill[pairUsers[p]!]!++] = pairItems[p]!;
  const rowPtr = new Int32Array(numUsers + 1);
  let nnz = 0;
  for (let u = 0; u < numUsers; u++) {
    const row = raw.subarray(counts[u], counts[u + 1]).sort();
    for (let t = 0; t < row.length; t++) if (t === 0 || row[t] !== row[t - 1]) raw[nnz++] = row[t]!;
    rowPtr[u + 1] = nnz;
    if (negatives > 0 && nnz - rowPtr[u]! >= numItems && numItems > 0) {
      throw new InvalidDataError(
        `user ${u}`,
        `has a pair with every one of the ${numItems} items, so no negative can be drawn; pass negatives: 0.`,
      );
    }
  }
  const rowItems = raw.slice(0, nnz);
  const matrix = (): SparseInteractions => ({
    numUsers,
    numItems,
    rowPtr: rowPtr.slice(),
    items: rowItems.slice(),
    values: new Float32Array(nnz).fill(1),
  });
  let epochs = 0;

  // The epoch number is taken when the first batch is requested (an unread iterator uses none).
  async function* epochStream(): AsyncGenerator<PairBatch, void, undefined> {
    const epoch = epochs++;
    const rng = new Rng(seed, epoch, DOMAIN);
    const order = new Int32Array(n);
    for (let p = 0; p < n; p++) order[p] = p;
    if (shuffle) {
      for (let t = n - 1; t > 0; t--) {
        const s = rng.nextInt(t + 1);
        const x = order[t]!;
        order[t] = order[s]!;
        order[s] = x;
      }
    }
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bu = new Int32Array(size);
      const bp = new Int32Array(size);
      const bn = new Int32Array(size * negatives);
      for (let s = 0; s < size; s++) {
        const p = order[start + s]!;
        const u = pairUsers[p]!;
        bu[s] = u;
        bp[s] = pairItems[p]!;
        for (let t = 0; t < negatives; t++) bn[s * negatives + t] = sampleAllowed(rowItems, rowPtr[u]!, rowPtr[u + 1]!, numItems, rng);
      }
      yield negatives > 0 ? { users: bu, positives: bp, negatives: bn } : { users: bu, positives: bp };
    }
  }

  return {
    numUsers,
    numItems,
    numPairs: n,
    [Symbol.asyncIterator]: () => epochStream(),
    interactionMatrix: matrix,
    evaluationMask: matrix,
  };
}
