/**
 * Independent float64 reference of `searchNeighbours`, written from the SPI contract
 * (packages/core/src/spi.ts), and a near-tie-aware comparison. Uses nothing from src/.
 */
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { expect } from 'vitest';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Features of `numItems × dim` in [-1, 1), with the listed rows zeroed and `copies` applied (dst ← src). */
export function features(
  random: () => number,
  numItems: number,
  dim: number,
  zeroRows: readonly number[] = [],
  copies: ReadonlyArray<readonly [number, number]> = [],
): Float32Array {
  const x = new Float32Array(numItems * dim);
  for (let p = 0; p < x.length; p++) x[p] = random() * 2 - 1;
  for (const [dst, src] of copies) x.copyWithin(dst * dim, src * dim, src * dim + dim);
  for (const r of zeroRows) x.fill(0, r * dim, r * dim + dim);
  return x;
}

/** Float64 cosine of rows i, j of one part; 0 when either row is all zeros. */
function cosine(data: ArrayLike<number>, dim: number, i: number, j: number): number {
  let dot = 0;
  let ni = 0;
  let nj = 0;
  for (let c = 0; c < dim; c++) {
    const a = data[i * dim + c]!;
    const b = data[j * dim + c]!;
    dot += a * b;
    ni += a * a;
    nj += b * b;
  }
  return ni === 0 || nj === 0 ? 0 : dot / Math.sqrt(ni * nj);
}

function nonZero(data: ArrayLike<number>, dim: number, i: number): boolean {
  for (let c = 0; c < dim; c++) if (data[i * dim + c] !== 0) return true;
  return false;
}

/** Per output, per item: every valid candidate `[score, id]`, best first (score desc, id asc). */
export function referenceCandidates(request: NeighbourSearchRequest): Array<Array<Array<[number, number]>>> {
  const { numItems, parts, outputs } = request;
  return outputs.map((o) => {
    const valid = (i: number): boolean => o.parts.some((p) => nonZero(parts[p]!.data, parts[p]!.dim, i));
    const rows: Array<Array<[number, number]>> = [];
    for (let i = 0; i < numItems; i++) {
      const cands: Array<[number, number]> = [];
      if (valid(i)) {
        for (let j = 0; j < numItems; j++) {
          if (j === i || !valid(j)) continue;
          let s = 0;
          for (const p of o.parts) s += cosine(parts[p]!.data, parts[p]!.dim, i, j);
          cands.push([s, j]);
        }
      }
      cands.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      rows.push(cands);
    }
    return rows;
  });
}

/**
 * Checks `tables` against the float64 reference: shapes and padding exactly; scores within
 * `tol` of the reference score of the same pair and of the reference's x-th best; ids exactly
 * wherever the reference's choice is not within `2·tol` of another candidate (a near tie may
 * legitimately flip in float32); order score desc then id asc exactly.
 */
export function expectMatchesReference(request: NeighbourSearchRequest, tables: readonly NeighbourTable[], tol = 2e-5): void {
  const ref = referenceCandidates(request);
  expect(tables).toHaveLength(request.outputs.length);
  request.outputs.forEach((o, oi) => {
    const t = tables[oi]!;
    const k = o.k;
    expect(t.k).toBe(k);
    expect(t.indices).toHaveLength(request.numItems * k);
    expect(t.scores).toHaveLength(request.numItems * k);
    for (let i = 0; i < request.numItems; i++) {
      const cands = ref[oi]![i]!;
      const byId = new Map(cands.map(([s, j]) => [j, s]));
      const n = Math.min(k, cands.length);
      for (let x = 0; x < k; x++) {
        const id = t.indices[i * k + x]!;
        const score = t.scores[i * k + x]!;
        const where = `output ${oi}, item ${i}, position ${x}`;
        if (x >= n) {
          expect(id, where).toBe(-1);
          expect(score, where).toBe(-Infinity);
          continue;
        }
        expect(byId.has(id), `${where}: id ${id} is not a valid candidate`).toBe(true);
        expect(Math.abs(score - byId.get(id)!), `${where}: score of ${id}`).toBeLessThanOrEqual(tol);
        expect(Math.abs(score - cands[x]![0]), `${where}: x-th best score`).toBeLessThanOrEqual(tol);
        const [refScore, refId] = cands[x]!;
        const contested = cands.some(([s, j]) => j !== refId && Math.abs(s - refScore) <= 2 * tol);
        if (!contested) expect(id, where).toBe(refId);
        // Exact ties between twins (rows identical in every part of the output, so their float32
        // scores are bit-identical too): every smaller twin comes first. Other float64 exact
        // ties may legitimately round apart in float32 (e.g. a duplicate's self-cosine).
        for (const [s, j] of cands) {
          if (s === byId.get(id) && j < id && twins(request, o.parts, j, id)) {
            const pos = Array.from(t.indices.subarray(i * k, i * k + x)).indexOf(j);
            expect(pos, `${where}: exact tie ${j} < ${id} must come first`).toBeGreaterThanOrEqual(0);
          }
        }
        if (x > 0) {
          const prevScore = t.scores[i * k + x - 1]!;
          const prevId = t.indices[i * k + x - 1]!;
          expect(prevScore > score || (prevScore === score && prevId < id), `${where}: order`).toBe(true);
        }
      }
    }
  });
}

/** True when items a and b have bit-identical rows in every listed part. */
function twins(request: NeighbourSearchRequest, parts: readonly number[], a: number, b: number): boolean {
  return parts.every((p) => {
    const { data, dim } = request.parts[p]!;
    for (let c = 0; c < dim; c++) if (!Object.is(data[a * dim + c], data[b * dim + c])) return false;
    return true;
  });
}

/** Asserts two result lists are bit-identical. */
export function expectIdentical(a: readonly NeighbourTable[], b: readonly NeighbourTable[]): void {
  expect(a).toHaveLength(b.length);
  a.forEach((t, oi) => {
    expect(t.k).toBe(b[oi]!.k);
    expect(Array.from(t.indices)).toEqual(Array.from(b[oi]!.indices));
    expect(Array.from(t.scores)).toEqual(Array.from(b[oi]!.scores));
  });
}
