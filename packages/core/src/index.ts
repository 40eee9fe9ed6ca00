/**
 * VI-MMRec core: similarity-aware virtual user–item interactions for multimodal recommenders.
 *
 * Users call {@link augment} with training interactions and item modalities, and a backend
 * (an adapter package such as `@vi-mmrec/backend-cpu`). Backend authors import the SPI from
 * `@vi-mmrec/core/backend`.
 *
 * @packageDocumentation
 */
export { augment, augmentStream, resolveAugmentOptions, searchNeighbourTables, tablesNeeded } from './augment.js';
export type {
  AugmentStream,
  AugmentStreamOptions,
  BlockOptions,
  NeighbourTables,
  NeighbourTablesOptions,
  ResolvedOptions,
  StreamInput,
  TableNeeds,
} from './augment.js';
export { registerBackend, resolveBackend, listBackends } from './registry.js';
export type { ResolveOptions } from './registry.js';
export { APPROXIMATE_CROSSOVER_ITEMS } from './size-policy.js';
export {
  ViMmrecError,
  InvalidArgumentError,
  InvalidDataError,
  BackendNotFoundError,
  BackendInitError,
  NoBackendAvailableError,
  UnsupportedOperationError,
  BackendDisposedError,
  AbortedError,
  isViMmrecError,
} from './errors.js';
export type { ViMmrecErrorCode } from './errors.js';
export type {
  Strategy,
  OAvgMode,
  DenseModality,
  NeighbourListModality,
  Modality,
  Interactions,
  AugmentInput,
  ProgressEvent,
  Logger,
  AugmentOptions,
  EnrichedMatrix,
  EnrichedBlock,
  GroupSummary,
  AugmentSummary,
  AugmentResult,
} from './types.js';
export type { Backend, BackendFactory, ItemRange, NeighbourTable } from './spi.js';
