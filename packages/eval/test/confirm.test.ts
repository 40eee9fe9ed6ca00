import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@vi-mmrec/core';
import { type Choice, confirmChoice } from '../src/auto.js';
import type { AugmentSettings } from '../src/experiment.js';

const pick: AugmentSettings = { strategy: 'overlay', k: 3, lambda: 0.1, oAvg: 'modality-mean', inject: 'pairs', negatives: 'non-real' };
const choiceOf = (settings: AugmentSettings | null, minGain = 0.02): Choice => ({
  settings,
  reason: 'proxy reason.',
  candidates: settings === null ? [] : [{ settings, validRecall20: 0.0675, relativeGain: 0.217 }],
  proxy: { model: 'bpr', epochs: 60, patience: 5, seed: 0, minGain },
});
const runs = (xs: readonly number[]): { valid: Record<string, number> }[] =>
  xs.map((x) => ({ valid: { 'recall@20': x, 'recall@10': x / 2 } }));

/** Float64 reference: mean of each side, relative gain, written independently of the code. */
function reference(base: readonly number[], aug: readonly number[]): { b: number; a: number; gain: number } {
  let sb = 0;
  for (let i = base.length - 1; i >= 0; i--) sb += base[i]!;
  let sa = 0;
  for (let i = aug.length - 1; i >= 0; i--) sa += aug[i]!;
  const b = sb / base.length;
  const a = sa / aug.length;
  return { b, a, gain: (a - b) / b };
}

describe('confirmChoice', () => {
  it('keeps a pick the model confirms on validation, with the numbers', () => {
    const c = confirmChoice(choiceOf(pick), 'lightgcn', runs([0.05, 0.06, 0.07]), runs([0.06, 0.066, 0.072]));
    expect(c.settings).toEqual(pick);
    expect(c.confirmation).toMatchObject({ settings: pick, model: 'lightgcn', seeds: 3, accepted: true });
    expect(c.confirmation!.baselineValidRecall20).toBeCloseTo(0.06, 15);
    expect(c.confirmation!.augmentedValidRecall20).toBeCloseTo(0.066, 15);
    expect(c.confirmation!.relativeGain).toBeCloseTo(0.1, 12);
    expect(c.reason).toBe(
      "overlay k=3 λ=0.1 negatives=non-real: the BPR-MF proxy's pick (overlay k=3 λ=0.1 negatives=non-real, proxy validation +21.7 %) confirmed by LightGCN itself, validation Recall@20 0.0600 → 0.0660 (+10.0 %, mean of 3 seed(s)).",
    );
  });

  it('turns a pick the model does not confirm into "no augmentation" and keeps what was tried', () => {
    // Baby, VBPR, BPR-MF's pick (docs/results.md): valid 0.0579 → 0.0504.
    const c = confirmChoice(choiceOf(pick), 'vbpr', runs([0.0579]), runs([0.0504]));
    expect(c.settings).toBeNull();
    expect(c.confirmation).toMatchObject({ settings: pick, model: 'vbpr', seeds: 1, accepted: false });
    expect(c.reason).toBe(
      "no augmentation: VBPR itself did not confirm the BPR-MF proxy's pick (overlay k=3 λ=0.1 negatives=non-real, proxy validation +21.7 %): validation Recall@20 0.0579 → 0.0504 (-13.0 %, mean of 1 seed(s)), below the +2.0 % needed.",
    );
    // A gain below minGain is not enough either.
    expect(confirmChoice(choiceOf(pick, 0.02), 'bpr', runs([0.1]), runs([0.101])).settings).toBeNull();
    expect(confirmChoice(choiceOf(pick, 0), 'bpr', runs([0.1]), runs([0.101])).settings).toEqual(pick);
  });

  it('returns a choice without settings unchanged', () => {
    const none = choiceOf(null);
    expect(confirmChoice(none, 'bpr', runs([0.1]), runs([0.2]))).toBe(none);
  });

  it('rejects runs it cannot compare, naming what is wrong', () => {
    expect(() => confirmChoice(choiceOf(pick), 'bpr', runs([0.1, 0.2]), runs([0.1]))).toThrow(InvalidArgumentError);
    expect(() => confirmChoice(choiceOf(pick), 'bpr', [], [])).toThrow(/one baseline and one augmented run per seed, got 0 and 0/);
    expect(() => confirmChoice(choiceOf(pick), 'bpr', [{ valid: { 'recall@10': 0.1 } }], runs([0.1]))).toThrow(/recall@20/);
  });

  it('accepts exactly when the mean validation gain reaches minGain (random runs vs a float64 reference)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.double({ min: 1e-3, max: 0.5, noNaN: true }), { minLength: n, maxLength: n }),
              fc.array(fc.double({ min: 0, max: 0.5, noNaN: true }), { minLength: n, maxLength: n }),
              fc.double({ min: -0.2, max: 0.5, noNaN: true }),
            ),
          ),
        ([base, aug, minGain]) => {
          const ref = reference(base, aug);
          fc.pre(Math.abs(ref.gain - minGain) > 1e-9);
          const c = confirmChoice(choiceOf(pick, minGain), 'freedom', runs(base), runs(aug));
          expect(c.confirmation!.accepted).toBe(ref.gain >= minGain);
          expect(c.settings).toEqual(ref.gain >= minGain ? pick : null);
          expect(c.confirmation!.baselineValidRecall20).toBeCloseTo(ref.b, 12);
          expect(c.confirmation!.augmentedValidRecall20).toBeCloseTo(ref.a, 12);
          expect(Math.abs(c.confirmation!.relativeGain - ref.gain)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });
});
