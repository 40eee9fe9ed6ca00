import type { Backend } from './spi.js';

/** How virtual interactions are grouped: per modality, or one fused similarity. */
export type Strategy = 'overlay' | 'synergistic';

/** What the group overlaps are divided by: mean of per-modality overlaps, or density of R+. */
export type OAvgMode = 'modality-mean' | 'density';

/** A modality given as dense item features (`numItems × dim`, row i = item i). */
export interface DenseModality {
  readonly kind: 'dense';
  /** Modality name, e.g. `'image'`. */
  readonly name: string;
  /** Row-major features; float64 input is computed in float32. */
  readonly features: Float32Array | Float64Array;
  /** Feature dimension. */
  readonly dim: number;
}

/**
 * A modality given as precomputed neighbour lists (e.g. a cached kNN graph): parallel arrays
 * of directed entries `item → neighbour` with their cosine. Unlisted pairs are unknown: never
 * chosen in this modality, and 0 when fused. Entries with `neighbour === item` are ignored.
 */
export interface NeighbourListModality {
  readonly kind: 'neighbours';
  /** Modality name, e.g. `'text'`. */
  readonly name: string;
  /** Source item of each entry. */
  readonly items: Int32Array;
  /** Neighbour item of each entry. */
  readonly neighbours: Int32Array;
  /** Cosine similarity of each entry. */
  readonly cosines: Float32Array | Float64Array;
}

/** One modality: dense features or neighbour lists; they mix freely. */
export type Modality = DenseModality | NeighbourListModality;

/** Training interactions R+ as parallel arrays of (user, item) pairs; duplicates are merged. */
export interface Interactions {
  readonly users: Int32Array;
  readonly items: Int32Array;
}

/** What {@link augment} works on. Only the *training* split belongs here, never valid/test. */
export interface AugmentInput {
  /** Number of users U (ids are 0 … U-1). */
  readonly numUsers: number;
  /** Number of items I (ids are 0 … I-1). */
  readonly numItems: number;
  /** Training interactions R+. */
  readonly train: Interactions;
  /** At least one modality. */
  readonly modalities: readonly Modality[];
}

/** A progress report of a long phase. */
export interface ProgressEvent {
  /** Phase id: `'similarity'` (backend products) or `'virtual'` (sparse work). */
  readonly phase: 'similarity' | 'virtual';
  /** Human-readable label of the phase. */
  readonly label: string;
  /** Units done so far. */
  readonly done: number;
  /** Units in total. */
  readonly total: number;
}

/** Receives diagnostics (backend choice, fallbacks). Library code never writes to the console. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Options of {@link augment}. */
export interface AugmentOptions {
  /** `'overlay'` (one group per modality) or `'synergistic'` (one fused group). */
  readonly strategy: Strategy;
  /**
   * Neighbours per item (integer ≥ 1). A k above `numItems - 1` (no item has more neighbours)
   * is capped to it, with a warning through {@link AugmentOptions.logger}.
   */
  readonly k: number;
  /** Strength λ ≥ 0 of virtual interactions. */
  readonly lambda: number;
  /** Normaliser of the weights; default `'modality-mean'`. */
  readonly oAvg?: OAvgMode;
  /**
   * A backend instance (used as is, not disposed), a registered backend name, or `'auto'`
   * (default): the registered backend of highest priority that initialises, exact at or
   * below `APPROXIMATE_CROSSOVER_ITEMS` items and approximate (when one is registered) above.
   */
  readonly backend?: Backend | string;
  /** Cancels the run; the promise rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
  /** Progress of long phases. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Diagnostics sink; silent by default. */
  readonly logger?: Logger;
}

/**
 * The enriched matrix R̄ = R+ + λ Σ_g w^g R^g as a sparse user-row (CSR) structure: the
 * entries of user u are `items[rowPtr[u] … rowPtr[u+1])`, sorted by item id.
 */
export interface EnrichedMatrix {
  readonly numUsers: number;
  readonly numItems: number;
  /** Row offsets, length `numUsers + 1`. */
  readonly rowPtr: Int32Array;
  /** Item id of each non-zero entry. */
  readonly items: Int32Array;
  /** R̄ value of each entry: ≥ 1 for real pairs, λ Σ w^g R^g for purely virtual ones. */
  readonly weights: Float64Array;
  /** 1 where the pair is a real training interaction, 0 where it is purely virtual. */
  readonly real: Uint8Array;
}

/**
 * The rows of R̄ for a contiguous block of users, as {@link augmentStream} yields them: user
 * `userStart + r` has the entries `items[rowPtr[r] … rowPtr[r+1])`, sorted by item id.
 */
export interface EnrichedBlock {
  /** Id of the block's first user. */
  readonly userStart: number;
  /** Local row offsets, length (users in the block) + 1, starting at 0. */
  readonly rowPtr: Int32Array;
  /** Item id of each non-zero entry. */
  readonly items: Int32Array;
  /** R̄ value of each entry. */
  readonly weights: Float64Array;
  /** 1 where the pair is a real training interaction, 0 where it is purely virtual. */
  readonly real: Uint8Array;
}

/** Statistics of one group of virtual interactions. */
export interface GroupSummary {
  /** Group name: the modality name (overlay) or `'synergistic'`. */
  readonly name: string;
  /** Modalities whose similarities form the group. */
  readonly modalities: readonly string[];
  /** O^g = |R^g ∩ R+| / |R^g| (0 when R^g is empty). */
  readonly overlap: number;
  /** w^g = O^g / O_avg (1 when O_avg is 0). */
  readonly weight: number;
  /** |R^g|: distinct (user, item) pairs in the group's virtual matrix. */
  readonly virtualPairs: number;
  /** |R^g \ R+|: those that are not real training pairs. */
  readonly virtualNotReal: number;
}

/** Summary of a run (what the CLI writes as JSON). */
export interface AugmentSummary {
  /** The options used, normalised (`k` after capping at `numItems - 1`). */
  readonly options: {
    readonly strategy: Strategy;
    readonly k: number;
    readonly lambda: number;
    readonly oAvg: OAvgMode;
    readonly backend: string;
  };
  /** The value of O_avg used. */
  readonly oAvg: number;
  /** O^m of every modality (computed when needed: always for overlay and modality-mean). */
  readonly modalityOverlaps: Readonly<Record<string, number>>;
  /** One entry per group. */
  readonly groups: readonly GroupSummary[];
  /** Counts over R̄. */
  readonly counts: {
    readonly users: number;
    readonly items: number;
    /** |R+| (distinct training pairs). */
    readonly real: number;
    /** Entries of R̄ that are purely virtual. */
    readonly virtualOnly: number;
    /** All non-zero entries of R̄. */
    readonly total: number;
  };
  /**
   * Wall seconds per phase: `similarity` = the neighbour search (backend start if not yet
   * started, normalisation, the backend's own set-up such as sessions, products, top-k);
   * `virtual` = everything after it (virtual interactions, overlaps, weights, R̄); `total` =
   * the whole call. The `onProgress` events of each phase start when its clock starts.
   */
  readonly seconds: { readonly similarity: number; readonly virtual: number; readonly total: number };
}

/** Result of {@link augment}. */
export interface AugmentResult {
  /** R̄ with its real and virtual views. */
  readonly matrix: EnrichedMatrix;
  /** Statistics and options. */
  readonly summary: AugmentSummary;
}
