/**
 * An independent, brute-force float64 reference of VI-MMRec, written from docs/algorithm.md
 * (not from core's implementation). It materialises full I × I similarity matrices, so it is
 * only meant for the small inputs of tests.
 */
import type { AugmentInput, Modality, OAvgMode, Strategy } from '@vi-mmrec/core';
import type { ItemRange, NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';

/**
 * A reference top-k table (float64 scores) plus the full score matrix it was cut from, so
 * comparators can judge near-ties at the k-th boundary.
 */
export interface ReferenceNeighbourTable {
  /** Number of items (every item is a candidate; the rows unless `rows` is set). */
  readonly numItems: number;
  /** The request's query range: the table holds the rows of these items only (row r = item `start + r`). */
  readonly rows?: ItemRange;
  /** Neighbours per row. */
  readonly k: number;
  /** Neighbour ids, row-major `numItems × k`, -1 for padding. */
  readonly indices: Int32Array;
  /** Float64 scores, `-Infinity` for padding. */
  readonly scores: Float64Array;
  /** How many cosines are summed in a score (scales the rounding tolerance). */
  readonly terms: number;
  /** Float64 score of `j` as a candidate of `i`, or `undefined` when `j` is not a candidate. */
  score(i: number, j: number): number | undefined;
  /**
   * True when every conforming implementation computes bit-identical scores for candidates
   * `a` and `b` of row `i` (identical feature rows, identical list entries), so the
   * smaller-id tie break between them is deterministic and must be respected exactly.
   */
  twins(i: number, a: number, b: number): boolean;
}

/** Full score matrix with candidate flags; the building block of every reference table. */
interface ScoreMatrix {
  readonly n: number;
  /** `s[i * n + j]`, meaningful only where `cand[i * n + j] === 1`. */
  readonly s: Float64Array;
  readonly cand: Uint8Array;
}

/** Float64 cosine matrix of one dense block and the per-row non-zero flags. */
function denseCosines(data: ArrayLike<number>, dim: number, n: number): { cos: Float64Array; nonzero: Uint8Array } {
  const norm = new Float64Array(n);
  const nonzero = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += data[i * dim + c]! * data[i * dim + c]!;
    norm[i] = Math.sqrt(ss);
    nonzero[i] = ss > 0 ? 1 : 0;
  }
  const cos = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (nonzero[i] === 0 || nonzero[j] === 0) continue;
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += data[i * dim + c]! * data[j * dim + c]!;
      cos[i * n + j] = dot / (norm[i]! * norm[j]!);
    }
  }
  return { cos, nonzero };
}

function rowsEqual(data: ArrayLike<number>, dim: number, a: number, b: number): boolean {
  for (let c = 0; c < dim; c++) if (data[a * dim + c] !== data[b * dim + c]) return false;
  return true;
}

/** Cuts the top-k of every row: score descending, smaller id first on equal scores. */
function topK(m: ScoreMatrix, k: number, terms: number, twins: (i: number, a: number, b: number) => boolean): ReferenceNeighbourTable {
  const { n, s, cand } = m;
  const indices = new Int32Array(n * k).fill(-1);
  const scores = new Float64Array(n * k).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i && cand[i * n + j] === 1) row.push(j);
    row.sort((a, b) => s[i * n + b]! - s[i * n + a]! || a - b);
    for (let t = 0; t < Math.min(k, row.length); t++) {
      indices[i * k + t] = row[t]!;
      scores[i * k + t] = s[i * n + row[t]!]!;
    }
  }
  return {
    numItems: n,
    k,
    indices,
    scores,
    terms,
    score: (i, j) => (i !== j && cand[i * n + j] === 1 ? s[i * n + j] : undefined),
    twins,
  };
}

/**
 * Reference of the backend primitive `searchNeighbours`: for each output, the top-k table
 * under `Σ_{p ∈ output} cos_p(i, j)` (a zero row has cosine 0 in that part), candidates
 * being the items valid in the output (non-zero in at least one of its parts), self excluded.
 * With `request.rows`, the rows of those items only (`rows` set).
 */
export function referenceNeighbours(request: NeighbourSearchRequest): ReferenceNeighbourTable[] {
  const every = referenceNeighboursOfEveryItem(request);
  const { rows } = request;
  if (rows === undefined) return every;
  return every.map((t) => ({
    ...t,
    rows,
    indices: t.indices.slice(rows.start * t.k, rows.end * t.k),
    scores: t.scores.slice(rows.start * t.k, rows.end * t.k),
  }));
}

function referenceNeighboursOfEveryItem(request: NeighbourSearchRequest): ReferenceNeighbourTable[] {
  const n = request.numItems;
  const parts = request.parts.map((p) => denseCosines(p.data, p.dim, n));
  return request.outputs.map((o) => {
    const s = new Float64Array(n * n);
    const cand = new Uint8Array(n * n);
    const valid = new Uint8Array(n);
    for (const p of o.parts) for (let i = 0; i < n; i++) valid[i] = valid[i]! | parts[p]!.nonzero[i]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j || valid[i] === 0 || valid[j] === 0) continue;
        cand[i * n + j] = 1;
        let sum = 0;
        for (const p of o.parts) sum += parts[p]!.cos[i * n + j]!;
        s[i * n + j] = sum;
      }
    }
    const twins = (_i: number, a: number, b: number): boolean =>
      o.parts.every((p) => rowsEqual(request.parts[p]!.data, request.parts[p]!.dim, a, b));
    return topK({ n, s, cand }, o.k, o.parts.length, twins);
  });
}

/** Options of {@link referenceAugment} (the numeric subset of core's `AugmentOptions`). */
export interface ReferenceAugmentOptions {
  readonly strategy: Strategy;
  readonly k: number;
  readonly lambda: number;
  readonly oAvg?: OAvgMode;
}

/** One group's statistics, as in core's `GroupSummary`. */
export interface ReferenceGroup {
  readonly name: string;
  readonly modalities: readonly string[];
  readonly overlap: number;
  readonly weight: number;
  readonly virtualPairs: number;
  readonly virtualNotReal: number;
}

/** Result of {@link referenceAugment}. */
export interface ReferenceAugmentResult {
  readonly numUsers: number;
  readonly numItems: number;
  /** Non-zero entries of R̄ per user: item → weight. */
  readonly rows: ReadonlyArray<ReadonlyMap<number, number>>;
  /** R+ per user (duplicates merged). */
  readonly real: ReadonlyArray<ReadonlySet<number>>;
  /** R^g per group (same order as `summary.groups`): the set of virtual items per user. */
  readonly virtual: ReadonlyArray<ReadonlyArray<ReadonlySet<number>>>;
  readonly summary: {
    readonly oAvg: number;
    readonly modalityOverlaps: Readonly<Record<string, number>>;
    readonly groups: readonly ReferenceGroup[];
  };
  /** The top-k table of each group (same order as `summary.groups`). */
  readonly groupTables: readonly ReferenceNeighbourTable[];
  /** The per-modality tables used for `modalityOverlaps` (empty when not needed). */
  readonly modalityTables: ReadonlyMap<string, ReferenceNeighbourTable>;
}

/** The similarity of one modality as a full matrix with candidates (docs step 1). */
interface ModalityScores extends ScoreMatrix {
  /** Dense: non-zero row flags; lists: undefined. */
  readonly nonzero?: Uint8Array;
  /** Dense: identical-row test; lists: identical entry test for row i. */
  readonly sameFor: (i: number, a: number, b: number) => boolean;
  /** Lists: whether j is listed for i. */
  readonly listed?: (i: number, j: number) => boolean;
}

function modalityScores(m: Modality, n: number): ModalityScores {
  if (m.kind === 'dense') {
    const { cos, nonzero } = denseCosines(m.features, m.dim, n);
    const cand = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && nonzero[i] === 1 && nonzero[j] === 1) cand[i * n + j] = 1;
    return { n, s: cos, cand, nonzero, sameFor: (_i, a, b) => rowsEqual(m.features, m.dim, a, b) };
  }
  const s = new Float64Array(n * n);
  const cand = new Uint8Array(n * n);
  for (let e = 0; e < m.items.length; e++) {
    const i = m.items[e]!;
    const j = m.neighbours[e]!;
    if (i === j) continue; // self entries are ignored
    cand[i * n + j] = 1;
    s[i * n + j] = m.cosines[e]!;
  }
  const listed = (i: number, j: number): boolean => cand[i * n + j] === 1;
  const sameFor = (i: number, a: number, b: number): boolean => listed(i, a) === listed(i, b) && s[i * n + a] === s[i * n + b];
  return { n, s, cand, sameFor, listed };
}

/** R^g: per user, the union of the neighbours of the user's training items (docs step 3). */
function virtualSets(real: ReadonlyArray<ReadonlySet<number>>, table: ReferenceNeighbourTable): Array<Set<number>> {
  return real.map((items) => {
    const out = new Set<number>();
    for (const i of items) {
      for (let t = 0; t < table.k; t++) {
        const j = table.indices[i * table.k + t]!;
        if (j >= 0) out.add(j);
      }
    }
    return out;
  });
}

/** |R^g| and |R^g ∩ R+|. */
function counts(real: ReadonlyArray<ReadonlySet<number>>, virtual: ReadonlyArray<ReadonlySet<number>>): { pairs: number; hits: number } {
  let pairs = 0;
  let hits = 0;
  virtual.forEach((v, u) => {
    pairs += v.size;
    for (const j of v) if (real[u]!.has(j)) hits++;
  });
  return { pairs, hits };
}

/**
 * Reference of core's `augment`: R̄ = R+ + λ Σ_g w^g R^g with the group statistics, computed
 * literally from docs/algorithm.md in float64 with brute-force similarity matrices. Inputs
 * are assumed valid (validation is tested separately).
 */
export function referenceAugment(input: AugmentInput, options: ReferenceAugmentOptions): ReferenceAugmentResult {
  const { numUsers: U, numItems: n, modalities } = input;
  const { strategy, k, lambda } = options;
  const oAvgMode = options.oAvg ?? 'modality-mean';

  const real: Array<Set<number>> = Array.from({ length: U }, () => new Set<number>());
  for (let p = 0; p < input.train.users.length; p++) real[input.train.users[p]!]!.add(input.train.items[p]!);
  let numReal = 0;
  for (const r of real) numReal += r.size;

  const scores = modalities.map((m) => modalityScores(m, n));
  const modalityTable = (idx: number): ReferenceNeighbourTable => {
    const sc = scores[idx]!;
    return topK(sc, k, 1, sc.sameFor);
  };

  // Groups (step 4).
  const groupDefs: Array<{ name: string; modalities: string[]; table: ReferenceNeighbourTable }> = [];
  if (strategy === 'overlay') {
    modalities.forEach((m, idx) => groupDefs.push({ name: m.name, modalities: [m.name], table: modalityTable(idx) }));
  } else {
    const s = new Float64Array(n * n);
    const cand = new Uint8Array(n * n);
    const denseIdx = modalities.flatMap((m, idx) => (m.kind === 'dense' ? [idx] : []));
    const listIdx = modalities.flatMap((m, idx) => (m.kind === 'neighbours' ? [idx] : []));
    const denseValid = new Uint8Array(n);
    for (const d of denseIdx) for (let i = 0; i < n; i++) denseValid[i] = denseValid[i]! | scores[d]!.nonzero![i]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        let isCand = denseValid[i] === 1 && denseValid[j] === 1;
        let sum = 0;
        for (const idx of scores.keys()) {
          const sc = scores[idx]!;
          if (sc.cand[i * n + j] === 1) {
            sum += sc.s[i * n + j]!;
            if (sc.listed !== undefined) isCand = true;
          }
        }
        if (isCand) {
          cand[i * n + j] = 1;
          s[i * n + j] = sum;
        }
      }
    }
    // Twins: identical dense rows and, when lists are involved, unlisted for i in every list
    // (a listed pair may be scored in mixed precision by a fused merge).
    const twins = (i: number, a: number, b: number): boolean =>
      denseIdx.every((d) => scores[d]!.sameFor(i, a, b)) &&
      listIdx.every((l) => (denseIdx.length === 0 ? scores[l]!.sameFor(i, a, b) : !scores[l]!.listed!(i, a) && !scores[l]!.listed!(i, b)));
    groupDefs.push({
      name: 'synergistic',
      modalities: modalities.map((m) => m.name),
      table: topK({ n, s, cand }, k, modalities.length, twins),
    });
  }

  // Per-modality overlaps, when needed (overlay, or modality-mean).
  const modalityOverlaps: Record<string, number> = {};
  const modalityTables = new Map<string, ReferenceNeighbourTable>();
  if (strategy === 'overlay' || oAvgMode === 'modality-mean') {
    modalities.forEach((m, idx) => {
      const table = strategy === 'overlay' ? groupDefs[idx]!.table : modalityTable(idx);
      modalityTables.set(m.name, table);
      const c = counts(real, virtualSets(real, table));
      modalityOverlaps[m.name] = c.pairs === 0 ? 0 : c.hits / c.pairs;
    });
  }
  let oAvg: number;
  if (oAvgMode === 'density') {
    oAvg = U * n === 0 ? 0 : numReal / (U * n);
  } else {
    const values = Object.values(modalityOverlaps);
    oAvg = values.reduce((a, b) => a + b, 0) / values.length;
  }

  // Weights (step 5) and R̄ (step 6).
  const virtual = groupDefs.map((g) => virtualSets(real, g.table));
  const groups: ReferenceGroup[] = groupDefs.map((g, gi) => {
    const c = counts(real, virtual[gi]!);
    const overlap = c.pairs === 0 ? 0 : c.hits / c.pairs;
    return {
      name: g.name,
      modalities: g.modalities,
      overlap,
      weight: oAvg === 0 ? 1 : overlap / oAvg,
      virtualPairs: c.pairs,
      virtualNotReal: c.pairs - c.hits,
    };
  });
  const rows = real.map((items, u) => {
    const row = new Map<number, number>();
    for (const i of items) row.set(i, 1);
    groups.forEach((g, gi) => {
      for (const j of virtual[gi]![u]!) row.set(j, (row.get(j) ?? 0) + lambda * g.weight);
    });
    for (const [j, w] of row) if (w === 0) row.delete(j);
    return row;
  });
  return {
    numUsers: U,
    numItems: n,
    rows,
    real,
    virtual,
    summary: { oAvg, modalityOverlaps, groups },
    groupTables: groupDefs.map((g) => g.table),
    modalityTables,
  };
}

/**
 * What a perfect float32 implementation would return for a reference table: every candidate's
 * score rounded to float32 *before* ordering (score desc, smaller id first). Used as an ideal
 * backend in tests.
 */
export function float32Table(r: ReferenceNeighbourTable): NeighbourTable {
  const { numItems: n, k } = r;
  const first = r.rows?.start ?? 0;
  const rows = r.rows === undefined ? n : r.rows.end - r.rows.start;
  const indices = new Int32Array(rows * k).fill(-1);
  const scores = new Float32Array(rows * k).fill(-Infinity);
  for (let i = first; i < first + rows; i++) {
    const row: Array<[number, number]> = [];
    for (let j = 0; j < n; j++) {
      const s = r.score(i, j);
      if (s !== undefined) row.push([j, Math.fround(s)]);
    }
    row.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    row.slice(0, k).forEach(([j, s], t) => {
      indices[(i - first) * k + t] = j;
      scores[(i - first) * k + t] = s;
    });
  }
  return { k, indices, scores };
}
