import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Evaluator, ndcgAtK, recallAtK, topK } from '../src/metrics.js';
import { csrFromPairs } from '../src/loader.js';

// Independent float64 references: full sort, then the textbook formulas.
function refRank(scores: number[], masked: Set<number>): number[] {
  return scores
    .map((s, j) => ({ s, j }))
    .filter((e) => !masked.has(e.j))
    .sort((a, b) => b.s - a.s || a.j - b.j)
    .map((e) => e.j);
}
function refRecall(ranked: number[], rel: number[], k: number): number {
  return ranked.slice(0, k).filter((j) => rel.includes(j)).length / rel.length;
}
function refNdcg(ranked: number[], rel: number[], k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((j, r) => {
    if (rel.includes(j)) dcg += 1 / Math.log2(r + 2);
  });
  let idcg = 0;
  for (let r = 0; r < Math.min(k, rel.length); r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

describe('metrics: hand-computed cases', () => {
  it('Recall@K and NDCG@K of a fixed ranking', () => {
    const ranked = [5, 2, 9, 1, 7];
    const rel = new Set([2, 7, 8]);
    // hits at ranks 1 and 4 (0-based) of the top 5: recall 2/3
    expect(recallAtK(ranked, rel, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, rel, 2)).toBeCloseTo(1 / 3, 12);
    // DCG = 1/log2(3) + 1/log2(6); IDCG over 3 positions = 1 + 1/log2(3) + 1/2
    expect(ndcgAtK(ranked, rel, 5)).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3) + 0.5), 12);
    // K=2: DCG = 1/log2(3); IDCG over min(3,2)=2 positions
    expect(ndcgAtK(ranked, rel, 2)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK([8, 2, 7], rel, 3)).toBeCloseTo(1, 12);
    expect(recallAtK(ranked, new Set(), 5)).toBe(0);
  });

  it('topK breaks ties by the smaller item id and skips masked items', () => {
    const s = Float32Array.from([0.5, 0.9, 0.5, 0.9, 0.1, 0.7]);
    expect(Array.from(topK(s, 0, 6, 4))).toEqual([1, 3, 5, 0]);
    expect(Array.from(topK(s, 0, 6, 3, Int32Array.from([1, 5]), 0, 2))).toEqual([3, 0, 2]);
    expect(Array.from(topK(s, 0, 6, 10))).toEqual([1, 3, 5, 0, 2, 4]);
  });
});

describe('metrics: property tests against the sort-based reference', () => {
  it('topK equals the first K of a full stable sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        fc.uniqueArray(fc.nat(59), { maxLength: 10 }),
        (raw, k, maskRaw) => {
          const scores = raw.map((x) => x / 4); // many ties
          const mask = maskRaw.filter((j) => j < scores.length).sort((a, b) => a - b);
          const got = Array.from(topK(Float32Array.from(scores), 0, scores.length, k, Int32Array.from(mask), 0, mask.length));
          expect(got).toEqual(refRank(scores, new Set(mask)).slice(0, k));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Evaluator averages the reference metrics over users with ≥1 item, masking training items', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        let st = seed;
        const rnd = (): number => (st = (st * 1103515245 + 12345) % 2147483648) / 2147483648;
        const U = 6;
        const I = 15;
        const split = (p: number): { u: number[]; i: number[] } => {
          const u: number[] = [];
          const i: number[] = [];
          for (let a = 0; a < U; a++)
            for (let b = 0; b < I; b++) {
              if (rnd() < p) {
                u.push(a);
                i.push(b);
              }
            }
          return { u, i };
        };
        const tr = split(0.2);
        const va = split(0.1);
        const te = split(0.1);
        const csr = (s: { u: number[]; i: number[] }) => csrFromPairs(U, I, Int32Array.from(s.u), Int32Array.from(s.i));
        const scores = Array.from({ length: U * I }, () => Math.round(rnd() * 20) / 20);
        const ev = new Evaluator(csr(tr), csr(va), csr(te), [5, 10]);
        const res = ev.evaluate((users) => Float32Array.from(Array.from(users).flatMap((u) => scores.slice(u * I, (u + 1) * I))), 2);
        for (const [name, s] of [
          ['valid', va],
          ['test', te],
        ] as const) {
          const rows: { r: number[]; n: number[] }[] = [];
          const sums: Record<string, number> = {};
          let n = 0;
          for (let u = 0; u < U; u++) {
            const rel = [...new Set(s.i.filter((_, p) => s.u[p] === u))];
            if (rel.length === 0) continue;
            n++;
            const masked = new Set(tr.i.filter((_, p) => tr.u[p] === u));
            const ranked = refRank(scores.slice(u * I, (u + 1) * I), masked);
            for (const k of [5, 10, 20]) {
              sums[`recall@${k}`] = (sums[`recall@${k}`] ?? 0) + refRecall(ranked, rel, k);
              sums[`ndcg@${k}`] = (sums[`ndcg@${k}`] ?? 0) + refNdcg(ranked, rel, k);
            }
          }
          void rows;
          expect(res[name].users).toBe(n);
          for (const key of Object.keys(sums)) expect(res[name].metrics[key]).toBeCloseTo(n === 0 ? 0 : sums[key]! / n, 10);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('masking uses real training items only', () => {
  it('a virtual item the user is predicted to like stays rankable and counts as a hit', () => {
    // user 0: real train item 0, test item 2. Scores: item 0 > item 2 > others.
    const train = csrFromPairs(1, 5, Int32Array.from([0]), Int32Array.from([0]));
    const test = csrFromPairs(1, 5, Int32Array.from([0]), Int32Array.from([2]));
    const valid = csrFromPairs(1, 5, new Int32Array(0), new Int32Array(0));
    const ev = new Evaluator(train, valid, test, [1]);
    const r = ev.evaluate(() => Float32Array.from([9, 1, 8, 0, 0]));
    // item 0 (real) is masked, item 2 ranks first: Recall@1 = 1.
    expect(r.test.metrics['recall@1']).toBe(1);
    // Masking a virtual item too (the mistake VI-MMRec warns about) would hide it:
    const wrongMask = csrFromPairs(1, 5, Int32Array.from([0, 0]), Int32Array.from([0, 2]));
    expect(new Evaluator(wrongMask, valid, test, [1]).evaluate(() => Float32Array.from([9, 1, 8, 0, 0])).test.metrics['recall@1']).toBe(0);
  });
});
