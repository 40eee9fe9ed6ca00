// The recall mode for approximate backends (capabilities.exact === false): its comparator must
// catch every rule violation other than a missed neighbour, count recall tie-aware, and the
// whole suite must accept a backend that is in fact exact but declares itself approximate.
import { describe, expect, it } from 'vitest';
import type { Backend, NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { cpuBackend } from '@vi-mmrec/backend-cpu';
import { referenceNeighbours } from '@vi-mmrec/test-utils';
import { MIN_APPROXIMATE_RECALL, type RecallTally, compareApproximateTables, describeBackendConformance, recallOf } from '../src/index.js';

// 6 items in 2-d; items 1 and 2 are identical (an exact tie for every other row), item 5 is zero.
const request: NeighbourSearchRequest = {
  numItems: 6,
  parts: [{ dim: 2, data: Float32Array.from([1, 0, 0.8, 0.6, 0.8, 0.6, 0, 1, -1, 0.2, 0, 0]) }],
  outputs: [{ parts: [0], k: 2 }],
};
const ref = referenceNeighbours(request)[0]!;
const relTol = 1e-5;

/** The reference table as float32 (a correct answer), to mutate. */
function correct(): NeighbourTable {
  return { k: ref.k, indices: ref.indices.slice(), scores: Float32Array.from(ref.scores) };
}

function compare(t: NeighbourTable): { message: string | undefined; tally: RecallTally } {
  const tally = { hits: 0, expected: 0 };
  return { message: compareApproximateTables(t, ref, { relTol }, tally), tally };
}

describe('compareApproximateTables', () => {
  it('accepts the exact answer with recall 1', () => {
    const { message, tally } = compare(correct());
    expect(message).toBeUndefined();
    expect(recallOf(tally)).toBe(1);
    expect(tally.expected).toBe(2 + 2 + 2 + 2 + 2); // rows 0–4 have ≥ 2 valid candidates; zero row 5 has none
  });

  it('counts a missed neighbour (padding) and a worse valid one as misses, not errors', () => {
    const t = correct();
    // Row 3 keeps one neighbour and pads the other slot.
    t.indices[3 * 2 + 1] = -1;
    t.scores[3 * 2 + 1] = -Infinity;
    // Row 4: replace its second neighbour by a worse valid item with its true score.
    const second = t.indices[4 * 2 + 1]!;
    const worse = [0, 1, 2, 3].find((j) => j !== t.indices[4 * 2] && j !== second && ref.score(4, j)! < ref.score(4, second)!)!;
    t.indices[4 * 2 + 1] = worse;
    t.scores[4 * 2 + 1] = ref.score(4, worse)!;
    const { message, tally } = compare(t);
    expect(message).toBeUndefined();
    expect(tally.hits).toBe(tally.expected - 2);
  });

  it('counts a tied candidate in place of the reference one as a hit', () => {
    const t = correct();
    // Row 4 is [3, 1], and 2 ties with 1 (identical rows): return 2 instead.
    expect(Array.from(t.indices.subarray(8, 10))).toEqual([3, 1]);
    t.indices[9] = 2;
    const { message, tally } = compare(t);
    expect(message).toBeUndefined();
    expect(recallOf(tally)).toBe(1);
  });

  const violations: Array<[string, (t: NeighbourTable) => void, RegExp]> = [
    ['self as neighbour', (t) => void (t.indices[0] = 0), /own neighbour|score of 0/],
    ['a wrong score', (t) => void (t.scores[2] = t.scores[2]! - 0.01), /score of .* reference/],
    ['a zero row as neighbour', (t) => void ((t.indices[1] = 5), (t.scores[1] = 0)), /not a candidate/],
    ['a zero row with neighbours', (t) => void ((t.indices[10] = 0), (t.scores[10] = 0)), /valid candidates exist/],
    ['scores not descending', (t) => void (t.indices.subarray(8, 10).reverse(), t.scores.subarray(8, 10).reverse()), /not descending/],
    ['equal scores with the larger id first', (t) => void t.indices.subarray(0, 2).reverse(), /smaller id first/],
    ['a repeated neighbour', (t) => void ((t.indices[1] = t.indices[0]!), (t.scores[1] = t.scores[0]!)), /appears twice/],
    ['padding before a neighbour', (t) => void ((t.indices[2] = -1), (t.scores[2] = -Infinity)), /padding must be/],
  ];
  for (const [what, mutate, message] of violations) {
    it(`rejects ${what}`, () => {
      const t = correct();
      mutate(t);
      expect(compare(t).message).toMatch(message);
    });
  }

  it('states its recall bound', () => {
    expect(MIN_APPROXIMATE_RECALL).toBeGreaterThan(0.5);
    expect(MIN_APPROXIMATE_RECALL).toBeLessThanOrEqual(1);
  });
});

/** The cpu backend, declaring itself approximate: the recall mode must accept it everywhere. */
function declaredApproximate(): Backend {
  const inner = cpuBackend();
  return {
    name: 'cpu-declared-approximate',
    get capabilities() {
      return { ...inner.capabilities, exact: false };
    },
    init: async (signal?: AbortSignal) => inner.init(signal),
    searchNeighbours: async (r, o) => inner.searchNeighbours(r, o),
    dispose: async () => inner.dispose(),
    [Symbol.asyncDispose]: async () => inner.dispose(),
  };
}

describeBackendConformance({ name: 'exact backend declared approximate (recall mode)', create: declaredApproximate, numRuns: 10 });
