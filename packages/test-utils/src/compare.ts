/**
 * Comparators between an implementation's output and the float64 reference. They accept a
 * difference only where it traces back to a near-tie (candidates whose reference scores are
 * within float rounding of each other) and otherwise describe the first mismatch.
 */
import type { AugmentResult } from '@vi-mmrec/core';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { type ReferenceAugmentResult, type ReferenceNeighbourTable, referenceNeighbours } from './reference.js';

/** Relative score tolerance for a backend's `capabilities.floatPrecision` (tfjs `testEpsilon`). */
export function relTolForPrecision(floatPrecision: 16 | 32 | 64): number {
  return floatPrecision === 16 ? 1e-2 : floatPrecision === 32 ? 1e-5 : 1e-6;
}

/** Absolute tolerance for a score `s` summed from `terms` cosines: `relTol·(1+|s|)·terms`. */
export function scoreTolerance(s: number, terms: number, relTol: number): number {
  return relTol * (1 + Math.abs(s)) * Math.max(1, terms);
}

/** Options of {@link compareNeighbourTables}. */
export interface CompareNeighbourOptions {
  /** See {@link relTolForPrecision}. */
  readonly relTol: number;
  /** Label prefixed to messages (e.g. `'output 1'`). */
  readonly label?: string;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(9) : String(x));

/**
 * Compares an implementation's neighbour table with the reference. Returns `undefined` when
 * they agree, else a message naming the first mismatch. Accepted differences:
 * - scores within {@link scoreTolerance} of the reference;
 * - a different neighbour set only where swapped candidates' reference scores lie within
 *   tolerance of the k-th reference score (a near-tie at the boundary), unless they are
 *   twins (bit-identical scores), for which the smaller-id rule is exact;
 * - a different order only between near-tied neighbours; equal actual scores must still be
 *   ordered by smaller id first.
 */
export function compareNeighbourTables(
  actual: NeighbourTable,
  reference: ReferenceNeighbourTable,
  options: CompareNeighbourOptions,
): string | undefined {
  const { relTol } = options;
  const label = options.label === undefined ? '' : `${options.label}: `;
  // Rows: every item, or the request's query range.
  const n = reference.rows === undefined ? reference.numItems : reference.rows.end - reference.rows.start;
  const k = reference.k;
  if (actual.k !== k) return `${label}k is ${actual.k}, expected ${k}`;
  if (actual.indices.length !== n * k || actual.scores.length !== n * k) {
    return `${label}expected ${n} × ${k} = ${n * k} entries, got ${actual.indices.length} indices and ${actual.scores.length} scores`;
  }
  const tol = (s: number): number => scoreTolerance(s, reference.terms, relTol);
  const first = reference.rows?.start ?? 0;
  for (let row = 0; row < n; row++) {
    const i = first + row;
    const where = `${label}row ${i}`;
    const refRow = Array.from(reference.indices.subarray(row * k, (row + 1) * k)).filter((j) => j >= 0);
    const actIds = Array.from(actual.indices.subarray(row * k, (row + 1) * k));
    const actScores = Array.from(actual.scores.subarray(row * k, (row + 1) * k));
    const count = actIds.findIndex((j) => j < 0);
    const m = count < 0 ? k : count;
    for (let t = m; t < k; t++) {
      if (actIds[t] !== -1 || actScores[t] !== -Infinity) {
        return `${where}, slot ${t}: padding must be (-1, -Infinity) after the first -1, got (${actIds[t]}, ${actScores[t]})`;
      }
    }
    if (m !== refRow.length) {
      return `${where}: ${m} neighbours [${actIds.slice(0, m).join(', ')}], expected ${refRow.length} [${refRow.join(', ')}] (candidate validity: zero rows, self, unlisted pairs)`;
    }
    const seen = new Set<number>();
    for (let t = 0; t < m; t++) {
      const j = actIds[t]!;
      if (j === i) return `${where}: item is its own neighbour (slot ${t})`;
      if (seen.has(j)) return `${where}: neighbour ${j} appears twice`;
      seen.add(j);
      const r = reference.score(i, j);
      if (r === undefined)
        return `${where}, slot ${t}: ${j} is not a candidate (zero row or unknown pair), expected [${refRow.join(', ')}]`;
      const a = actScores[t]!;
      if (!(Math.abs(a - r) <= tol(r)))
        return `${where}, slot ${t}: score of ${j} is ${fmt(a)}, reference ${fmt(r)} (|Δ| > ${fmt(tol(r))})`;
      if (t > 0) {
        const pj = actIds[t - 1]!;
        const pa = actScores[t - 1]!;
        if (a > pa) return `${where}, slots ${t - 1}–${t}: scores not descending (${pj}: ${fmt(pa)}, ${j}: ${fmt(a)})`;
        if (a === pa && j < pj)
          return `${where}, slots ${t - 1}–${t}: equal scores ${fmt(a)} must put the smaller id first (${pj} before ${j})`;
        const pr = reference.score(i, pj)!;
        if (r > pr + tol(pr))
          return `${where}, slots ${t - 1}–${t}: ${j} (reference ${fmt(r)}) should come before ${pj} (reference ${fmt(pr)})`;
        if (r === pr && j < pj && reference.twins(i, j, pj)) {
          return `${where}, slots ${t - 1}–${t}: twins ${pj} and ${j} (identical rows) must be ordered by smaller id`;
        }
      }
    }
    if (m === 0) continue;
    const kth = reference.scores[row * k + m - 1]!;
    const refSet = new Set(refRow);
    const extra = actIds.slice(0, m).filter((j) => !refSet.has(j));
    const missing = refRow.filter((j) => !seen.has(j));
    for (const j of extra) {
      const r = reference.score(i, j)!;
      if (r < kth - tol(kth)) {
        return `${where}: neighbour ${j} (reference ${fmt(r)}) is below the k-th reference score ${fmt(kth)}; expected [${refRow.join(', ')}], got [${actIds.slice(0, m).join(', ')}]`;
      }
    }
    for (const j of missing) {
      const r = reference.score(i, j)!;
      if (r > kth + tol(kth)) {
        return `${where}: missing neighbour ${j} (reference ${fmt(r)}, k-th ${fmt(kth)}); expected [${refRow.join(', ')}], got [${actIds.slice(0, m).join(', ')}]`;
      }
      for (const x of extra) {
        if (reference.twins(i, j, x) && j < x) {
          return `${where}: twins ${j} and ${x} (identical rows, equal scores): the smaller id ${j} must be kept; expected [${refRow.join(', ')}], got [${actIds.slice(0, m).join(', ')}]`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Compares a whole `searchNeighbours` result with {@link referenceNeighbours} of its request
 * (one table per output, each by {@link compareNeighbourTables}). Returns `undefined` when
 * they agree, else the first mismatch, prefixed with its output.
 */
export function compareSearch(
  request: NeighbourSearchRequest,
  tables: readonly NeighbourTable[],
  options: CompareNeighbourOptions,
): string | undefined {
  if (tables.length !== request.outputs.length) return `expected ${request.outputs.length} tables (one per output), got ${tables.length}`;
  const label = options.label === undefined ? '' : `${options.label}: `;
  const refs = referenceNeighbours(request);
  for (const [o, ref] of refs.entries()) {
    const message = compareNeighbourTables(tables[o]!, ref, { relTol: options.relTol, label: `${label}output ${o}` });
    if (message !== undefined) return message;
  }
  return undefined;
}

/**
 * Rows of a reference table whose k-th boundary is contested: a candidate outside the top-k
 * is within tolerance of the k-th score and not a twin of every boundary candidate inside.
 * Such rows may legitimately come out differently in float32. For a table of every item (no `rows`).
 */
export function contestedRows(reference: ReferenceNeighbourTable, relTol: number): Set<number> {
  const out = new Set<number>();
  const { numItems: n, k } = reference;
  for (let i = 0; i < n; i++) {
    const inside = Array.from(reference.indices.subarray(i * k, (i + 1) * k)).filter((j) => j >= 0);
    if (inside.length < k) continue; // every candidate is kept: nothing to contest
    const kth = reference.scores[i * k + k - 1]!;
    const tol = scoreTolerance(kth, reference.terms, relTol);
    const insideSet = new Set(inside);
    const bandIn = inside.filter((j) => Math.abs(reference.score(i, j)! - kth) <= tol);
    for (let j = 0; j < n; j++) {
      if (insideSet.has(j)) continue;
      const r = reference.score(i, j);
      if (r === undefined || Math.abs(r - kth) > tol) continue;
      if (!bandIn.every((a) => reference.twins(i, a, j))) {
        out.add(i);
        break;
      }
    }
  }
  return out;
}

/** Options of {@link compareAugmentResults}. */
export interface CompareAugmentOptions {
  /** Score tolerance used to detect near-ties (see {@link relTolForPrecision}). */
  readonly relTol: number;
  /** Relative tolerance on weights, overlaps and R̄ values (default 1e-5). */
  readonly weightRelTol?: number;
}

/** Outcome of {@link compareAugmentResults}. */
export interface AugmentComparison {
  /** First mismatch, or `undefined`. */
  readonly message?: string;
  /**
   * True when no training item sits on a contested boundary, so everything was compared
   * exactly; false when near-ties forced the relaxed comparison.
   */
  readonly strict: boolean;
}

const close = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Compares core's `augment` result with {@link referenceAugment}'s. Without near-ties on the
 * boundary of any training item, everything must agree: groups, counts, overlaps and weights
 * (1e-5 relative), and R̄ entry by entry. With near-ties, entries may differ only for users
 * owning a contested item; groups and weights that cannot be affected must still agree, and
 * every other R̄ value must equal `1[real] + λ Σ_g w^g R^g` with the implementation's weights.
 */
export function compareAugmentResults(
  actual: AugmentResult,
  reference: ReferenceAugmentResult,
  options: CompareAugmentOptions & { readonly lambda: number },
): AugmentComparison {
  const rel = options.weightRelTol ?? 1e-5;
  const { numUsers: U, numItems: n } = reference;
  const trainItems = new Set<number>();
  for (const r of reference.real) for (const i of r) trainItems.add(i);
  const relevant = (t: ReferenceNeighbourTable): Set<number> =>
    new Set([...contestedRows(t, options.relTol)].filter((i) => trainItems.has(i)));
  const groupContested = reference.groupTables.map(relevant);
  const modalityContested = [...reference.modalityTables.values()].some((t) => relevant(t).size > 0);
  const strict = !modalityContested && groupContested.every((s) => s.size === 0);
  const fail = (message: string): AugmentComparison => ({ message, strict });

  const m = actual.matrix;
  if (m.numUsers !== U || m.numItems !== n) return fail(`matrix is ${m.numUsers} × ${m.numItems}, expected ${U} × ${n}`);
  const sg = actual.summary.groups;
  const rg = reference.summary.groups;
  if (sg.length !== rg.length || sg.some((g, i) => g.name !== rg[i]!.name)) {
    return fail(`groups [${sg.map((g) => g.name).join(', ')}], expected [${rg.map((g) => g.name).join(', ')}]`);
  }
  // Internal consistency of the implementation's own statistics.
  for (const g of sg) {
    const o = g.virtualPairs === 0 ? 0 : (g.virtualPairs - g.virtualNotReal) / g.virtualPairs;
    if (!close(g.overlap, o, 1e-12))
      return fail(`group '${g.name}': overlap ${g.overlap} ≠ (virtualPairs − virtualNotReal) / virtualPairs = ${o}`);
    const w = actual.summary.oAvg === 0 ? 1 : g.overlap / actual.summary.oAvg;
    if (!close(g.weight, w, 1e-12)) return fail(`group '${g.name}': weight ${g.weight} ≠ overlap / oAvg = ${w}`);
  }
  const ra = reference.summary;
  const oAvgSure = !modalityContested;
  if (oAvgSure && !close(actual.summary.oAvg, ra.oAvg, rel)) return fail(`oAvg ${actual.summary.oAvg}, expected ${ra.oAvg}`);
  const modNames = Object.keys(ra.modalityOverlaps);
  const actNames = Object.keys(actual.summary.modalityOverlaps);
  if (modNames.length !== actNames.length || modNames.some((k) => !(k in actual.summary.modalityOverlaps))) {
    return fail(`modalityOverlaps has [${actNames.join(', ')}], expected [${modNames.join(', ')}]`);
  }
  for (const [name, t] of reference.modalityTables) {
    if (relevant(t).size > 0) continue;
    const a = actual.summary.modalityOverlaps[name]!;
    if (!close(a, ra.modalityOverlaps[name]!, rel))
      return fail(`modalityOverlaps['${name}'] = ${a}, expected ${ra.modalityOverlaps[name]}`);
  }
  for (let g = 0; g < rg.length; g++) {
    if (groupContested[g]!.size > 0) continue;
    const a = sg[g]!;
    const e = rg[g]!;
    if (a.virtualPairs !== e.virtualPairs || a.virtualNotReal !== e.virtualNotReal) {
      return fail(
        `group '${e.name}': ${a.virtualPairs} virtual pairs (${a.virtualNotReal} not real), expected ${e.virtualPairs} (${e.virtualNotReal})`,
      );
    }
    if (!close(a.overlap, e.overlap, rel)) return fail(`group '${e.name}': overlap ${a.overlap}, expected ${e.overlap}`);
    if (oAvgSure && !close(a.weight, e.weight, rel)) return fail(`group '${e.name}': weight ${a.weight}, expected ${e.weight}`);
  }

  // R̄ entries.
  if (m.rowPtr.length !== U + 1 || m.rowPtr[0] !== 0 || m.rowPtr[U] !== m.items.length) return fail('rowPtr is malformed');
  if (m.weights.length !== m.items.length || m.real.length !== m.items.length) return fail('items, weights and real differ in length');
  for (let u = 0; u < U; u++) {
    const real = reference.real[u]!;
    const affected = groupContested.some((s) => [...real].some((i) => s.has(i)));
    const a0 = m.rowPtr[u]!;
    const a1 = m.rowPtr[u + 1]!;
    const got = new Map<number, number>();
    for (let p = a0; p < a1; p++) {
      const j = m.items[p]!;
      if (p > a0 && j <= m.items[p - 1]!) return fail(`user ${u}: items not strictly increasing at entry ${p}`);
      if ((m.real[p] === 1) !== real.has(j)) return fail(`user ${u}, item ${j}: real flag ${m.real[p]}, expected ${real.has(j) ? 1 : 0}`);
      if (real.has(j) && !(m.weights[p]! >= 1)) return fail(`user ${u}, item ${j}: real pair has weight ${m.weights[p]} < 1`);
      if (!(m.weights[p]! > 0))
        return fail(`user ${u}, item ${j}: stored entry has weight ${m.weights[p]} (R̄ stores non-zero entries only)`);
      got.set(j, m.weights[p]!);
    }
    for (const i of real) if (!got.has(i)) return fail(`user ${u}: real item ${i} missing from R̄`);
    if (affected) continue;
    // Unaffected user: its R^g sets are exact; with near-ties elsewhere, the group weights
    // may shift, so the expected values use the implementation's weights.
    let expRow: ReadonlyMap<number, number> = reference.rows[u]!;
    if (!strict) {
      const row = new Map<number, number>();
      for (const i of real) row.set(i, 1);
      sg.forEach((g, gi) => {
        for (const j of reference.virtual[gi]![u]!) row.set(j, (row.get(j) ?? 0) + options.lambda * g.weight);
      });
      for (const [j, w] of row) if (w === 0) row.delete(j);
      expRow = row;
    }
    const list = (xs: Iterable<number>): string => [...xs].sort((a, b) => a - b).join(', ');
    if (got.size !== expRow.size || [...expRow.keys()].some((j) => !got.has(j))) {
      return fail(`user ${u}: R̄ items [${list(got.keys())}], expected [${list(expRow.keys())}]`);
    }
    for (const [j, w] of expRow) {
      if (!close(got.get(j)!, w, rel)) return fail(`user ${u}, item ${j}: R̄ = ${got.get(j)}, expected ${w}`);
    }
  }
  return { strict };
}
