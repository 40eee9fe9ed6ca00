import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nthAllowed, rowOf } from '../src/sparse-rows.js';
import { Rng } from '../src/rng.js';

describe('nthAllowed', () => {
  it('matches enumeration of the allowed items (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 40 }), fc.nat(), (n, raw, pad) => {
        const forbidden = Array.from(new Set(raw.map((x) => x % n))).sort((a, b) => a - b);
        const allowed = Array.from({ length: n }, (_, i) => i).filter((i) => !forbidden.includes(i));
        // Embed the row at an offset inside a larger array to check the a…b bounds.
        const arr = Int32Array.from([...new Array<number>(pad % 3).fill(-5), ...forbidden, 99]);
        const a = pad % 3;
        allowed.forEach((item, r) => expect(nthAllowed(arr, a, a + forbidden.length, r)).toBe(item));
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});

describe('rowOf', () => {
  it('is the row holding each entry, empty rows included (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 30 }), (lengths) => {
        const rowPtr = Int32Array.from([0, ...lengths.map((_, u) => lengths.slice(0, u + 1).reduce((a, b) => a + b, 0))]);
        let p = 0;
        lengths.forEach((len, u) => {
          for (let t = 0; t < len; t++) expect(rowOf(rowPtr, p++)).toBe(u);
        });
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('Rng', () => {
  it('is deterministic per (seed, stream, domain) and streams differ', () => {
    const seq = (r: Rng) => Array.from({ length: 5 }, () => r.nextU32());
    expect(seq(new Rng(1, 0))).toEqual(seq(new Rng(1, 0)));
    expect(seq(new Rng(1, 0))).not.toEqual(seq(new Rng(1, 1)));
    expect(seq(new Rng(1, 0))).not.toEqual(seq(new Rng(2, 0)));
    expect(seq(new Rng(1, 0, 7))).not.toEqual(seq(new Rng(1, 0, 8)));
  });

  it('nextFloat is in [0, 1) with mean ≈ 1/2; nextInt is uniform (chi-square)', () => {
    const r = new Rng(42, 3);
    let sum = 0;
    const N = 20000;
    const hist = new Array<number>(10).fill(0);
    for (let t = 0; t < N; t++) {
      const x = r.nextFloat();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      hist[r.nextInt(10)]!++;
    }
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    const chi2 = hist.reduce((s, c) => s + (c - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(33); // df 9: P(> 33) ≈ 1e-4
  });
});
