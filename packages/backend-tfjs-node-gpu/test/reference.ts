/**
 * Float64 brute-force reference of the backend primitive, written from the SPI contract
 * (packages/core/src/spi.ts), independent of the code under test.
 */
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';

export interface RefTable {
  readonly k: number;
  readonly indices: Int32Array;
  readonly scores: Float64Array;
  /** Float64 score of (i, j), or undefined when j is not a candidate of i. */
  score(i: number, j: number): number | undefined;
  /** Sorted candidate scores of row i (best first). */
  ranked(i: number): Array<{ j: number; s: number }>;
}

export function referenceSearch(req: NeighbourSearchRequest): RefTable[] {
  const n = req.numItems;
  const cos = req.parts.map(({ data, dim }) => {
    const norm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let c = 0; c < dim; c++) ss += Number(data[i * dim + c]) ** 2;
      norm[i] = Math.sqrt(ss);
    }
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (norm[i] === 0 || norm[j] === 0) continue;
        let dot = 0;
        for (let c = 0; c < dim; c++) dot += Number(data[i * dim + c]) * Number(data[j * dim + c]);
        m[i * n + j] = dot / (norm[i]! * norm[j]!);
      }
    }
    return { m, norm };
  });
  return req.outputs.map(({ parts, k }) => {
    const valid = (i: number): boolean => parts.some((p) => cos[p]!.norm[i]! > 0);
    const score = (i: number, j: number): number | undefined => {
      if (i === j || !valid(i) || !valid(j)) return undefined;
      return parts.reduce((acc, p) => acc + cos[p]!.m[i * n + j]!, 0);
    };
    const ranked = (i: number): Array<{ j: number; s: number }> => {
      const out: Array<{ j: number; s: number }> = [];
      for (let j = 0; j < n; j++) {
        const s = score(i, j);
        if (s !== undefined) out.push({ j, s });
      }
      return out.sort((a, b) => b.s - a.s || a.j - b.j);
    };
    const indices = new Int32Array(n * k).fill(-1);
    const scores = new Float64Array(n * k).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      ranked(i)
        .slice(0, k)
        .forEach(({ j, s }, t) => {
          indices[i * k + t] = j;
          scores[i * k + t] = s;
        });
    }
    return { k, indices, scores, score, ranked };
  });
}
