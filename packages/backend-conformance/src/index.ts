/**
 * The conformance suite every vi-mmrec backend runs: golden cases as data (`cases/*.json`,
 * expected values from the independent float64 reference), differential property tests
 * against that reference, and the lifecycle contract of the backend SPI. Call
 * {@link describeBackendConformance} from a backend package's `test/conformance.test.ts`.
 *
 * @packageDocumentation
 */
export { describeBackendConformance } from './suite.js';
export type { ConformanceOptions, KnownFailure } from './suite.js';
export { MIN_APPROXIMATE_RECALL, compareApproximateTables, recallOf } from './approximate.js';
export type { RecallTally } from './approximate.js';
export { loadGoldenFiles, goldenRequest, goldenTable, goldenReference } from './cases.js';
export type { GoldenCase, GoldenFile, GoldenPart, GoldenTable, ToleranceClass } from './cases.js';
export { CONFORMANCE_RESULTS_ENV, writeConformanceResults } from './results.js';
export type { CaseOutcome, CaseResult, ConformanceResults } from './results.js';
