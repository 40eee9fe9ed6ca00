/**
 * The backend service-provider interface: what an adapter package implements.
 *
 * One coarse, hot primitive: {@link Backend.searchNeighbours}, "row-block similarity + per-row
 * top-k, self excluded". A backend receives raw dense feature blocks once, computes cosine
 * similarities block by block and keeps a running top-k per row; the item×item similarity
 * matrix is never materialised. Everything sparse (neighbour lists, virtual interactions,
 * weights) stays in core.
 */

/** Dense features of one modality: row-major `numItems × dim`, row i = item i. */
export interface FeatureBlock {
  /** Row-major values; float64 input is computed in float32. */
  readonly data: Float32Array | Float64Array;
  /** Number of columns (feature dimension). */
  readonly dim: number;
}

/** Items `start … end - 1`: the query rows of a {@link NeighbourSearchRequest}. */
export interface ItemRange {
  /** First item (0 ≤ start ≤ end). */
  readonly start: number;
  /** One past the last item (≤ numItems). */
  readonly end: number;
}

/** One requested neighbour table: the similarity is the sum of the cosines of `parts`. */
export interface NeighbourOutputSpec {
  /** Indices into {@link NeighbourSearchRequest.parts}; the score of (i, j) is Σ_p cos_p(i, j). */
  readonly parts: readonly number[];
  /** Neighbours to keep per item (≥ 1). */
  readonly k: number;
}

/**
 * Input of {@link Backend.searchNeighbours}.
 *
 * Semantics every backend must follow (enforced by `@vi-mmrec/backend-conformance`):
 * - `cos_p(i, j) = <x_i, x_j> / (|x_i| |x_j|)` in part p, and 0 when either row is all zeros;
 * - for an output, item i is *valid* when its row is non-zero in at least one of the output's
 *   parts; only valid items have neighbours and only valid items are neighbours;
 * - item i is never its own neighbour;
 * - neighbours are ordered by score descending; equal scores put the smaller item id first;
 * - a row with fewer than k candidates is padded with index -1 and score `-Infinity`.
 */
export interface NeighbourSearchRequest {
  /** Number of items (rows of every part). */
  readonly numItems: number;
  /** Dense feature blocks; each has `numItems * dim` values. */
  readonly parts: readonly FeatureBlock[];
  /** The neighbour tables to compute in one pass over the data. */
  readonly outputs: readonly NeighbourOutputSpec[];
  /**
   * Only these items are queries: each table then has `end - start` rows, row r holding the
   * neighbours of item `start + r` among all `numItems` items (what one shard of a split run
   * computes). Absent: every item, `0 … numItems - 1`.
   */
  readonly rows?: ItemRange;
}

/** Top-k neighbours of every queried item: `rows × k`, row-major (rows: `numItems`, or the request's `rows` range). */
export interface NeighbourTable {
  /** Neighbours per row. */
  readonly k: number;
  /** Neighbour item ids, -1 for padding. */
  readonly indices: Int32Array;
  /** Similarity scores (float32), `-Infinity` for padding. */
  readonly scores: Float32Array;
}

/** Progress and cancellation for long backend work. */
export interface SearchOptions {
  /** Aborting rejects the pending call with `AbortedError` (at the next block boundary, and always before it resolves). */
  readonly signal?: AbortSignal;
  /** Called after each block with the query rows finished so far and their total. */
  readonly onProgress?: (doneRows: number, totalRows: number) => void;
}

/** Facts about a backend that core and the conformance suite branch on (never on names). */
export interface BackendCapabilities {
  /** Where the similarity products run. */
  readonly device: 'cpu' | 'gpu';
  /** Bits of float precision of the products (sets the conformance tolerance). */
  readonly floatPrecision: 16 | 32 | 64;
  /** Largest number of items supported, if limited. */
  readonly maxItems?: number;
  /**
   * `false` for an approximate backend: its neighbour *sets* may miss true neighbours (bounded
   * by recall, see the conformance suite), while scores, validity, self-exclusion, tie and
   * padding rules still hold exactly. Absent or `true`: exact search. Automatic resolution
   * picks an approximate backend only above `APPROXIMATE_CROSSOVER_ITEMS`.
   */
  readonly exact?: boolean;
}

/**
 * A compute backend. Lifecycle: `init()` (idempotent, safe to call concurrently; a failed or
 * aborted init is not cached), any number of `searchNeighbours()` calls, then `dispose()`;
 * calls after dispose reject with `BackendDisposedError`. Async methods never throw
 * synchronously. Adapters build one with `defineBackend`, which implements all of this.
 */
export interface Backend extends AsyncDisposable {
  /** Registry name, equal to the adapter package suffix: `'cpu'`, `'onnxruntime-node'`, … */
  readonly name: string;
  /** See {@link BackendCapabilities}. */
  readonly capabilities: BackendCapabilities;
  /** Loads runtimes and allocates resources; rejects with `BackendInitError`. */
  init(signal?: AbortSignal): Promise<void>;
  /** Computes the requested top-k neighbour tables; one table per output, in order. */
  searchNeighbours(request: NeighbourSearchRequest, options?: SearchOptions): Promise<NeighbourTable[]>;
  /** Releases resources; idempotent. */
  dispose(): Promise<void>;
}

/** Creates backends for the registry; see `registerBackend`. */
export interface BackendFactory {
  /** Backend name, e.g. `'cpu'`. */
  readonly name: string;
  /** Higher is tried first by automatic resolution; negative means opt-in only. */
  readonly priority: number;
  /** Human-readable reason why this backend would be chosen (shown by `--backend auto`). */
  readonly description?: string;
  /**
   * `false` when the backend is approximate (its `capabilities.exact` is false), so automatic
   * resolution can order candidates by catalogue size without initialising them. Default `true`.
   */
  readonly exact?: boolean;
  /** Quick check that the runtime can load, without allocating much. */
  isAvailable?(): Promise<boolean>;
  /** Creates a new, uninitialised backend. */
  create(): Backend;
}
