import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TopKSelector } from '../src/backend-utils.js';

/** Oracle: full sort by (score desc, id asc), cut to k, padded. */
function sortedTopK(entries: ReadonlyArray<[number, number]>, k: number): { ids: number[]; scores: number[] } {
  const s = [...entries].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
  const ids = s.map((e) => e[0]);
  const scores = s.map((e) => Math.fround(e[1]));
  while (ids.length < k) {
    ids.push(-1);
    scores.push(-Infinity);
  }
  return { ids, scores };
}

// Distinct ids with scores drawn from few values (many exact ties) or from doubles.
const rowArb = fc
  .record({
    n: fc.integer({ min: 0, max: 40 }),
    k: fc.integer({ min: 1, max: 12 }),
    tiny: fc.boolean(),
    seedScores: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 40, maxLength: 40 }),
    doubles: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 40, maxLength: 40 }),
    order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
  })
  .map(({ n, k, tiny, seedScores, doubles, order }) => {
    const entries: Array<[number, number]> = Array.from({ length: n }, (_, t) => [t * 3 + 1, tiny ? seedScores[t]! / 4 : doubles[t]!]);
    // Push in a shuffled order (ids may come in any order).
    const shuffled = entries
      .map((e, t) => [order[t]!, e] as const)
      .sort((a, b) => a[0] - b[0])
      .map((x) => x[1]);
    return { k, entries: shuffled };
  });

describe('TopKSelector', () => {
  it('equals a full sort (score desc, smaller id first), padded with -1/-Infinity', () => {
    fc.assert(
      fc.property(rowArb, ({ k, entries }) => {
        const sel = new TopKSelector(k);
        for (const [id, s] of entries) sel.push(id, s);
        expect(sel.count).toBe(Math.min(k, entries.length));
        const ids = new Int32Array(k + 2).fill(99);
        const scores = new Float32Array(k + 2).fill(99);
        sel.drainSorted(ids, scores, 1);
        const want = sortedTopK(entries, k);
        expect(Array.from(ids.subarray(1, k + 1))).toEqual(want.ids);
        expect(Array.from(scores.subarray(1, k + 1))).toEqual(want.scores);
        expect([ids[0], ids[k + 1], scores[0], scores[k + 1]]).toEqual([99, 99, 99, 99]); // writes only its slots
        expect(sel.count).toBe(0); // drained and reset
      }),
      { seed: 3, numRuns: 300 },
    );
  });
  it('is reusable across rows and threshold is the worst kept score once full', () => {
    const sel = new TopKSelector(2);
    sel.push(5, 1);
    expect(sel.threshold).toBe(-Infinity);
    sel.push(3, 2);
    expect(sel.threshold).toBe(1);
    sel.push(4, 1); // ties the worst (id 5) with a smaller id: replaces it
    const ids = new Int32Array(2);
    const scores = new Float32Array(2);
    sel.drainSorted(ids, scores, 0);
    expect(Array.from(ids)).toEqual([3, 4]);
    sel.push(7, 0.5);
    sel.drainSorted(ids, scores, 0);
    expect(Array.from(ids)).toEqual([7, -1]);
    expect(scores[1]).toBe(-Infinity);
  });
});
