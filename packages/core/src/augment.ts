import { InvalidArgumentError, InvalidDataError, throwIfAborted } from './errors.js';
import { resolveBackend } from './registry.js';
import {
  type Csr,
  type WeightedCsr,
  EnrichedRows,
  listTopK,
  mergeNeighbourLists,
  neighbourListCsr,
  trainCsr,
  virtualCounts,
} from './sparse.js';
import { checkItemRange, validateNeighbourRequest } from './backend-utils.js';
import type { Backend, FeatureBlock, ItemRange, NeighbourOutputSpec, NeighbourSearchRequest, NeighbourTable } from './spi.js';
import type {
  AugmentInput,
  AugmentOptions,
  AugmentResult,
  AugmentSummary,
  DenseModality,
  EnrichedBlock,
  GroupSummary,
  Interactions,
  Logger,
  Modality,
  OAvgMode,
  ProgressEvent,
  Strategy,
} from './types.js';

const STRATEGIES: readonly Strategy[] = ['overlay', 'synergistic'];
/** Largest user or item count: ids live in Int32Array and `count + 1` must fit too. */
const MAX_COUNT = 2 ** 31 - 2;

function isIdArray(a: unknown): boolean {
  return a instanceof Int32Array || a instanceof Uint32Array || Array.isArray(a);
}
const OAVG_MODES: readonly OAvgMode[] = ['modality-mean', 'density'];

/** The options of {@link augment} that {@link resolveAugmentOptions} checked, with defaults applied. */
export interface ResolvedOptions {
  /** {@link AugmentOptions.strategy}. */
  readonly strategy: Strategy;
  /** {@link AugmentOptions.k}: an integer ≥ 1. */
  readonly k: number;
  /** {@link AugmentOptions.lambda}: finite, ≥ 0. */
  readonly lambda: number;
  /** {@link AugmentOptions.oAvg}, `'modality-mean'` when it was not given. */
  readonly oAvg: OAvgMode;
}

/** Checks and normalises the numeric/enumerated options; throws `InvalidArgumentError`. */
export function resolveAugmentOptions(options: Pick<AugmentOptions, 'strategy' | 'k' | 'lambda' | 'oAvg'>): ResolvedOptions {
  const { strategy, k, lambda } = options;
  const oAvg = options.oAvg ?? 'modality-mean';
  if (!STRATEGIES.includes(strategy)) {
    throw new InvalidArgumentError('strategy', `Unknown strategy '${String(strategy)}'; use 'overlay' or 'synergistic'.`);
  }
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new InvalidArgumentError('k', `k must be an integer ≥ 1, got ${String(k)}.`);
  }
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) {
    throw new InvalidArgumentError('lambda', `lambda must be a finite number ≥ 0, got ${String(lambda)}.`);
  }
  if (!OAVG_MODES.includes(oAvg)) {
    throw new InvalidArgumentError('oAvg', `Unknown oAvg '${String(oAvg)}'; use 'modality-mean' or 'density'.`);
  }
  return { strategy, k, lambda, oAvg };
}

function checkCount(name: 'numUsers' | 'numItems', n: number): void {
  // Ids are stored in Int32Array and `id + 1` must fit too.
  if (!Number.isInteger(n) || n < 0 || n > MAX_COUNT) {
    throw new InvalidArgumentError(name, `${name} must be an integer in 0…${MAX_COUNT}, got ${String(n)}.`);
  }
}

function checkTrain(train: Interactions): void {
  if (typeof train !== 'object' || train === null || !isIdArray(train.users) || !isIdArray(train.items)) {
    throw new InvalidArgumentError('train', 'train must be { users, items }, two arrays of integer ids (Int32Array).');
  }
}

function checkModalities(numItems: number, modalities: readonly Modality[]): void {
  const given: unknown = modalities;
  if (!Array.isArray(given) || given.length === 0) {
    throw new InvalidArgumentError('modalities', 'At least one modality (dense features or neighbour lists) is required.');
  }
  const names = new Set<string>();
  for (const m of modalities) {
    if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || m.name === '') {
      throw new InvalidArgumentError('modalities', 'Every modality needs a non-empty string name.');
    }
    if (names.has(m.name)) throw new InvalidArgumentError('modalities', `Modality name '${m.name}' is used twice.`);
    names.add(m.name);
    if (m.kind === 'dense') {
      const where = `modality '${m.name}'`;
      if (!Number.isInteger(m.dim) || m.dim < 1) throw new InvalidDataError(where, `dim must be a positive integer, got ${m.dim}.`);
      if (m.features.length !== numItems * m.dim) {
        const rows = m.features.length / m.dim;
        throw new InvalidDataError(
          where,
          `expected ${numItems} rows of ${m.dim} features (one per item), got ${Number.isInteger(rows) ? `${rows} rows` : `${m.features.length} values`}.`,
        );
      }
      const f = m.features;
      for (let p = 0; p < f.length; p++) {
        if (!Number.isFinite(f[p])) {
          throw new InvalidDataError(
            where,
            `feature of item ${Math.floor(p / m.dim)}, column ${p % m.dim} is ${f[p]} (NaN/Inf); clean the features.`,
          );
        }
      }
    } else if (m.kind !== 'neighbours') {
      throw new InvalidArgumentError(
        'modalities',
        `Modality '${(m as Modality).name}' has unknown kind '${String((m as { kind: unknown }).kind)}'.`,
      );
    }
  }
}

/** Exact float64 fused dense cosine of a pair; used for listed pairs outside the dense top list. */
function densePairScorer(
  dense: readonly DenseModality[],
  numItems: number,
): { score: (i: number, j: number) => number; valid: Uint8Array } {
  const valid = new Uint8Array(numItems);
  const inv = dense.map((m) => {
    const out = new Float64Array(numItems);
    for (let i = 0; i < numItems; i++) {
      let ss = 0;
      for (let c = 0; c < m.dim; c++) ss += m.features[i * m.dim + c]! ** 2;
      if (ss > 0) {
        out[i] = 1 / Math.sqrt(ss);
        valid[i] = 1;
      }
    }
    return out;
  });
  const score = (i: number, j: number): number => {
    let s = 0;
    dense.forEach((m, idx) => {
      const w = inv[idx]![i]! * inv[idx]![j]!;
      if (w === 0) return;
      let dot = 0;
      for (let c = 0; c < m.dim; c++) dot += m.features[i * m.dim + c]! * m.features[j * m.dim + c]!;
      s += dot * w;
    });
    return s;
  };
  return { score, valid };
}

async function withBackend<T>(
  choice: Backend | string | undefined,
  numItems: number,
  options: Pick<AugmentOptions, 'logger' | 'signal'>,
  fn: (b: Backend) => Promise<T>,
): Promise<T> {
  if (typeof choice === 'object') {
    await choice.init(options.signal);
    return fn(choice);
  }
  const hints = choice === undefined || choice === 'auto' ? undefined : [choice];
  const backend = await resolveBackend(hints, {
    numItems,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return fn(backend);
}

/** Which neighbour tables a run needs: per modality and/or the fused one. */
export interface TableNeeds {
  /** One table per modality: the groups of `'overlay'`, and O^m for `oAvg: 'modality-mean'`. */
  readonly perModality: boolean;
  /** The fused table (sum of cosines over all modalities): the group of `'synergistic'`. */
  readonly fused: boolean;
}

/** The neighbour tables a strategy and O_avg mode need. */
export function tablesNeeded(strategy: Strategy, oAvg: OAvgMode = 'modality-mean'): TableNeeds {
  return { perModality: strategy === 'overlay' || oAvg === 'modality-mean', fused: strategy === 'synergistic' };
}

/** Options of {@link searchNeighbourTables}. */
export interface NeighbourTablesOptions extends TableNeeds {
  /** Neighbours per item (integer ≥ 1); capped at `numItems - 1` with a warning. */
  readonly k: number;
  /** As {@link AugmentOptions.backend}. */
  readonly backend?: Backend | string;
  /** Cancels the search; the promise rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
  /** Progress of the similarity phase. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Diagnostics sink; silent by default. */
  readonly logger?: Logger;
  /**
   * Only the neighbours of items `start … end - 1` (among all items), as one shard of a split
   * run: the search does that share of the work. Absent: every item.
   */
  readonly rows?: ItemRange;
}

/**
 * The top-k neighbour tables of a catalogue, per modality and/or fused: what
 * {@link augmentStream} turns into R̄ for any λ and O_avg mode.
 */
export interface NeighbourTables {
  /** Number of items (rows of every table, unless `rows` is set). */
  readonly numItems: number;
  /** The items whose rows the tables hold (row r = item `start + r`), when not every item. */
  readonly rows?: ItemRange;
  /** Neighbours per item, after capping at `numItems - 1`. */
  readonly k: number;
  /** Every modality's name, in input order. */
  readonly modalities: readonly string[];
  /** One table per modality (keyed and ordered like `modalities`), when computed. */
  readonly perModality?: ReadonlyMap<string, NeighbourTable>;
  /** The fused (synergistic) table, when computed. */
  readonly fused?: NeighbourTable;
  /** Name of the backend that computed the dense tables. */
  readonly backend: string;
  /** Seconds spent in the similarity phase. */
  readonly seconds: number;
}

/**
 * Computes the top-k neighbour tables VI-MMRec's groups are built from (docs/algorithm.md,
 * steps 1, 2 and 4): one per modality and/or the fused one, dense products on the chosen
 * backend in row blocks (the item×item matrix is never held), neighbour-list modalities in
 * core. Rejects with `InvalidArgumentError` / `InvalidDataError` on bad input and
 * `AbortedError` when `options.signal` aborts.
 */
export async function searchNeighbourTables(
  input: Pick<AugmentInput, 'numItems' | 'modalities'>,
  options: NeighbourTablesOptions,
): Promise<NeighbourTables> {
  const tSim = performance.now();
  const { numItems, modalities } = input;
  const { signal, onProgress } = options;
  const rows = options.rows ?? { start: 0, end: numItems };
  if (typeof options.k !== 'number' || !Number.isInteger(options.k) || options.k < 1) {
    throw new InvalidArgumentError('k', `k must be an integer ≥ 1, got ${String(options.k)}.`);
  }
  checkCount('numItems', numItems);
  checkModalities(numItems, modalities);
  checkItemRange(rows, numItems);
  throwIfAborted(signal);
  // No item has more than numItems - 1 neighbours: cap k before any buffer is sized from it.
  const k = Math.min(options.k, Math.max(1, numItems - 1));
  if (k < options.k) {
    options.logger?.warn(`k = ${options.k} is more than the ${Math.max(0, numItems - 1)} other items of ${numItems}; using k = ${k}.`);
  }
  const dense = modalities.filter((m): m is DenseModality => m.kind === 'dense');
  const lists = new Map<string, WeightedCsr>();
  for (const m of modalities) if (m.kind === 'neighbours') lists.set(m.name, neighbourListCsr(m, numItems));

  const needPerModality = options.perModality;
  const needFused = options.fused;
  let maxListed = 0;
  if (needFused && lists.size > 0) {
    // Distinct listed neighbours per row over all list modalities (bounds the dense top list).
    const stamp = new Int32Array(numItems).fill(-1);
    for (let i = 0; i < numItems; i++) {
      let n = 0;
      for (const l of lists.values()) {
        for (let p = l.rowPtr[i]!; p < l.rowPtr[i + 1]!; p++) {
          const j = l.cols[p]!;
          if (stamp[j] !== i) {
            stamp[j] = i;
            n++;
          }
        }
      }
      maxListed = Math.max(maxListed, n);
    }
  }
  const parts: FeatureBlock[] = dense.map((m) => ({ data: m.features, dim: m.dim }));
  const outputs: NeighbourOutputSpec[] = [];
  if (needPerModality) dense.forEach((_, p) => outputs.push({ parts: [p], k }));
  const fusedOutput =
    needFused && dense.length > 0
      ? outputs.push({ parts: dense.map((_, p) => p), k: Math.min(k + maxListed, Math.max(1, numItems - 1)) }) - 1
      : -1;

  let backendName = 'none (neighbour lists only)';
  let denseTables: NeighbourTable[] = [];
  if (outputs.length > 0) {
    const request: NeighbourSearchRequest = { numItems, parts, outputs, ...(options.rows === undefined ? {} : { rows }) };
    validateNeighbourRequest(request, 'core');
    denseTables = await withBackend(options.backend, numItems, options, async (backend) => {
      backendName = backend.name;
      const progress = (done: number, total: number): void =>
        onProgress?.({ phase: 'similarity', label: `similarity (${backend.name})`, done, total });
      progress(0, rows.end - rows.start);
      return backend.searchNeighbours(request, { ...(signal === undefined ? {} : { signal }), onProgress: progress });
    });
  }
  throwIfAborted(signal);

  // Per-modality tables, in the modalities' order.
  let perModality: Map<string, NeighbourTable> | undefined;
  if (needPerModality) {
    perModality = new Map();
    let d = 0;
    for (const m of modalities) {
      perModality.set(m.name, m.kind === 'dense' ? denseTables[d++]! : listTopK(numItems, k, lists.get(m.name)!, rows));
    }
  }
  let fused: NeighbourTable | undefined;
  if (needFused) {
    const listCsrs = [...lists.values()];
    const denseFused = fusedOutput >= 0 ? { table: denseTables[fusedOutput]!, ...densePairScorer(dense, numItems) } : undefined;
    fused =
      listCsrs.length === 0 && denseFused !== undefined && maxListed === 0
        ? denseFused.table
        : mergeNeighbourLists(numItems, k, listCsrs, denseFused, rows);
  }
  return {
    numItems,
    ...(options.rows === undefined ? {} : { rows }),
    k,
    modalities: modalities.map((m) => m.name),
    ...(perModality === undefined ? {} : { perModality }),
    ...(fused === undefined ? {} : { fused }),
    backend: backendName,
    seconds: (performance.now() - tSim) / 1000,
  };
}

/** The first `k` neighbours of every row of a table with more. */
function truncateTable(t: NeighbourTable, numItems: number, k: number): NeighbourTable {
  if (t.k === k) return t;
  const indices = new Int32Array(numItems * k);
  const scores = new Float32Array(numItems * k);
  for (let i = 0; i < numItems; i++) {
    indices.set(t.indices.subarray(i * t.k, i * t.k + k), i * k);
    scores.set(t.scores.subarray(i * t.k, i * t.k + k), i * k);
  }
  return { k, indices, scores };
}

/** What {@link augmentStream} works on: R+ without modalities (they are in the tables). */
export type StreamInput = Omit<AugmentInput, 'modalities'>;

/** Options of {@link augmentStream}. */
export interface AugmentStreamOptions {
  /** `'overlay'` or `'synergistic'`; the tables must hold what it needs ({@link tablesNeeded}). */
  readonly strategy: Strategy;
  /** Strength λ ≥ 0 of virtual interactions. */
  readonly lambda: number;
  /** Normaliser of the weights; default `'modality-mean'`. */
  readonly oAvg?: OAvgMode;
  /**
   * Neighbours per item, at most the tables' k (default: the tables' k): each row's first k
   * neighbours are used.
   */
  readonly k?: number;
  /** Checked between blocks: iteration stops with `AbortedError`. */
  readonly signal?: AbortSignal;
}

/** Options of {@link AugmentStream.blocks}. */
export interface BlockOptions {
  /** First user (default 0). */
  readonly userStart?: number;
  /** One past the last user (default `numUsers`). */
  readonly userEnd?: number;
  /** Users per block (default 65,536). Memory per block is about their entries of R̄. */
  readonly blockUsers?: number;
}

/**
 * R̄ computed user block by user block: the group weights are known when the stream is
 * created (a first pass over the users that keeps only per-group counters), the rows are
 * produced on demand by {@link AugmentStream.blocks}.
 */
export interface AugmentStream {
  readonly numUsers: number;
  readonly numItems: number;
  /**
   * Yields the rows of users `userStart … userEnd - 1` in blocks of `blockUsers` users, in
   * order. Each block is new memory: keep only what you need of it.
   */
  blocks(options?: BlockOptions): Generator<EnrichedBlock>;
  /** The summary; `counts.total`/`virtualOnly` count the entries of the blocks yielded so far. */
  summary(): AugmentSummary;
}

/** Default users per block of {@link AugmentStream.blocks}. */
const BLOCK_USERS = 65_536;

/**
 * Prepares R̄ = R+ + λ Σ_g w^g R^g (docs/algorithm.md, steps 3, 5 and 6) from neighbour tables
 * computed by {@link searchNeighbourTables} (or read back from files): counts each group's
 * virtual pairs in one pass over the users (per-group counters only) to get the weights
 * w^g = O^g / O_avg, and returns a stream of user blocks of R̄. The same tables serve any λ,
 * O_avg mode, and k up to theirs. Throws `InvalidArgumentError` on bad options or tables that
 * lack what the strategy needs, `InvalidDataError` on bad interactions.
 */
export function augmentStream(input: StreamInput, tables: NeighbourTables, options: AugmentStreamOptions): AugmentStream {
  const t0 = performance.now();
  const { strategy, lambda, oAvg } = resolveAugmentOptions({ ...options, k: options.k ?? tables.k });
  const { numUsers, numItems } = input;
  checkCount('numUsers', numUsers);
  checkCount('numItems', numItems);
  checkTrain(input.train);
  if (tables.numItems !== numItems) {
    throw new InvalidArgumentError('tables', `the neighbour tables cover ${tables.numItems} items, the input has ${numItems}.`);
  }
  if (tables.rows !== undefined && (tables.rows.start > 0 || tables.rows.end < numItems)) {
    throw new InvalidArgumentError(
      'tables',
      `the neighbour tables hold the rows of items ${tables.rows.start}…${tables.rows.end - 1} only (one shard); R̄ needs every item's rows.`,
    );
  }
  const k = options.k === undefined ? tables.k : Math.min(options.k, Math.max(1, numItems - 1));
  if (k > tables.k) throw new InvalidArgumentError('k', `k = ${k} is more than the ${tables.k} neighbours per item the tables hold.`);
  const need = tablesNeeded(strategy, oAvg);
  const missing = [
    need.perModality && tables.perModality === undefined ? 'per-modality' : '',
    need.fused && tables.fused === undefined ? 'fused' : '',
  ].filter((x) => x !== '');
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      'tables',
      `strategy '${strategy}' with oAvg '${oAvg}' needs the ${missing.join(' and ')} neighbour tables.`,
    );
  }
  return createStream(
    numUsers,
    numItems,
    trainCsr(numUsers, numItems, input.train),
    tables,
    { strategy, lambda, oAvg, k },
    options.signal,
    t0,
  );
}

/** {@link augmentStream} on checked options and an already built R+. */
function createStream(
  numUsers: number,
  numItems: number,
  train: Csr,
  tables: NeighbourTables,
  opts: ResolvedOptions,
  signal: AbortSignal | undefined,
  t0: number,
): AugmentStream {
  const { strategy, lambda, oAvg, k } = opts;
  const need = tablesNeeded(strategy, oAvg);
  const perModality = new Map<string, NeighbourTable>();
  if (need.perModality) for (const [name, t] of tables.perModality!) perModality.set(name, truncateTable(t, numItems, k));
  const groups: Array<{ name: string; modalities: string[]; table: NeighbourTable }> =
    strategy === 'overlay'
      ? [...perModality].map(([name, table]) => ({ name, modalities: [name], table }))
      : [{ name: 'synergistic', modalities: [...tables.modalities], table: truncateTable(tables.fused!, numItems, k) }];

  // Statistically informed weights.
  const real = train.cols.length;
  const modalityOverlaps: Record<string, number> = {};
  const overlaps: number[] = [];
  for (const [name, table] of perModality) {
    const c = virtualCounts(train, table, numItems);
    const overlap = c.pairs === 0 ? 0 : c.real / c.pairs;
    overlaps.push(overlap);
    // defineProperty: a modality may be named '__proto__' (assignment would set the prototype).
    Object.defineProperty(modalityOverlaps, name, { value: overlap, enumerable: true, writable: true, configurable: true });
  }
  const density = numUsers * numItems === 0 ? 0 : real / (numUsers * numItems);
  const oAvgValue = oAvg === 'density' ? density : overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
  const summaries: GroupSummary[] = groups.map((g) => {
    const c = virtualCounts(train, g.table, numItems);
    const overlap = c.pairs === 0 ? 0 : c.real / c.pairs;
    return {
      name: g.name,
      modalities: g.modalities,
      overlap,
      weight: oAvgValue === 0 ? 1 : overlap / oAvgValue,
      virtualPairs: c.pairs,
      virtualNotReal: c.pairs - c.real,
    };
  });

  // R̄ holds non-zero entries only: a group whose λ·w^g is 0 (λ = 0, or O^g = 0 < O_avg) adds
  // nothing, so its virtual pairs must not appear as zero-weight entries.
  const active = groups.map((g, gi) => ({ table: g.table, weight: summaries[gi]!.weight })).filter((a) => lambda * a.weight !== 0);
  const rows = new EnrichedRows(
    train,
    numItems,
    active.map((a) => a.table),
    active.map((a) => a.weight),
    lambda,
  );
  let total = 0;
  let realYielded = 0;
  // Seconds spent building R̄: the weights above, then each block as it is asked for.
  let virtualSeconds = (performance.now() - t0) / 1000;
  return {
    numUsers,
    numItems,
    *blocks(blockOptions: BlockOptions = {}): Generator<EnrichedBlock> {
      const userStart = blockOptions.userStart ?? 0;
      const userEnd = blockOptions.userEnd ?? numUsers;
      const size = blockOptions.blockUsers ?? BLOCK_USERS;
      if (!Number.isInteger(userStart) || !Number.isInteger(userEnd) || userStart < 0 || userEnd > numUsers || userStart > userEnd) {
        throw new InvalidArgumentError('userStart', `users ${userStart}…${userEnd} are not a range within 0…${numUsers}.`);
      }
      if (!Number.isInteger(size) || size < 1)
        throw new InvalidArgumentError('blockUsers', `blockUsers must be an integer ≥ 1, got ${size}.`);
      for (let u = userStart; u < userEnd; u += size) {
        throwIfAborted(signal);
        const tBlock = performance.now();
        const block = rows.block(u, Math.min(userEnd, u + size));
        virtualSeconds += (performance.now() - tBlock) / 1000;
        total += block.items.length;
        realYielded += train.rowPtr[Math.min(userEnd, u + size)]! - train.rowPtr[u]!;
        yield block;
      }
    },
    summary: (): AugmentSummary => ({
      options: { strategy, k, lambda, oAvg, backend: tables.backend },
      oAvg: oAvgValue,
      modalityOverlaps,
      groups: summaries,
      counts: { users: numUsers, items: numItems, real: realYielded, virtualOnly: total - realYielded, total },
      seconds: { similarity: tables.seconds, virtual: virtualSeconds, total: tables.seconds + (performance.now() - t0) / 1000 },
    }),
  };
}

/**
 * Computes VI-MMRec's enriched interaction matrix R̄ = R+ + λ Σ_g w^g R^g (see
 * docs/algorithm.md): top-k similar items per item for each group (one per modality for
 * `'overlay'`, one fused for `'synergistic'`), the virtual interactions they induce from the
 * training interactions, and statistically informed group weights w^g = O^g / O_avg.
 *
 * Dense products run on the chosen backend in row blocks; the item×item similarity matrix is
 * never held in memory. R̄ is returned whole; {@link searchNeighbourTables} and
 * {@link augmentStream} produce it block by block instead. Rejects with
 * `InvalidArgumentError` / `InvalidDataError` on bad input and `AbortedError` when
 * `options.signal` aborts.
 */
export async function augment(input: AugmentInput, options: AugmentOptions): Promise<AugmentResult> {
  const t0 = performance.now();
  const opts = resolveAugmentOptions(options);
  const { numUsers, numItems, modalities } = input;
  checkCount('numUsers', numUsers);
  checkCount('numItems', numItems);
  checkTrain(input.train);
  checkModalities(numItems, modalities);
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const { strategy, oAvg } = opts;
  // No item has more than numItems - 1 neighbours: cap k before any buffer is sized from it.
  const k = Math.min(opts.k, Math.max(1, numItems - 1));
  if (k < opts.k) {
    options.logger?.warn(`k = ${opts.k} is more than the ${Math.max(0, numItems - 1)} other items of ${numItems}; using k = ${k}.`);
  }
  // Id checks before the (long) similarity phase.
  const train: Csr = trainCsr(numUsers, numItems, input.train);
  if (train.cols.length === 0) {
    options.logger?.warn(
      'the training split is empty (no training interaction): the enriched matrix will be empty; check the x_label column (0 = train).',
    );
  }
  const tables = await searchNeighbourTables(input, {
    ...tablesNeeded(strategy, oAvg),
    k,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  onProgress?.({ phase: 'virtual', label: 'virtual interactions', done: 0, total: numUsers });
  const stream = createStream(numUsers, numItems, train, tables, { ...opts, k }, signal, performance.now());
  throwIfAborted(signal);
  // One block of every user: its rowPtr is the matrix's.
  const [block] = [...stream.blocks({ blockUsers: Math.max(1, numUsers) })];
  onProgress?.({ phase: 'virtual', label: 'virtual interactions', done: numUsers, total: numUsers });
  const matrix = block ?? { rowPtr: new Int32Array(1), items: new Int32Array(0), weights: new Float64Array(0), real: new Uint8Array(0) };
  const summary = stream.summary();
  return {
    matrix: { numUsers, numItems, rowPtr: matrix.rowPtr, items: matrix.items, weights: matrix.weights, real: matrix.real },
    summary: { ...summary, seconds: { ...summary.seconds, total: (performance.now() - t0) / 1000 } },
  };
}
