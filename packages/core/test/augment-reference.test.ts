// core's augment() against the independent float64 reference of @vi-mmrec/test-utils:
// neighbour-list-only inputs (no backend involved at all), and dense/mixed inputs through a
// test-double backend built on the reference (so core's own logic is tested, not a backend's).
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { augmentCaseArb, compareAugmentResults, float32Table, referenceAugment, referenceNeighbours } from '@vi-mmrec/test-utils';
import { augment } from '../src/augment.js';
import { resetRegistryForTests } from '../src/registry.js';
import type { Backend, NeighbourSearchRequest, NeighbourTable } from '../src/spi.js';
import { validateNeighbourRequest } from '../src/backend-utils.js';

/** A conforming backend computed from the float64 reference, rounded to float32 *before* ranking. */
function referenceBackend(): Backend & { calls: number } {
  const backend = {
    name: 'reference',
    calls: 0,
    capabilities: { device: 'cpu', floatPrecision: 32 } as const,
    init: async () => undefined,
    searchNeighbours: async (request: NeighbourSearchRequest): Promise<NeighbourTable[]> => {
      backend.calls++;
      validateNeighbourRequest(request, 'reference');
      return referenceNeighbours(request).map(float32Table);
    },
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
  return backend;
}

beforeEach(() => resetRegistryForTests());

describe('augment on neighbour lists only (no backend)', () => {
  it('matches referenceAugment; no backend is resolved even with an empty registry', async () => {
    let strict = 0;
    const numRuns = 150;
    await fc.assert(
      fc.asyncProperty(augmentCaseArb({ mixes: ['list'], maxItems: 14 }), async ({ input, options }) => {
        // The registry is empty: resolving a backend would reject with NoBackendAvailableError.
        const result = await augment(input, options);
        expect(result.summary.options.backend).toMatch(/^none/);
        const cmp = compareAugmentResults(result, referenceAugment(input, options), { relTol: 1e-12, lambda: options.lambda });
        expect(cmp.message).toBeUndefined();
        if (cmp.strict) strict++;
        // Counts are consistent with the matrix.
        const c = result.summary.counts;
        expect(c.total).toBe(result.matrix.items.length);
        expect(c.real).toBe(result.matrix.real.reduce((a, b) => a + b, 0));
        expect(c.virtualOnly).toBe(c.total - c.real);
      }),
      { seed: 21, numRuns },
    );
    expect(strict).toBeGreaterThan(numRuns * 0.8);
  });
});

describe('augment with dense and mixed modalities (reference-backed test double)', () => {
  it('matches referenceAugment for overlay/synergistic × modality-mean/density', async () => {
    let strict = 0;
    const numRuns = 150;
    const backend = referenceBackend();
    await fc.assert(
      fc.asyncProperty(augmentCaseArb({ mixes: ['dense', 'mixed'] }), async ({ input, options }) => {
        const result = await augment(input, { ...options, backend });
        expect(result.summary.options.backend).toBe('reference');
        const cmp = compareAugmentResults(result, referenceAugment(input, options), { relTol: 1e-5, lambda: options.lambda });
        expect(cmp.message).toBeUndefined();
        if (cmp.strict) strict++;
      }),
      { seed: 22, numRuns },
    );
    expect(backend.calls).toBeGreaterThan(0);
    expect(strict).toBeGreaterThan(numRuns / 2);
  });

  it('hand-computed: synergistic fuses a dense modality with a list and merges exactly', async () => {
    // dense d: x0=(1,0), x1=(0,0) zero, x2=(1,0), x3=(0,1). list a: 1→0 (0.5), 3→1 (0.9), 0→0 (self, ignored).
    // Fused: S(0,2)=1, S(0,3)=0, S(0,1) not a candidate (1 has no dense row, unlisted);
    // S(1,0)=0.5 (listed); S(3,1)=0.9 (listed), S(3,0)=S(3,2)=0. k=1.
    const input = {
      numUsers: 2,
      numItems: 4,
      train: { users: Int32Array.from([0, 1, 1]), items: Int32Array.from([0, 1, 3]) },
      modalities: [
        { kind: 'dense' as const, name: 'd', dim: 2, features: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 1]) },
        {
          kind: 'neighbours' as const,
          name: 'a',
          items: Int32Array.from([1, 3, 0]),
          neighbours: Int32Array.from([0, 1, 0]),
          cosines: Float32Array.from([0.5, 0.9, 1]),
        },
      ],
    };
    const r = await augment(input, { strategy: 'synergistic', k: 1, lambda: 0.5, oAvg: 'density', backend: referenceBackend() });
    // N(0)={2}, N(1)={0}, N(3)={1}. R^s: u0 {2}; u1 {0, 1}. |R^s| = 3, real ∩ = {(1,1)} → O = 1/3.
    // density = 3 / 8 → w = (1/3) / (3/8) = 8/9.
    const g = r.summary.groups[0]!;
    expect([g.name, g.virtualPairs, g.virtualNotReal]).toEqual(['synergistic', 3, 2]);
    expect(g.overlap).toBeCloseTo(1 / 3, 12);
    expect(g.weight).toBeCloseTo(8 / 9, 12);
    expect(r.summary.modalityOverlaps).toEqual({});
    expect(Array.from(r.matrix.rowPtr)).toEqual([0, 2, 5]);
    expect(Array.from(r.matrix.items)).toEqual([0, 2, 0, 1, 3]);
    expect(Array.from(r.matrix.real)).toEqual([1, 0, 0, 1, 1]);
    const w = 0.5 * (8 / 9);
    [1, w, w, 1 + w, 1].forEach((x, p) => expect(r.matrix.weights[p]).toBeCloseTo(x, 12));
  });

  it('λ = 0 keeps exactly R+ (no zero-weight virtual entries)', async () => {
    await fc.assert(
      fc.asyncProperty(augmentCaseArb(), async ({ input, options }) => {
        const r = await augment(input, { ...options, lambda: 0, backend: referenceBackend() });
        expect(r.matrix.real.every((x) => x === 1)).toBe(true);
        expect(r.matrix.weights.every((x) => x === 1)).toBe(true);
        expect(r.summary.counts.virtualOnly).toBe(0);
      }),
      { seed: 23, numRuns: 40 },
    );
  });
});
