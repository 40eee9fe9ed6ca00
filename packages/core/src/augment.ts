import { InvalidArgumentError, InvalidDataError, throwIfAborted } from './errors.js';
import { resolveBackend } from './registry.js';
import {
  type Csr,
  type WeightedCsr,
  enrichedMatrix,
  listTopK,
  mergeNeighbourLists,
  neighbourListCsr,
  trainCsr,
  virtualCounts,
} from './sparse.js';
import { validateNeighbourRequest } from './backend-utils.js';
import type { Backend, FeatureBlock, NeighbourOutputSpec, NeighbourTable } from './spi.js';
import type {
  AugmentInput,
  AugmentOptions,
  AugmentResult,
  DenseModality,
  GroupSummary,
  Modality,
  OAvgMode,
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

function checkInput(input: AugmentInput): void {
  const { numUsers, numItems, modalities } = input;
  // Ids are stored in Int32Array and `id + 1` must fit too.
  if (!Number.isInteger(numUsers) || numUsers < 0 || numUsers > MAX_COUNT) {
    throw new InvalidArgumentError('numUsers', `numUsers must be an integer in 0…${MAX_COUNT}, got ${String(numUsers)}.`);
  }
  if (!Number.isInteger(numItems) || numItems < 0 || numItems > MAX_COUNT) {
    throw new InvalidArgumentError('numItems', `numItems must be an integer in 0…${MAX_COUNT}, got ${String(numItems)}.`);
  }
  const { train } = input;
  if (typeof train !== 'object' || train === null || !isIdArray(train.users) || !isIdArray(train.items)) {
    throw new InvalidArgumentError('train', 'train must be { users, items }, two arrays of integer ids (Int32Array).');
  }
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
          throw new InvalidDataError(where, `feature of item ${Math.floor(p / m.dim)}, column ${p % m.dim} is ${f[p]} (NaN/Inf); clean the features.`);
        }
      }
    } else if (m.kind !== 'neighbours') {
      throw new InvalidArgumentError('modalities', `Modality '${(m as Modality).name}' has unknown kind '${String((m as { kind: unknown }).kind)}'.`);
    }
  }
}

/** Exact float64 fused dense cosine of a pair; used for listed pairs outside the dense top list. */
function densePairScorer(dense: readonly DenseModality[], numItems: number): { score: (i: number, j: number) => number; valid: Uint8Array } {
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
  options: AugmentOptions,
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

/**
 * Computes VI-MMRec's enriched interaction matrix R̄ = R+ + λ Σ_g w^g R^g (see
 * docs/algorithm.md): top-k similar items per item for each group (one per modality for
 * `'overlay'`, one fused for `'synergistic'`), the virtual interactions they induce from the
 * training interactions, and statistically informed group weights w^g = O^g / O_avg.
 *
 * Dense products run on the chosen backend in row blocks; the item×item similarity matrix is
 * never held in memory. Rejects with `InvalidArgumentError` / `InvalidDataError` on bad input
 * and `AbortedError` when `options.signal` aborts.
 */
export async function augment(input: AugmentInput, options: AugmentOptions): Promise<AugmentResult> {
  const t0 = performance.now();
  const opts = resolveAugmentOptions(options);
  checkInput(input);
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const { numUsers, numItems, modalities } = input;
  const { strategy, lambda, oAvg } = opts;
  // No item has more than numItems - 1 neighbours: cap k before any buffer is sized from it.
  const k = Math.min(opts.k, Math.max(1, numItems - 1));
  if (k < opts.k) {
    options.logger?.warn(`k = ${opts.k} is more than the ${Math.max(0, numItems - 1)} other items of ${numItems}; using k = ${k}.`);
  }
  const train: Csr = trainCsr(numUsers, numItems, input.train);
  if (train.cols.length === 0) {
    options.logger?.warn('the training split is empty (no training interaction): the enriched matrix will be empty; check the x_label column (0 = train).');
  }

  const dense = modalities.filter((m): m is DenseModality => m.kind === 'dense');
  const lists = new Map<string, WeightedCsr>();
  for (const m of modalities) if (m.kind === 'neighbours') lists.set(m.name, neighbourListCsr(m, numItems));

  // Which neighbour tables are needed: per modality (overlay groups, or O^m for modality-mean)
  // and the fused one (synergistic).
  const needPerModality = strategy === 'overlay' || oAvg === 'modality-mean';
  const needFused = strategy === 'synergistic';
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
  const fusedOutput = needFused && dense.length > 0 ? outputs.push({ parts: dense.map((_, p) => p), k: Math.min(k + maxListed, Math.max(1, numItems - 1)) }) - 1 : -1;

  const tSim = performance.now();
  let backendName = 'none (neighbour lists only)';
  let denseTables: NeighbourTable[] = [];
  if (outputs.length > 0) {
    const request = { numItems, parts, outputs };
    validateNeighbourRequest(request, 'core');
    denseTables = await withBackend(options.backend, numItems, options, async (backend) => {
      backendName = backend.name;
      const progress = (done: number, total: number): void => onProgress?.({ phase: 'similarity', label: `similarity (${backend.name})`, done, total });
      progress(0, numItems);
      return backend.searchNeighbours(request, { ...(signal === undefined ? {} : { signal }), onProgress: progress });
    });
  }
  const tVirtual = performance.now();
  const similaritySeconds = (tVirtual - tSim) / 1000;
  throwIfAborted(signal);
  const virtualProgress = (done: number): void => onProgress?.({ phase: 'virtual', label: 'virtual interactions', done, total: numUsers });
  virtualProgress(0);

  // Per-modality tables, in the modalities' order.
  const perModality = new Map<string, NeighbourTable>();
  if (needPerModality) {
    let d = 0;
    for (const m of modalities) {
      perModality.set(m.name, m.kind === 'dense' ? denseTables[d++]! : listTopK(numItems, k, lists.get(m.name)!));
    }
  }
  // Groups.
  const groups: Array<{ name: string; modalities: string[]; table: NeighbourTable }> = [];
  if (strategy === 'overlay') {
    for (const m of modalities) groups.push({ name: m.name, modalities: [m.name], table: perModality.get(m.name)! });
  } else {
    const listCsrs = [...lists.values()];
    const denseFused =
      fusedOutput >= 0 ? { table: denseTables[fusedOutput]!, ...densePairScorer(dense, numItems) } : undefined;
    const table =
      listCsrs.length === 0 && denseFused !== undefined && maxListed === 0
        ? denseFused.table
        : mergeNeighbourLists(numItems, k, listCsrs, denseFused);
    groups.push({ name: 'synergistic', modalities: modalities.map((m) => m.name), table });
  }

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
  throwIfAborted(signal);

  // R̄ holds non-zero entries only: a group whose λ·w^g is 0 (λ = 0, or O^g = 0 < O_avg) adds
  // nothing, so its virtual pairs must not appear as zero-weight entries.
  const active = groups.map((g, gi) => ({ table: g.table, weight: summaries[gi]!.weight })).filter((a) => lambda * a.weight !== 0);
  const built = enrichedMatrix(
    train,
    numItems,
    active.map((a) => a.table),
    active.map((a) => a.weight),
    lambda,
    virtualProgress,
  );
  const total = built.items.length;
  const tEnd = performance.now();
  return {
    matrix: { numUsers, numItems, ...built },
    summary: {
      options: { strategy, k, lambda, oAvg, backend: backendName },
      oAvg: oAvgValue,
      modalityOverlaps,
      groups: summaries,
      counts: { users: numUsers, items: numItems, real, virtualOnly: total - real, total },
      seconds: { similarity: similaritySeconds, virtual: (tEnd - tVirtual) / 1000, total: (tEnd - t0) / 1000 },
    },
  };
}
