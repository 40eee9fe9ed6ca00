/**
 * Compares a backend's tables with the float64 reference, tolerating float32 rounding only
 * where the reference scores are within `tol` of each other; exact duplicates (identical
 * feature rows, hence bit-identical float32 scores) must be ordered by item id.
 */
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { expect } from 'vitest';
import { referenceSearch } from './reference.js';

export function expectMatchesReference(request: NeighbourSearchRequest, tables: NeighbourTable[], tol = 2e-5): void {
  const ref = referenceSearch(request);
  const n = request.numItems;
  expect(tables).toHaveLength(request.outputs.length);
  request.outputs.forEach((o, oi) => {
    const t = tables[oi]!;
    expect(t.k).toBe(o.k);
    expect(t.indices).toHaveLength(n * o.k);
    expect(t.scores).toHaveLength(n * o.k);
    const parts = [...new Set(o.parts)];
    const sameRow = (a: number, b: number): boolean =>
      parts.every((p) => {
        const { data, dim } = request.parts[p]!;
        for (let c = 0; c < dim; c++) if (data[a * dim + c] !== data[b * dim + c]) return false;
        return true;
      });
    for (let i = 0; i < n; i++) {
      const all = ref[oi]!.all[i]!;
      const refScore = new Map(all.map((c) => [c.j, c.score]));
      const want = Math.min(o.k, all.length);
      const ids = Array.from(t.indices.subarray(i * o.k, (i + 1) * o.k));
      const scores = Array.from(t.scores.subarray(i * o.k, (i + 1) * o.k));
      const where = `output ${oi}, row ${i}`;
      // Padding.
      for (let q = want; q < o.k; q++) {
        expect(ids[q], where).toBe(-1);
        expect(scores[q], where).toBe(-Infinity);
      }
      const got = ids.slice(0, want);
      expect(new Set(got).size, `${where}: distinct`).toBe(want);
      got.forEach((j, q) => {
        expect(refScore.has(j), `${where}: ${j} is a valid non-self candidate`).toBe(true);
        const s = refScore.get(j)!;
        expect(Math.abs(scores[q]! - s), `${where}: score of ${j}`).toBeLessThanOrEqual(tol);
        // The q-th best score is right (within rounding).
        expect(Math.abs(s - all[q]!.score), `${where}: rank ${q}`).toBeLessThanOrEqual(tol);
        if (q > 0) expect(scores[q]!, `${where}: sorted`).toBeLessThanOrEqual(scores[q - 1]!);
      });
      // Exact duplicates: smaller id first, and none skipped in favour of a larger id.
      const chosen = new Set(got);
      got.forEach((j, q) => {
        got.slice(q + 1).forEach((j2) => {
          if (sameRow(j, j2)) expect(j, `${where}: tie order ${j} vs ${j2}`).toBeLessThan(j2);
        });
        for (const c of all) {
          if (c.j < j && !chosen.has(c.j) && sameRow(c.j, j)) throw new Error(`${where}: ${j} chosen over its duplicate ${c.j}`);
        }
      });
    }
  });
}
