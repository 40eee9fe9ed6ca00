/**
 * USearch backend for vi-mmrec: approximate top-k neighbours from HNSW indexes (one per
 * output), built and searched on all cores, for catalogues too large for exact search. The
 * neighbour set is approximate; scores, self-exclusion, validity and tie rules are exact.
 *
 * @packageDocumentation
 */
export { usearchBackend } from './usearch-backend.js';
export type { UsearchBackendOptions, UsearchStorage } from './usearch-backend.js';
export { usearchBackendFactory } from './factory.js';
/** The factory, under the name every backend package exports (found by `vi-mmrec`'s discovery). */
export { usearchBackendFactory as backendFactory } from './factory.js';
