/**
 * The backend SPI of vi-mmrec, for adapter authors: the {@link Backend} interface, its
 * request/result types, and helpers every backend shares (row normalisation, running top-k,
 * request validation). See docs/contributing/writing-a-backend.md.
 *
 * @packageDocumentation
 */
export type {
  Backend,
  BackendCapabilities,
  BackendFactory,
  FeatureBlock,
  NeighbourOutputSpec,
  NeighbourSearchRequest,
  NeighbourTable,
  SearchOptions,
} from './spi.js';
export {
  writeNormalizedRows,
  outputValidity,
  emptyNeighbourTable,
  TopKSelector,
  validateNeighbourRequest,
} from './backend-utils.js';
export { throwIfAborted } from './errors.js';
