import { availableParallelism } from 'node:os';
import type * as Usearch from 'usearch';
import type { BatchMatches, Matches } from 'usearch';
import { BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import {
  type Backend,
  type NeighbourSearchRequest,
  type NeighbourTable,
  type SearchContext,
  defineBackend,
  queryRows,
  emptyNeighbourTable,
} from '@vi-mmrec/core/backend';

/** How the index stores vectors: `'f16'` halves the index memory at a small cost in recall. */
export type UsearchStorage = 'f32' | 'f16';

/** Options of {@link usearchBackend}; the defaults reach recall@10 ≥ 0.95 in docs/benchmarks.md ("Scale"). */
export interface UsearchBackendOptions {
  /** HNSW connectivity M: graph edges per node and layer (default 16). More is better recall, more memory. */
  readonly connectivity?: number;
  /** Candidate list size while building (`efConstruction`, default 128). More is better recall, slower build. */
  readonly expansionAdd?: number;
  /** Candidate list size while searching (`ef`, default 128; raised to the candidates fetched when smaller). */
  readonly expansionSearch?: number;
  /**
   * Candidates fetched per query, as a multiple of k (default 2): `oversample · k + 1`
   * candidates are rescored exactly and the best k kept, which improves recall and the
   * smaller-id choice among tied candidates at the k-th place.
   */
  readonly oversample?: number;
  /** Vector storage of the index (default `'f32'`). Scores are recomputed exactly either way. */
  readonly storage?: UsearchStorage;
  /** Threads of USearch's build and search (default `os.availableParallelism()`). */
  readonly threads?: number;
  /** Rows per native call; between calls the backend reports progress, checks the signal and yields (default 2048). */
  readonly batchRows?: number;
}

/** The `usearch` module, loaded by `init`. */
type UsearchModule = typeof Usearch;
type UsearchIndex = InstanceType<UsearchModule['Index']>;

/** Searches a batch of rows: `BatchMatches`, or `Matches` for a batch of one (its typings only say the latter). */
function searchRows(index: UsearchIndex, rows: Float32Array, k: number, threads: number): Matches | BatchMatches {
  return index.search(rows, k, threads);
}

const NAME = 'usearch';

const DEFAULTS = { connectivity: 16, expansionAdd: 128, expansionSearch: 128, oversample: 2, storage: 'f32', batchRows: 2048 } as const;

function positiveInteger(option: string, value: number | undefined, min = 1): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new InvalidArgumentError(option, `usearchBackend: ${option} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
}

/** Per part: 1 / ‖row‖ in float64, 0 for an all-zero row. */
function inverseNorms(data: Float32Array | Float64Array, dim: number, numItems: number): Float64Array {
  const inv = new Float64Array(numItems);
  for (let i = 0; i < numItems; i++) {
    let ss = 0;
    for (let c = i * dim, end = c + dim; c < end; c++) ss += data[c]! * data[c]!;
    if (ss > 0) inv[i] = 1 / Math.sqrt(ss);
  }
  return inv;
}

/** One output's view of the request: its parts, their inverse norms and offsets in the concatenation. */
interface Fused {
  readonly parts: ReadonlyArray<{
    readonly data: Float32Array | Float64Array;
    readonly dim: number;
    readonly inv: Float64Array;
    readonly offset: number;
  }>;
  readonly dim: number;
}

/** Writes the concatenated L2-normalised parts of `ids` into `out` (row r of `out` = item ids[r]). */
function writeFusedRows(f: Fused, ids: Int32Array, out: Float32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const i = ids[r]!;
    const row = r * f.dim;
    for (const p of f.parts) {
      const s = p.inv[i]!;
      const src = i * p.dim;
      const dst = row + p.offset;
      for (let c = 0; c < p.dim; c++) out[dst + c] = p.data[src + c]! * s;
    }
  }
}

/** The score of (i, j): the sum over parts of their cosines, in float64 from the raw features. */
function exactScore(f: Fused, i: number, j: number): number {
  let s = 0;
  for (const p of f.parts) {
    const w = p.inv[i]! * p.inv[j]!;
    if (w === 0) continue;
    const a = i * p.dim;
    const b = j * p.dim;
    let dot = 0;
    for (let c = 0; c < p.dim; c++) dot += p.data[a + c]! * p.data[b + c]!;
    s += dot * w;
  }
  return s;
}

/** Yields to the event loop so that signals, timers and progress output get a turn between native calls. */
const yieldToLoop = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Settings {
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
  readonly oversample: number;
  readonly storage: UsearchStorage;
  readonly threads: number;
  readonly batchRows: number;
}

/** Work units of a request (build + search rows of every output), mapped onto the query rows for progress. */
class Progress {
  private done = 0;
  constructor(
    private readonly ctx: SearchContext,
    private readonly queryRows: number,
    private readonly total: number,
  ) {}

  advance(units: number): void {
    this.done += units;
    const rows = this.total === 0 ? this.queryRows : Math.floor((this.queryRows * this.done) / this.total);
    this.ctx.checkpoint(Math.min(this.queryRows, rows));
  }
}

/** The items of the sorted ids `valid` that lie in `start … end - 1`. */
function idsInRange(valid: Int32Array, start: number, end: number): Int32Array {
  const lowerBound = (x: number): number => {
    let lo = 0;
    let hi = valid.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (valid[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return valid.subarray(lowerBound(start), lowerBound(end));
}

/**
 * Fills `table` (row r = item `first + r`) with the neighbours of the `queries` among the
 * `valid` items: all of them are indexed, only the queries searched.
 */
async function searchOutput(
  usearch: UsearchModule,
  settings: Settings,
  f: Fused,
  valid: Int32Array,
  queries: Int32Array,
  first: number,
  k: number,
  table: NeighbourTable,
  progress: Progress,
): Promise<void> {
  const n = valid.length;
  if (n < 2 || queries.length === 0) {
    progress.advance(n + queries.length);
    return;
  }
  const index: UsearchIndex = new usearch.Index({
    dimensions: f.dim,
    metric: usearch.MetricKind.IP,
    quantization: settings.storage === 'f16' ? usearch.ScalarKind.F16 : usearch.ScalarKind.F32,
    connectivity: settings.connectivity,
    expansion_add: settings.expansionAdd,
    expansion_search: Math.max(settings.expansionSearch, settings.oversample * k + 1),
    multi: false,
  });
  const B = settings.batchRows;
  const rows = new Float32Array(Math.min(B, n) * f.dim);
  for (let b = 0; b < n; b += B) {
    const ids = valid.subarray(b, Math.min(n, b + B));
    writeFusedRows(f, ids, rows);
    index.add(
      BigUint64Array.from(ids, (i) => BigInt(i)),
      rows.subarray(0, ids.length * f.dim),
      settings.threads,
    );
    progress.advance(ids.length);
    await yieldToLoop();
  }
  // The query item itself is usually its own nearest match and is dropped, hence the + 1.
  const kq = Math.min(settings.oversample * k + 1, n);
  const candIds = new Int32Array(kq);
  const candScores = new Float32Array(kq);
  for (let b = 0; b < queries.length; b += B) {
    const ids = queries.subarray(b, Math.min(queries.length, b + B));
    writeFusedRows(f, ids, rows);
    const found = searchRows(index, rows.subarray(0, ids.length * f.dim), kq, settings.threads);
    const counts = 'counts' in found ? found.counts : undefined;
    for (let r = 0; r < ids.length; r++) {
      const i = ids[r]!;
      const count = counts === undefined ? found.keys.length : Number(counts[r]);
      let m = 0;
      for (let t = 0; t < count; t++) {
        const j = Number(found.keys[r * kq + t]);
        if (j === i) continue;
        // Scores are recomputed exactly; equal float32 scores put the smaller id first.
        const s = Math.fround(exactScore(f, i, j));
        let pos = m++;
        while (pos > 0 && (candScores[pos - 1]! < s || (candScores[pos - 1] === s && candIds[pos - 1]! > j))) {
          candScores[pos] = candScores[pos - 1]!;
          candIds[pos] = candIds[pos - 1]!;
          pos--;
        }
        candScores[pos] = s;
        candIds[pos] = j;
      }
      const keep = Math.min(m, k);
      table.indices.set(candIds.subarray(0, keep), (i - first) * k);
      table.scores.set(candScores.subarray(0, keep), (i - first) * k);
    }
    progress.advance(ids.length);
    await yieldToLoop();
  }
}

async function search(
  usearch: UsearchModule,
  settings: Settings,
  request: NeighbourSearchRequest,
  ctx: SearchContext,
): Promise<NeighbourTable[]> {
  const { numItems, parts, outputs } = request;
  const { start: first, end: last } = queryRows(request);
  const invByPart = new Map<number, Float64Array>();
  const inv = (p: number): Float64Array => {
    let v = invByPart.get(p);
    if (v === undefined) {
      v = inverseNorms(parts[p]!.data, parts[p]!.dim, numItems);
      invByPart.set(p, v);
    }
    return v;
  };
  const plans = outputs.map((o) => {
    let offset = 0;
    const fusedParts = o.parts.map((p) => {
      const part = { data: parts[p]!.data, dim: parts[p]!.dim, inv: inv(p), offset };
      offset += part.dim;
      return part;
    });
    const fused: Fused = { parts: fusedParts, dim: offset };
    // Valid items (non-zero in at least one of the output's parts) are the only queries and neighbours.
    const valid: number[] = [];
    for (let i = 0; i < numItems; i++) if (fusedParts.some((p) => p.inv[i] !== 0)) valid.push(i);
    const validIds = Int32Array.from(valid);
    return { fused, valid: validIds, queries: idsInRange(validIds, first, last), k: o.k };
  });
  const progress = new Progress(
    ctx,
    last - first,
    plans.reduce((a, p) => a + p.valid.length + p.queries.length, 0),
  );
  progress.advance(0);
  const tables: NeighbourTable[] = [];
  for (const plan of plans) {
    const table = emptyNeighbourTable(last - first, plan.k);
    await searchOutput(usearch, settings, plan.fused, plan.valid, plan.queries, first, plan.k, table, progress);
    tables.push(table);
  }
  progress.advance(0);
  return tables;
}

/**
 * Creates the USearch backend: approximate top-k neighbours from one HNSW index per output
 * (Synergistic: one index over the concatenated L2-normalised parts, whose inner product is
 * the sum of the parts' cosines), built and searched on all cores. The neighbour *set* is
 * approximate (`capabilities.exact` is false); the SPI's rules hold exactly: only valid items
 * are indexed and queried, an item is never its own neighbour, every returned score is the
 * float32 rounding of the exact cosine sum, equal scores put the smaller id first, and rows
 * are padded with -1 / -Infinity. For catalogues below the crossover in docs/benchmarks.md
 * ("Scale"), exact backends are faster; `--backend auto` picks this one only above it.
 *
 * Throws `InvalidArgumentError` for an invalid option; `init()` rejects with
 * `BackendInitError` when the `usearch` package cannot load.
 */
export function usearchBackend(options: UsearchBackendOptions = {}): Backend {
  positiveInteger('connectivity', options.connectivity, 2);
  positiveInteger('expansionAdd', options.expansionAdd);
  positiveInteger('expansionSearch', options.expansionSearch);
  positiveInteger('oversample', options.oversample);
  positiveInteger('threads', options.threads);
  positiveInteger('batchRows', options.batchRows);
  if (options.storage !== undefined && options.storage !== 'f32' && options.storage !== 'f16') {
    throw new InvalidArgumentError('storage', `usearchBackend: storage must be 'f32' or 'f16', got ${String(options.storage)}.`);
  }
  const settings: Settings = {
    connectivity: options.connectivity ?? DEFAULTS.connectivity,
    expansionAdd: options.expansionAdd ?? DEFAULTS.expansionAdd,
    expansionSearch: options.expansionSearch ?? DEFAULTS.expansionSearch,
    oversample: options.oversample ?? DEFAULTS.oversample,
    storage: options.storage ?? DEFAULTS.storage,
    threads: options.threads ?? availableParallelism(),
    batchRows: options.batchRows ?? DEFAULTS.batchRows,
  };
  return defineBackend<UsearchModule>({
    name: NAME,
    capabilities: { device: 'cpu', floatPrecision: 32, exact: false },
    init: async () => importUsearch(),
    rowRanges: true,
    search: async (usearch, request, ctx) => search(usearch, settings, request, ctx),
  });
}

/** Loads the `usearch` package (its native addon ships prebuilt for linux-x64, darwin, win32-x64). */
export async function importUsearch(): Promise<UsearchModule> {
  try {
    const mod = (await import('usearch')) as UsearchModule & { default?: UsearchModule };
    return mod.Index === undefined && mod.default !== undefined ? mod.default : mod;
  } catch (error) {
    throw new BackendInitError(
      NAME,
      `Backend 'usearch' cannot load the usearch package (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); install it with 'npm i usearch'.`,
      { cause: error },
    );
  }
}
