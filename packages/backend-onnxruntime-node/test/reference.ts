/**
 * Independent float64 reference of the backend primitive (written for the tests; shares no
 * code with the backend): cosine per part, validity, self exclusion, ties by smaller id.
 */
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';

export interface ReferenceTable {
  readonly k: number;
  /** Per row: the chosen neighbours and their float64 scores. */
  readonly rows: ReadonlyArray<ReadonlyArray<{ readonly j: number; readonly score: number }>>;
  /** Per row: every valid candidate's float64 score (to judge near-ties). */
  readonly all: ReadonlyArray<ReadonlyArray<{ readonly j: number; readonly score: number }>>;
}

export function referenceSearch(request: NeighbourSearchRequest): ReferenceTable[] {
  const { numItems: n, parts, outputs } = request;
  const unit = parts.map((p) => {
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      const row = Float64Array.from(p.data.subarray(i * p.dim, (i + 1) * p.dim));
      const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0));
      out.push(norm > 0 ? row.map((v) => v / norm) : row.fill(0));
      if (norm === 0) out[i] = new Float64Array(0);
    }
    return out;
  });
  const cos = (p: number, i: number, j: number): number => {
    const a = unit[p]![i]!;
    const b = unit[p]![j]!;
    if (a.length === 0 || b.length === 0) return 0;
    let s = 0;
    for (let c = 0; c < a.length; c++) s += a[c]! * b[c]!;
    return s;
  };
  return outputs.map((o) => {
    const ps = [...new Set(o.parts)];
    const valid = (i: number): boolean => ps.some((p) => unit[p]![i]!.length > 0);
    const rows: Array<Array<{ j: number; score: number }>> = [];
    const all: Array<Array<{ j: number; score: number }>> = [];
    for (let i = 0; i < n; i++) {
      const cands: Array<{ j: number; score: number }> = [];
      if (valid(i)) {
        for (let j = 0; j < n; j++) {
          if (j === i || !valid(j)) continue;
          cands.push({ j, score: ps.reduce((s, p) => s + cos(p, i, j), 0) });
        }
      }
      cands.sort((a, b) => b.score - a.score || a.j - b.j);
      all.push(cands);
      rows.push(cands.slice(0, o.k));
    }
    return { k: o.k, rows, all };
  });
}
