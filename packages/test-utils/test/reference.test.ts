import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AugmentResult } from '@vi-mmrec/core';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import {
  augmentCaseArb,
  compareAugmentResults,
  compareNeighbourTables,
  contestedRows,
  createRng,
  float32Table,
  neighbourRequestArb,
  referenceAugment,
  referenceNeighbours,
} from '../src/index.js';
import type { ReferenceAugmentResult, ReferenceNeighbourTable } from '../src/index.js';

const S = Math.SQRT1_2;

/** The reference's own table as an implementation would return it (float32 scores). */
function asTable(r: ReferenceNeighbourTable): NeighbourTable {
  return { k: r.k, indices: r.indices.slice(), scores: Float32Array.from(r.scores) };
}

/** Converts a reference result to core's AugmentResult shape (as a perfect implementation would). */
function asAugmentResult(r: ReferenceAugmentResult): AugmentResult {
  const items: number[] = [];
  const weights: number[] = [];
  const real: number[] = [];
  const rowPtr = [0];
  r.rows.forEach((row, u) => {
    for (const j of [...row.keys()].sort((a, b) => a - b)) {
      items.push(j);
      weights.push(row.get(j)!);
      real.push(r.real[u]!.has(j) ? 1 : 0);
    }
    rowPtr.push(items.length);
  });
  return {
    matrix: {
      numUsers: r.numUsers,
      numItems: r.numItems,
      rowPtr: Int32Array.from(rowPtr),
      items: Int32Array.from(items),
      weights: Float64Array.from(weights),
      real: Uint8Array.from(real),
    },
    summary: {
      options: { strategy: 'overlay', k: 1, lambda: 1, oAvg: 'modality-mean', backend: 'reference' },
      oAvg: r.summary.oAvg,
      modalityOverlaps: r.summary.modalityOverlaps,
      groups: r.summary.groups,
      counts: { users: r.numUsers, items: r.numItems, real: 0, virtualOnly: 0, total: items.length },
      seconds: { similarity: 0, virtual: 0, total: 0 },
    },
  };
}

describe('createRng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
  it('int() covers its inclusive range', () => {
    const r = createRng(1);
    const seen = new Set(Array.from({ length: 200 }, () => r.int(-2, 3)));
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2, 3]);
  });
});

describe('referenceNeighbours (hand-computed)', () => {
  // x0=(1,0) x1=(0,1) x2=(1,1) x3=(0,0) x4=(-1,0)
  const part = { dim: 2, data: Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0, -1, 0]) };
  it('orders by cosine, breaks ties by smaller id, skips zero rows and self, pads', () => {
    const [t] = referenceNeighbours({ numItems: 5, parts: [part], outputs: [{ parts: [0], k: 2 }] });
    expect(Array.from(t!.indices)).toEqual([2, 1, 2, 0, 0, 1, -1, -1, 1, 2]);
    const sc = Array.from(t!.scores);
    expect(sc[0]).toBeCloseTo(S, 15);
    expect(sc[1]).toBe(0);
    expect(sc[3]).toBe(0); // row 1: 0 and 4 tie at 0 → 0 first
    expect(sc.slice(6, 8)).toEqual([-Infinity, -Infinity]);
    expect(sc[9]).toBeCloseTo(-S, 15);
    expect(t!.score(3, 0)).toBeUndefined();
    expect(t!.score(0, 0)).toBeUndefined();
  });
  it('sums the cosines of an output’s parts; an item is valid if non-zero in any part', () => {
    // second part: x0=(0,0) zero, x1=(2,0), x2=(1,0), x3=(0,3), x4=(1,0)
    const part2 = { dim: 2, data: Float32Array.from([0, 0, 2, 0, 1, 0, 0, 3, 1, 0]) };
    const [t] = referenceNeighbours({ numItems: 5, parts: [part, part2], outputs: [{ parts: [0, 1], k: 4 }] });
    // row 3 is valid through part 2: cos2(3,1)=0, cos2(3,2)=0, cos2(3,4)=0, part1 zero → all 0; item 0 valid via part1 → 0
    expect(Array.from(t!.indices.subarray(12, 16))).toEqual([0, 1, 2, 4]);
    // row 1: to 0: 0 + 0 ; to 2: S + 1 ; to 3: 0 + 0 ; to 4: 0 + 1
    expect(Array.from(t!.indices.subarray(4, 8))).toEqual([2, 4, 0, 3]);
    expect(t!.scores[4]).toBeCloseTo(1 + S, 15);
    expect(t!.scores[5]).toBe(1);
  });
});

describe('referenceAugment (hand-computed, exact rationals)', () => {
  // List modality a: 0→1, 1→2, 2→0 (k=1). u0 has {0}; u1 has {1, 2} (item 2 twice).
  const input = {
    numUsers: 3,
    numItems: 3,
    train: { users: Int32Array.from([0, 1, 1, 1]), items: Int32Array.from([0, 1, 2, 2]) },
    modalities: [
      {
        kind: 'neighbours' as const,
        name: 'a',
        items: Int32Array.from([0, 1, 2, 2]),
        neighbours: Int32Array.from([1, 2, 0, 2]),
        cosines: Float32Array.from([0.5, 0.25, 0.75, 1]),
      },
    ],
  };
  it('overlay, modality-mean: O = 1/3, O_avg = 1/3, w = 1', () => {
    const r = referenceAugment(input, { strategy: 'overlay', k: 1, lambda: 0.5 });
    // R^a: u0 {1}; u1 {2, 0}; |R^a| = 3, real among them: (1, 2) → O = 1/3.
    expect(r.summary.groups).toEqual([{ name: 'a', modalities: ['a'], overlap: 1 / 3, weight: 1, virtualPairs: 3, virtualNotReal: 2 }]);
    expect(r.summary.oAvg).toBe(1 / 3);
    expect([...r.rows[0]!]).toEqual([
      [0, 1],
      [1, 0.5],
    ]);
    expect(new Map(r.rows[1])).toEqual(
      new Map([
        [0, 0.5],
        [1, 1],
        [2, 1.5],
      ]),
    );
    expect(r.rows[2]!.size).toBe(0);
  });
  it('density: O_avg = |R+| / (U·I) = 3/9, and λ = 0 leaves only R+', () => {
    const r = referenceAugment(input, { strategy: 'overlay', k: 1, lambda: 0, oAvg: 'density' });
    expect(r.summary.oAvg).toBe(3 / 9);
    expect(r.summary.groups[0]!.weight).toBeCloseTo(1, 15);
    expect(new Map(r.rows[1])).toEqual(
      new Map([
        [1, 1],
        [2, 1],
      ]),
    );
  });
  it('synergistic with a dense modality follows the candidate rule of step 4', () => {
    // dense d: x0=(1,0), x1=(0,0) zero, x2=(1,0). Fused: S(0,2) = 1 + 0 (unlisted);
    // S(0,1) = 0.5 (listed only; item 1 has a zero dense row); S(1,2) = 0.25 (listed);
    // S(1,0) not a candidate (1 has no dense row and 1→0 is unlisted).
    const withDense = {
      ...input,
      modalities: [...input.modalities, { kind: 'dense' as const, name: 'd', dim: 2, features: Float32Array.from([1, 0, 0, 0, 1, 0]) }],
    };
    const r = referenceAugment(withDense, { strategy: 'synergistic', k: 2, lambda: 1, oAvg: 'density' });
    const t = r.groupTables[0]!;
    expect(Array.from(t.indices)).toEqual([2, 1, 2, -1, 0, -1]);
    expect(t.scores[0]).toBe(1);
    expect(t.scores[4]).toBe(1.75);
    expect(t.score(1, 0)).toBeUndefined();
    expect(r.modalityTables.size).toBe(0);
  });
});

describe('compareNeighbourTables', () => {
  const part = { dim: 2, data: Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0, -1, 0, 1, 1]) }; // x5 = x2 (twins)
  const request: NeighbourSearchRequest = { numItems: 6, parts: [part], outputs: [{ parts: [0], k: 2 }] };
  const [ref] = referenceNeighbours(request);
  const mutate = (f: (t: { indices: Int32Array; scores: Float32Array }) => void): NeighbourTable => {
    const t = asTable(ref!);
    f(t);
    return t;
  };
  it('accepts the reference itself', () => {
    expect(compareNeighbourTables(asTable(ref!), ref!, { relTol: 1e-6 })).toBeUndefined();
  });
  it('rejects a clearly worse neighbour, a wrong score, self, bad padding and bad order', () => {
    // row 0 is [2, 5] (twins at S); 1 scores 0.
    expect(Array.from(ref!.indices.subarray(0, 2))).toEqual([2, 5]);
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.indices[1] = 1;
          t.scores[1] = 0;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/row 0: neighbour 1/);
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.scores[0] = t.scores[0]! + 1e-3;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/score of 2/);
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.indices[0] = 0;
          t.scores[0] = 1;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/own neighbour/);
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.scores[7] = 0;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/padding/);
    // row 4 = (-1,0): [1 (0), 2 (-S)] reversed
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.indices[8] = 2;
          t.indices[9] = 1;
          t.scores[8] = -S;
          t.scores[9] = 0;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/not descending/);
  });
  it('rejects a violated smaller-id rule between twins (identical rows)', () => {
    // row 0: twins 2 and 5 with equal scores; [5, 2] breaks the tie rule.
    expect(
      compareNeighbourTables(
        mutate((t) => {
          t.indices[0] = 5;
          t.indices[1] = 2;
        }),
        ref!,
        { relTol: 1e-6 },
      ),
    ).toMatch(/smaller id/);
    // row 1 = (0,1): [2, 5] are twins at S; with k=1 keeping 5 instead of 2 must fail.
    const [r1] = referenceNeighbours({ ...request, outputs: [{ parts: [0], k: 1 }] });
    const t = asTable(r1!);
    t.indices[1] = 5;
    expect(compareNeighbourTables(t, r1!, { relTol: 1e-6 })).toMatch(/twins 2 and 5/);
  });
  it('accepts a swap at the k-th boundary between near-tied non-twins, and reports it as contested', () => {
    // x1 and x2 have cosines to x0 that differ by ~1e-9 (not twins).
    const data = Float64Array.from([1, 0, 1, 1e-4, 1, 1.00001e-4]);
    const [r] = referenceNeighbours({ numItems: 3, parts: [{ dim: 2, data }], outputs: [{ parts: [0], k: 1 }] });
    expect(r!.indices[0]).toBe(1);
    const t = asTable(r!);
    t.indices[0] = 2;
    expect(compareNeighbourTables(t, r!, { relTol: 1e-6 })).toBeUndefined();
    expect(compareNeighbourTables(t, r!, { relTol: 1e-12 })).toMatch(/row 0/);
    expect(contestedRows(r!, 1e-6).has(0)).toBe(true);
    // Rows 2 and 5 (= x2): x0 and x1 tie at S in float64, and they are not twins.
    expect([...contestedRows(ref!, 1e-6)]).toEqual([2, 5]);
  });
  it('accepts float32 roundings of the reference on random requests', () => {
    fc.assert(
      fc.property(neighbourRequestArb(), (req) => {
        referenceNeighbours(req).forEach((r, o) => {
          expect(compareNeighbourTables(float32Table(r), r, { relTol: 1e-5, label: `output ${o}` })).toBeUndefined();
        });
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});

describe('compareAugmentResults', () => {
  it('accepts the reference and rejects mutated weights, entries and counts', () => {
    fc.assert(
      fc.property(augmentCaseArb(), ({ input, options }) => {
        const ref = referenceAugment(input, options);
        const good = asAugmentResult(ref);
        expect(compareAugmentResults(good, ref, { relTol: 1e-5, lambda: options.lambda }).message).toBeUndefined();
        if (!compareAugmentResults(good, ref, { relTol: 1e-12, lambda: options.lambda }).strict) return;
        if (good.matrix.items.length > 0) {
          const w = good.matrix.weights.slice();
          w[w.length - 1] = w[w.length - 1]! * 1.01 + 0.01;
          const bad = { ...good, matrix: { ...good.matrix, weights: w } };
          expect(compareAugmentResults(bad, ref, { relTol: 1e-12, lambda: options.lambda }).message).toMatch(/R̄|real|weight/);
        }
        const g0 = good.summary.groups[0]!;
        const badGroups = [
          { ...g0, virtualPairs: g0.virtualPairs + 1, overlap: (g0.virtualPairs - g0.virtualNotReal) / (g0.virtualPairs + 1), weight: 0 },
          ...good.summary.groups.slice(1),
        ];
        const bad2 = { ...good, summary: { ...good.summary, groups: badGroups } };
        expect(compareAugmentResults(bad2, ref, { relTol: 1e-12, lambda: options.lambda }).message).toBeDefined();
      }),
      { seed: 11, numRuns: 80 },
    );
  });
});
