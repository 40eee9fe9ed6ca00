import type { NeighbourTable } from '@vi-mmrec/core/backend';
import { type CompareNeighbourOptions, type ReferenceNeighbourTable, scoreTolerance } from '@vi-mmrec/test-utils';

/**
 * Least recall@k an approximate backend (`capabilities.exact === false`) must reach on every
 * test of the suite, pooled over the rows (and fast-check runs) of that test. Recall is
 * tie-aware: a returned neighbour is a hit when its reference score reaches the reference's
 * k-th score (within float tolerance), so a tied candidate counts like the one it replaced.
 */
export const MIN_APPROXIMATE_RECALL = 0.9;

/** Hits and expected neighbours, pooled by {@link compareApproximateTables}. */
export interface RecallTally {
  /** Returned neighbours that belong to the (tie-aware) reference top-k. */
  hits: number;
  /** Neighbours the reference has (its non-padding entries). */
  expected: number;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(9) : String(x));

/**
 * The checks of an approximate backend's table against the float64 reference: everything the
 * SPI promises except the exact neighbour set. Returns a message for the first violation, and
 * adds the row's hits to `tally`:
 * - shape, and padding (-1, -Infinity) only after the last neighbour;
 * - at most as many neighbours as the reference (never an invalid item, never self, no repeats);
 * - every score equals the reference cosine sum of that pair within float tolerance;
 * - scores descending, and equal scores ordered by smaller id.
 */
export function compareApproximateTables(
  actual: NeighbourTable,
  reference: ReferenceNeighbourTable,
  options: CompareNeighbourOptions,
  tally: RecallTally,
): string | undefined {
  const label = options.label === undefined ? '' : `${options.label}: `;
  const { k } = reference;
  // Rows: every item, or the request's query range.
  const n = reference.rows === undefined ? reference.numItems : reference.rows.end - reference.rows.start;
  if (actual.k !== k) return `${label}k is ${actual.k}, expected ${k}`;
  if (actual.indices.length !== n * k || actual.scores.length !== n * k) {
    return `${label}expected ${n} × ${k} = ${n * k} entries, got ${actual.indices.length} indices and ${actual.scores.length} scores`;
  }
  const tol = (s: number): number => scoreTolerance(s, reference.terms, options.relTol);
  const firstRow = reference.rows?.start ?? 0;
  for (let row = 0; row < n; row++) {
    const i = firstRow + row;
    const where = `${label}row ${i}`;
    const expected = Array.from(reference.indices.subarray(row * k, (row + 1) * k)).filter((j) => j >= 0).length;
    const ids = Array.from(actual.indices.subarray(row * k, (row + 1) * k));
    const scores = Array.from(actual.scores.subarray(row * k, (row + 1) * k));
    const first = ids.findIndex((j) => j < 0);
    const m = first < 0 ? k : first;
    for (let t = m; t < k; t++) {
      if (ids[t] !== -1 || scores[t] !== -Infinity)
        return `${where}, slot ${t}: padding must be (-1, -Infinity) after the first -1, got (${ids[t]}, ${scores[t]})`;
    }
    if (m > expected)
      return `${where}: ${m} neighbours, but only ${expected} valid candidates exist (zero rows and self are never neighbours)`;
    const kth = expected === 0 ? Infinity : reference.scores[row * k + expected - 1]!;
    const seen = new Set<number>();
    for (let t = 0; t < m; t++) {
      const j = ids[t]!;
      if (j === i) return `${where}: item is its own neighbour (slot ${t})`;
      if (seen.has(j)) return `${where}: neighbour ${j} appears twice`;
      seen.add(j);
      const r = reference.score(i, j);
      if (r === undefined) return `${where}, slot ${t}: ${j} is not a candidate (zero row)`;
      const a = scores[t]!;
      if (!(Math.abs(a - r) <= tol(r)))
        return `${where}, slot ${t}: score of ${j} is ${fmt(a)}, reference ${fmt(r)} (|Δ| > ${fmt(tol(r))})`;
      if (t > 0) {
        const pa = scores[t - 1]!;
        if (a > pa) return `${where}, slots ${t - 1}–${t}: scores not descending (${ids[t - 1]}: ${fmt(pa)}, ${j}: ${fmt(a)})`;
        if (a === pa && j < ids[t - 1]!)
          return `${where}, slots ${t - 1}–${t}: equal scores ${fmt(a)} must put the smaller id first (${ids[t - 1]} before ${j})`;
      }
      if (r >= kth - tol(kth)) tally.hits++;
    }
    tally.expected += expected;
  }
  return undefined;
}

/** Recall of a tally (1 when nothing was expected). */
export function recallOf(tally: RecallTally): number {
  return tally.expected === 0 ? 1 : tally.hits / tally.expected;
}
