/** Test inputs and checks; the float64 oracle is the shared one of @vi-mmrec/test-utils. */
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { compareSearch, createRng } from '@vi-mmrec/test-utils';
import { expect } from 'vitest';

/** Deterministic uniform [0, 1) generator. */
export function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
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

/** Asserts the tables agree with the float64 reference within float32 rounding (relTol 1e-5). */
export function expectMatchesReference(request: NeighbourSearchRequest, tables: readonly NeighbourTable[]): void {
  expect(compareSearch(request, tables, { relTol: 1e-5 })).toBeUndefined();
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
