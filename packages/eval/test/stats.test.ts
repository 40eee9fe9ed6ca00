// The report's paired t-test against textbook values and an independent float64 reference:
// the t distribution's tail integrated numerically (Simpson's rule), no incomplete beta.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairedTTest } from '../src/index.js';
import { studentQuantile, studentTwoSidedP } from '../src/stats.js';

/**
 * P(|T| ≥ t) with ν degrees of freedom: with t = √ν tan θ the density is ∝ cos^(ν−1) θ on
 * (−π/2, π/2), so the tail is ∫_θ0^(π/2) cos^(ν−1) / ∫_0^(π/2) cos^(ν−1), θ0 = atan(t/√ν).
 */
function referenceP(t: number, nu: number): number {
  const simpson = (a: number, b: number, n = 4000): number => {
    const h = (b - a) / n;
    const f = (x: number): number => Math.cos(x) ** (nu - 1);
    let s = f(a) + f(b);
    for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
    return (s * h) / 3;
  };
  const theta0 = Math.atan(Math.abs(t) / Math.sqrt(nu));
  return simpson(theta0, Math.PI / 2) / simpson(0, Math.PI / 2);
}

/** t and df of a paired test from the textbook definition (two passes, float64). */
function referenceT(a: readonly number[], b: readonly number[]): { t: number; df: number } {
  const n = a.length;
  const d: number[] = [];
  for (let i = 0; i < n; i++) d.push(a[i]! - b[i]!);
  let mean = 0;
  for (const x of d) mean += x / n;
  let ss = 0;
  for (const x of d) ss += (x - mean) * (x - mean);
  return { t: mean / Math.sqrt(ss / (n - 1) / n), df: n - 1 };
}

describe('pairedTTest', () => {
  it("matches Student's sleep data (R: t.test(extra ~ group, data = sleep, paired = TRUE))", () => {
    const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const r = pairedTTest(g1, g2)!;
    expect(r.n).toBe(10);
    expect(r.df).toBe(9);
    expect(r.meanDiff).toBeCloseTo(-1.58, 12);
    expect(r.t).toBeCloseTo(-4.062128, 5);
    expect(r.p).toBeCloseTo(0.00283289, 8);
    expect(r.ci95[0]).toBeCloseTo(-2.4598858, 6);
    expect(r.ci95[1]).toBeCloseTo(-0.7001142, 6);
  });

  it('gives the tabulated two-sided 5 % critical values of t', () => {
    const table: Array<[number, number]> = [
      [1, 12.706205],
      [2, 4.302653],
      [4, 2.776445],
      [9, 2.262157],
      [10, 2.228139],
      [30, 2.042272],
    ];
    for (const [df, t] of table) {
      expect(studentQuantile(0.975, df)).toBeCloseTo(t, 5);
      expect(studentTwoSidedP(t, df)).toBeCloseTo(0.05, 6);
    }
  });

  it('matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [0, 0.1, 0.5, 1, 2.5, 10, 300]) {
      expect(studentTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 12);
      expect(studentTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 12);
    }
  });

  it('handles too few pairs, constant differences and mismatched lengths', () => {
    expect(pairedTTest([0.1], [0.2])).toBeNull();
    expect(pairedTTest([], [])).toBeNull();
    const same = pairedTTest([1.5, 2.5, 3.5], [1, 2, 3])!;
    expect(same.p).toBe(0);
    expect(same.t).toBe(Infinity);
    const zero = pairedTTest([0.1, 0.2], [0.1, 0.2])!;
    expect(zero.p).toBe(1);
    expect(zero.t).toBe(0);
    expect(() => pairedTTest([1, 2], [1])).toThrow(RangeError);
  });

  it('agrees with the float64 reference on random pairs (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 30 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
              fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
            ),
          ),
        ([a, b]) => {
          const ref = referenceT(a, b);
          const d = a.map((x, i) => x - b[i]!);
          const spread = Math.max(...d) - Math.min(...d);
          fc.pre(spread > 1e-6 && Number.isFinite(ref.t));
          const r = pairedTTest(a, b)!;
          expect(r.df).toBe(ref.df);
          expect(Math.abs(r.t - ref.t)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref.t)));
          expect(Math.abs(r.p - referenceP(ref.t, ref.df))).toBeLessThan(1e-8);
          // The 95 % interval excludes 0 exactly when p < 0.05.
          if (Math.abs(r.p - 0.05) > 1e-9) expect(r.ci95[0] > 0 || r.ci95[1] < 0).toBe(r.p < 0.05);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('agrees with the float64 reference on a grid of t and df', () => {
    for (const df of [1, 2, 3, 5, 8, 13, 29]) {
      for (const t of [0, 0.2, 1, 1.96, 3, 6, 20]) expect(Math.abs(studentTwoSidedP(t, df) - referenceP(t, df))).toBeLessThan(1e-9);
    }
  });
});
