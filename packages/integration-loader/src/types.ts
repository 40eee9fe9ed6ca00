/**
 * The "bring your own loader" protocol: the shape a training loop consumes. Models know
 * nothing of vi-mmrec; they read pairs (and optionally matrices) through this interface.
 */

/** One mini-batch of (user, positive item) pairs, aligned by index. */
export interface PairBatch {
  /** User id of each pair. */
  readonly users: Int32Array;
  /** Positive item id of each pair. */
  readonly positives: Int32Array;
  /**
   * Negative items, pair-major: `m` per pair (`negatives.length === m * users.length`), the
   * negatives of pair p at `[p * m, (p + 1) * m)`. Usually `m = 1`.
   */
  readonly negatives?: Int32Array;
  /** Per-pair weight, for losses that accept one. */
  readonly weights?: Float32Array;
}

/** A sparse user × item matrix in user-row CSR form (rows sorted by item id). */
export interface SparseInteractions {
  /** Number of rows (users). */
  readonly numUsers: number;
  /** Number of columns (items). */
  readonly numItems: number;
  /** Row offsets, length `numUsers + 1`. */
  readonly rowPtr: Int32Array;
  /** Item id of each entry. */
  readonly items: Int32Array;
  /** Value of each entry. */
  readonly values: Float32Array;
}

/** What a model consumes: an epoch-wise stream of pair batches, and optional matrices. */
export interface TrainingLoader {
  /** Number of users U (ids 0 … U−1). */
  readonly numUsers: number;
  /** Number of items I (ids 0 … I−1). */
  readonly numItems: number;
  /** Each new iteration is one epoch. */
  [Symbol.asyncIterator](): AsyncIterator<PairBatch>;
  /** The interaction matrix graph models build their adjacency from. */
  interactionMatrix?(): SparseInteractions;
  /** The items masked at evaluation: the user's real training items. */
  evaluationMask?(): SparseInteractions;
}

/** How negatives are drawn for every pair (real and virtual). */
export type NegativePolicy = 'non-interacted' | 'non-real';

/** What {@link withVirtualInteractions} hands to `interactionMatrix()`. */
export type GraphMode = 'weighted' | 'binary';

/** Where virtual interactions enter: the pair stream, the interaction matrix, or both. */
export type InjectMode = 'both' | 'pairs' | 'graph';

/** Options of {@link withVirtualInteractions}. */
export interface VirtualInteractionsOptions {
  /**
   * Seed of all sampling (virtual pairs, their position, negatives); default 0. The same seed
   * gives identical batches epoch by epoch; successive epochs differ.
   */
  readonly seed?: number;
  /**
   * Where negatives come from: `'non-real'` (default) — any item that is not a real training
   * item of the user, virtual ones included; `'non-interacted'` — items that are neither real
   * nor virtual for the user.
   */
  readonly negatives?: NegativePolicy;
  /** `interactionMatrix()` values: `'weighted'` (default, R̄) or `'binary'` (1 per non-zero of R̄). */
  readonly graph?: GraphMode;
  /**
   * Adds a `weights` field to every batch: `max(1, R̄_uj)` — R̄ divided by the pair's
   * sampling probability, so a weighted loss sees R̄ in expectation (real pairs: R̄_ui ≥ 1,
   * multiplied by the original weight if the loader gave one). Default false.
   */
  readonly exposeWeights?: boolean;
  /**
   * Where virtual interactions enter (for ablations): `'both'` (default), `'pairs'` (the pair
   * stream only; `interactionMatrix()` is the original's, else R+), or `'graph'`
   * (`interactionMatrix()` only; the pair stream holds the real pairs, negatives still follow
   * `negatives`).
   */
  readonly inject?: InjectMode;
  /**
   * Pairs per output batch; default the size of the original loader's first batch of the epoch.
   * A `batchSize` data property of the loader reads as this value through the wrapper.
   */
  readonly batchSize?: number;
  /**
   * Members of the loader that do not depend on the epoch's pairs (e.g. `close`, a label) and
   * run on the original as they are, with the original as `this`. Every other member runs
   * against the wrapper, and one that reads the loader's private state, or a fixed epoch count
   * (`length`, `size`, `numPairs`, `numBatches`, `numSteps`, `steps`, `stepsPerEpoch`,
   * `batchesPerEpoch` as a plain value), throws `InvalidArgumentError` naming it rather than
   * describe the real pairs only. Cannot name the members the wrapper serves. Default none.
   */
  readonly passThrough?: readonly PropertyKey[];
}
