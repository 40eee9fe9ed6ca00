/**
 * The backend SPI of vi-mmrec, for adapter authors: {@link defineBackend}, which turns an
 * adapter's compute into a {@link Backend} and owns the lifecycle (init, dispose, validation,
 * cancellation, progress), the request/result types, and helpers every backend shares (row
 * normalisation, running top-k, option checks). See docs/contributing/writing-a-backend.md.
 *
 * @packageDocumentation
 */
export type {
  Backend,
  BackendCapabilities,
  BackendFactory,
  FeatureBlock,
  ItemRange,
  NeighbourOutputSpec,
  NeighbourSearchRequest,
  NeighbourTable,
  SearchOptions,
} from './spi.js';
export {
  writeNormalizedRows,
  outputValidity,
  emptyNeighbourTable,
  queryRows,
  TopKSelector,
  validateNeighbourRequest,
  positiveIntegerOption,
} from './backend-utils.js';
export { defineBackend } from './define-backend.js';
export type { BackendDefinition, SearchContext } from './define-backend.js';
export { throwIfAborted } from './errors.js';
