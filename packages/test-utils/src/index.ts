/**
 * Private test helpers of vi-mmrec: seeded RNG, an independent brute-force float64 reference
 * of the algorithm (written from docs/algorithm.md, not from core), input generators and
 * fast-check arbitraries, and near-tie-aware comparators.
 *
 * @packageDocumentation
 */
export { createRng, splitmix32 } from './rng.js';
export type { Rng } from './rng.js';
export { referenceNeighbours, referenceAugment, float32Table } from './reference.js';
export type { ReferenceNeighbourTable, ReferenceAugmentOptions, ReferenceAugmentResult, ReferenceGroup } from './reference.js';
export {
  compareNeighbourTables,
  compareSearch,
  compareAugmentResults,
  contestedRows,
  relTolForPrecision,
  scoreTolerance,
} from './compare.js';
export type { CompareNeighbourOptions, CompareAugmentOptions, AugmentComparison } from './compare.js';
export { randomDenseFeatures, randomNeighbourList, randomInteractions, randomNeighbourRequest, randomAugmentCase } from './generators.js';
export type {
  ValueStyle,
  DenseFeatureOptions,
  NeighbourListOptions,
  InteractionOptions,
  NeighbourRequestOptions,
  ModalityMix,
  AugmentCaseOptions,
} from './generators.js';
export { neighbourRequestArb, augmentCaseArb } from './arbitraries.js';
export type { NeighbourRequestArbOptions, AugmentCase, AugmentCaseArbOptions } from './arbitraries.js';
