/**
 * fast-check arbitraries over the seeded generators: the structural parameters shrink, the
 * seed reproduces the rest.
 */
import fc from 'fast-check';
import type { AugmentInput, OAvgMode, Strategy } from '@vi-mmrec/core';
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import { type ModalityMix, type ValueStyle, randomAugmentCase, randomNeighbourRequest } from './generators.js';
import type { ReferenceAugmentOptions } from './reference.js';
import { createRng } from './rng.js';

/** Bounds of {@link neighbourRequestArb}. */
export interface NeighbourRequestArbOptions {
  readonly maxItems?: number;
  readonly maxParts?: number;
  readonly maxOutputs?: number;
  /** Largest feature dimension of a part (default 5). */
  readonly maxDim?: number;
  readonly dtypes?: ReadonlyArray<'float32' | 'float64'>;
  /** Add a random query range `rows` (possibly empty or every item) to every request. */
  readonly rows?: boolean;
}

/** Random `searchNeighbours` requests (0 … maxItems items, 1–3 parts, 1–3 outputs). */
export function neighbourRequestArb(o: NeighbourRequestArbOptions = {}): fc.Arbitrary<NeighbourSearchRequest> {
  return fc
    .record({
      seed: fc.integer(),
      numItems: fc.integer({ min: 0, max: o.maxItems ?? 14 }),
      numParts: fc.integer({ min: 1, max: o.maxParts ?? 3 }),
      numOutputs: fc.integer({ min: 1, max: o.maxOutputs ?? 3 }),
      style: fc.constantFrom<ValueStyle>('integer', 'continuous'),
      dtype: fc.constantFrom(...(o.dtypes ?? (['float32', 'float64'] as const))),
      a: fc.nat(),
      b: fc.nat(),
    })
    .map(({ seed, a, b, ...rest }) => {
      const request = randomNeighbourRequest(createRng(seed), { ...rest, maxDim: o.maxDim ?? 5 });
      if (o.rows !== true) return request;
      const [start, end] = [a % (rest.numItems + 1), b % (rest.numItems + 1)].sort((x, y) => x - y) as [number, number];
      return { ...request, rows: { start, end } };
    });
}

/** A generated `augment` case. */
export interface AugmentCase {
  readonly input: AugmentInput;
  readonly options: ReferenceAugmentOptions;
}

/** Bounds and variety of {@link augmentCaseArb}. */
export interface AugmentCaseArbOptions {
  readonly mixes?: readonly ModalityMix[];
  readonly strategies?: readonly Strategy[];
  readonly oAvgs?: readonly OAvgMode[];
  readonly maxUsers?: number;
  readonly maxItems?: number;
}

/** Random `augment` inputs and options covering strategies × oAvg × dense/list/mixed. */
export function augmentCaseArb(o: AugmentCaseArbOptions = {}): fc.Arbitrary<AugmentCase> {
  return fc
    .record({
      seed: fc.integer(),
      numUsers: fc.integer({ min: 0, max: o.maxUsers ?? 8 }),
      numItems: fc.integer({ min: 1, max: o.maxItems ?? 12 }),
      numModalities: fc.integer({ min: 1, max: 3 }),
      mix: fc.constantFrom(...(o.mixes ?? (['dense', 'list', 'mixed'] as const))),
      strategy: fc.constantFrom(...(o.strategies ?? (['overlay', 'synergistic'] as const))),
      oAvg: fc.constantFrom(...(o.oAvgs ?? (['modality-mean', 'density'] as const))),
    })
    .map(({ seed, ...rest }) => {
      // 'mixed' needs two modalities to mix.
      const numModalities = rest.mix === 'mixed' ? Math.max(2, rest.numModalities) : rest.numModalities;
      return randomAugmentCase(createRng(seed), { ...rest, numModalities });
    });
}
